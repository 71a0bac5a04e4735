interface Family {
  /** `# HELP` and `# TYPE` lines. */
  header: string[];
  samples: string[];
}

/** The families of a Prometheus text page, in order; a family's samples follow its header. */
function families(text: string): Map<string, Family> {
  const found = new Map<string, Family>();
  let current: Family | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const header = /^# (?:HELP|TYPE) (\S+)/.exec(line);
    if (header !== null) {
      const name = header[1]!;
      current = found.get(name);
      if (current === undefined) found.set(name, (current = { header: [], samples: [] }));
      current.header.push(line);
    } else if (current !== undefined) {
      current.samples.push(line);
    }
  }
  return found;
}

/** A sample's series: its name and labels, without the value. */
const seriesOf = (sample: string): string => sample.slice(0, sample.lastIndexOf(' '));

/**
 * One page of two registries' metrics. The text format wants each family once with its samples
 * together, so a family both have (the bus's consumer-lag gauge, registered wherever a bus is
 * made) gets the samples of `theirs` that `ours` lacks; a series both report (process metrics)
 * keeps ours.
 */
export function mergeMetricsText(ours: string, theirs: string): string {
  const merged = families(ours);
  for (const [name, family] of families(theirs)) {
    const mine = merged.get(name);
    if (mine === undefined) {
      merged.set(name, family);
      continue;
    }
    const known = new Set(mine.samples.map(seriesOf));
    for (const sample of family.samples) if (!known.has(seriesOf(sample))) mine.samples.push(sample);
  }
  return `${[...merged.values()].map((f) => [...f.header, ...f.samples].join('\n')).join('\n\n')}\n`;
}
