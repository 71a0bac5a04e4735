/** The parts of a V8 `.cpuprofile` (what `--cpu-prof` writes) a flame graph needs. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface Frame { name: string; self: number; total: number; children: Map<string, Frame> }

const IDLE = new Set(['(idle)', '(program)', '(garbage collector)']);

function label(frame: CpuProfile['nodes'][number]['callFrame'], repoRoot: string): string {
  const fn = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return fn;
  const file = frame.url.replace(/^file:\/\//, '').replace(`${repoRoot}/`, '').replace(/^.*node_modules\//, '');
  return `${fn} ${file}:${frame.lineNumber + 1}`;
}

/** Samples of a profile taken within the given windows (µs, the profile's own clock), as one stack each. */
function stacks(profile: CpuProfile, windows: { startUs: number; endUs: number }[] | undefined, repoRoot: string): { stack: string[]; count: number }[] {
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map<number, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (windows !== undefined && !windows.some((w) => t >= w.startUs && t <= w.endUs)) continue;
    counts.set(profile.samples[i]!, (counts.get(profile.samples[i]!) ?? 0) + 1);
  }
  const out: { stack: string[]; count: number }[] = [];
  for (const [id, count] of counts) {
    const stack: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (frame.functionName !== '(root)') stack.unshift(label(frame, repoRoot));
    }
    out.push({ stack, count });
  }
  return out;
}

/** A stretch of back-to-back busy samples: the event loop ran JavaScript (or GC) without a break. */
export interface BusyRun {
  ms: number;
  /** The project frames (services/, shared/) nearest the leaf in the run's samples, by count. */
  frames: { name: string; samples: number }[];
}

export interface ProfileSummary {
  samples: number;
  /** The longest busy runs: each is a stall every request waiting on this event loop sees. */
  longestRuns: BusyRun[];
  /** Share of samples in JavaScript and native code, not idle. */
  busyShare: number;
  /** Functions by self time (share of busy samples). */
  topSelf: { name: string; share: number }[];
  svg: string;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A flame graph (root at the bottom, width = samples) and the top functions by self time, of
 * the samples inside `windows`. Idle and "(program)" samples are left out of both: they are
 * time the process was not running JavaScript for this load.
 */
export function summarizeProfile(profile: CpuProfile, title: string, repoRoot: string, windows?: { startUs: number; endUs: number }[]): ProfileSummary {
  const all = stacks(profile, windows, repoRoot);
  const longestRuns = busyRuns(profile, windows, repoRoot);
  const total = all.reduce((s, x) => s + x.count, 0);
  const busy = all.filter((x) => !IDLE.has(x.stack.at(-1) ?? '') || x.stack.at(-1) === '(garbage collector)');
  const root: Frame = { name: 'all', self: 0, total: 0, children: new Map() };
  const self = new Map<string, number>();
  for (const { stack, count } of busy) {
    root.total += count;
    let at = root;
    for (const name of stack) {
      let child = at.children.get(name);
      if (child === undefined) at.children.set(name, (child = { name, self: 0, total: 0, children: new Map() }));
      child.total += count;
      at = child;
    }
    at.self += count;
    const leaf = stack.at(-1) ?? 'all';
    self.set(leaf, (self.get(leaf) ?? 0) + count);
  }
  const topSelf = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([name, n]) => ({ name, share: Math.round((n / Math.max(1, root.total)) * 1000) / 10 }));

  const width = 1200;
  const rowH = 16;
  let depth = 0;
  const rects: string[] = [];
  const place = (f: Frame, x: number, level: number): void => {
    const w = (f.total / Math.max(1, root.total)) * width;
    if (w < 0.5) return;
    depth = Math.max(depth, level);
    // Warm colours by a hash of the name, so the same function keeps its colour across graphs.
    let h = 0;
    for (let i = 0; i < f.name.length; i++) h = (h * 31 + f.name.charCodeAt(i)) >>> 0;
    const fill = f.name.includes('node_modules') || !f.name.includes('/') ? `hsl(${20 + (h % 30)},80%,${55 + (h % 15)}%)` : `hsl(${45 + (h % 15)},85%,${55 + (h % 15)}%)`;
    const pct = ((f.total / Math.max(1, root.total)) * 100).toFixed(1);
    const text = w > 40 ? `<text x="${(x + 3).toFixed(1)}" y="${-level * rowH - 4}" font-size="11">${esc(f.name.slice(0, Math.floor(w / 6.5)))}</text>` : '';
    rects.push(`<g><title>${esc(f.name)} (${pct}%, self ${((f.self / Math.max(1, root.total)) * 100).toFixed(1)}%)</title><rect x="${x.toFixed(1)}" y="${-(level + 1) * rowH}" width="${(w - 0.3).toFixed(1)}" height="${rowH - 1}" fill="${fill}"/>${text}</g>`);
    let cx = x;
    for (const c of [...f.children.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      place(c, cx, level + 1);
      cx += (c.total / Math.max(1, root.total)) * width;
    }
  };
  place(root, 0, 0);
  const height = (depth + 1) * rowH + 40;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace"><rect width="100%" height="100%" fill="#fff"/><text x="4" y="16" font-size="13">${esc(title)} — ${root.total} busy samples of ${total}; hover a frame for its share</text><g transform="translate(0,${height - 4})">${rects.join('')}</g></svg>\n`;
  return { samples: total, longestRuns, busyShare: Math.round((root.total / Math.max(1, total)) * 1000) / 1000, topSelf, svg };
}

function busyRuns(profile: CpuProfile, windows: { startUs: number; endUs: number }[] | undefined, repoRoot: string): BusyRun[] {
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const projectFrame = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      if (/\/(services|shared)\//.test(f.url) && !f.url.includes('node_modules')) return label(f, repoRoot);
    }
    return label(byId.get(id)!.callFrame, repoRoot);
  };
  const runs: { startUs: number; endUs: number; ids: number[] }[] = [];
  let current: { startUs: number; endUs: number; ids: number[] } | undefined;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const id = profile.samples[i]!;
    const leaf = byId.get(id)!.callFrame.functionName;
    const inside = windows === undefined || windows.some((w) => t >= w.startUs && t <= w.endUs);
    if (!inside || leaf === '(idle)' || leaf === '(program)') {
      if (current !== undefined) runs.push(current);
      current = undefined;
      continue;
    }
    current ??= { startUs: t, endUs: t, ids: [] };
    current.endUs = t;
    current.ids.push(id);
  }
  if (current !== undefined) runs.push(current);
  return runs.sort((a, b) => (b.endUs - b.startUs) - (a.endUs - a.startUs)).slice(0, 5).map((r) => {
    const counts = new Map<string, number>();
    for (const id of r.ids) {
      const name = projectFrame(id);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return { ms: Math.round((r.endUs - r.startUs) / 100) / 10, frames: [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([name, samples]) => ({ name, samples })) };
  });
}
