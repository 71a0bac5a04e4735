import type { SimulationReport } from './run-simulation.ts';

const pct = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
const secs = (ms: number | null): string => (ms === null ? '-' : `${(ms / 1000).toFixed(2)} s`);
const mins = (ms: number | null): string => (ms === null ? '-' : `${Math.round(ms / 60_000)} min`);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The report as plain-text tables (what the CLI prints). */
export function renderText(r: SimulationReport): string {
  const k = r.evaluation.kinds;
  const quality = table(
    ['kind', 'malicious', 'benign', 'precision', 'recall', 'FPR', 'prec m+s', 'recall m+s', 'FPR m+s'],
    (['file', 'url', 'domain', 'ip', 'all'] as const).map((kind) => {
      const q = k[kind];
      return [kind, String(q.malicious), String(q.benign), pct(q.strict.precision), pct(q.strict.recall), pct(q.strict.falsePositiveRate), pct(q.severe.precision), pct(q.severe.recall), pct(q.severe.falsePositiveRate)];
    }),
  );
  const roles = table(
    ['malicious role', 'total', 'malicious', 'm+s'],
    Object.entries(r.evaluation.roles).sort().map(([role, v]) => [role, String(v.total), String(v.malicious), String(v.severe)]),
  );
  const campaigns = table(
    ['campaign', 'vector', 'victims', 'tenants', 'primary', 'to suspicious', 'to malicious', 'virtual', 'convicted'],
    r.campaigns.map((c) => [c.id, c.vector, String(c.victims), String(c.tenants), c.finalVerdict, secs(c.timeToSuspiciousMs), secs(c.timeToMaliciousMs), mins(c.virtualTimeToMaliciousMs), `${c.indicators.malicious}/${c.indicators.total}`]),
  );
  const fps = r.evaluation.falsePositives.slice(0, 20).map((f) => `  ${f.verdict.padEnd(10)} ${f.kind.padEnd(6)} ${f.role.padEnd(16)} ${f.value}\n      ${f.reasons.join('; ')}`);
  return [
    `Repute simulation, seed ${r.seed} (indicators from ${r.indicatorSource})`,
    `window ${r.window.start} .. ${r.window.end}; ${r.tenants.simulated} tenants over ${r.tenants.keys} ingest key(s), ${r.sensors} endpoint sensors`,
    `events: ${r.events.generated} generated, ${r.events.accepted} accepted, ${r.events.rejected} rejected, sent in ${secs(r.events.sendMs)} (${r.events.perSecond}/s)`,
    `settle: ${r.settle.settled ? 'settled' : 'NOT settled'} in ${secs(r.settle.ms)}${r.settle.lagZero === null ? '' : `, pipeline lag ${r.settle.lagZero ? 'reached 0' : 'did not reach 0'}`}`,
    `truth: ${r.truth.scored} indicators scored (${r.truth.malicious} malicious, ${r.truth.benign} benign); ${r.truth.email} e-mail senders not served by the edge`,
    '',
    'Verdict quality (precision/recall of `malicious`; "m+s" counts `suspicious` as positive too)',
    quality,
    '',
    'Recall by role of malicious indicators',
    roles,
    '',
    'Campaigns (time to conviction: wall clock from the first event sent to the edge answering for the primary indicator)',
    campaigns,
    '',
    `False positives (benign answered malicious or suspicious): ${r.evaluation.falsePositives.length}; signed software convicted: ${r.evaluation.convictedSignedSoftware.length}`,
    ...fps,
    '',
  ].join('\n');
}
