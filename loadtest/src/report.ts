import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProfileSummary } from './flame-graph.ts';
import type { Phase } from './run-phase.ts';
import type { FreshnessResults } from './scenarios/freshness.ts';
import type { IngestResults } from './scenarios/ingest.ts';
import type { LookupResults } from './scenarios/lookups.ts';
import { barChart, cdfChart } from './svg-charts.ts';
import type { Verdict } from './thresholds.ts';

interface Results {
  at: string;
  mode: string;
  machine: { cpus: number; cpu: string; node: string; target: string };
  figures: Record<string, number | boolean | null>;
  baseline: { hello_rps: number; hello_p99_ms: number; redis_get_ops: number; redis_server: string };
  ratios: Record<string, unknown>;
  mix: Record<string, number>;
  seed_check: Record<string, Record<string, number>>;
  sources: string[];
  thresholds: Verdict[];
  phases: Phase[];
  duration_s: number;
}

interface Parts {
  lookups: LookupResults;
  ingest: IngestResults;
  freshness: FreshnessResults;
  profiles: Record<string, ProfileSummary> | undefined;
}

const n = (v: number): string => Math.round(v).toLocaleString('en-US');

/** report.md plus its charts (latency.svg, throughput.svg, freshness.svg) in `out`. */
export function writeReport(out: string, r: Results, parts: Parts): void {
  const measured = r.phases.filter((p) => p.scenario !== 'warm-up');
  writeFileSync(join(out, 'latency.svg'), barChart('Latency percentiles per phase (ms); ½ = constant rate at half the maximum', 'ms', ['p50', 'p95', 'p99'],
    measured.map((p) => ({ label: p.name, values: [p.latency.p50, p.latency.p95, p.latency.p99] })), { value: 5, label: 'single-lookup p99 goal 5 ms' }));
  writeFileSync(join(out, 'throughput.svg'), barChart('Throughput: requests/s and items/s (indicators or events)', '/s', ['requests/s', 'items/s'], [
    ...measured.map((p) => ({ label: p.name, values: [Math.round(p.rps), Math.round(p.rps * p.itemsPerRequest)] })),
    { label: 'redis-benchmark -t get (baseline)', values: [r.baseline.redis_get_ops, r.baseline.redis_get_ops] },
  ]));
  writeFileSync(join(out, 'freshness.svg'), cdfChart('Freshness: deciding evidence posted → edge answers malicious (cumulative)', [
    { name: 'idle', samples: parts.freshness.idle.samples },
    { name: `ingest at ${n(parts.freshness.loaded.eventsPerS)} events/s`, samples: parts.freshness.loaded.samples },
  ], { value: 250, label: 'goal p99 250 ms' }));

  const f = r.figures;
  const row = (p: Phase): string => `| ${p.name} | ${p.mode === 'closed' ? 'closed loop' : `constant ${n(p.targetRate ?? 0)}/s`} | ${p.connections} | ${n(p.rps)} | ${n(p.rps * p.itemsPerRequest)} | ${p.latency.p50} | ${p.latency.p95} | ${p.latency.p99} | ${p.latency.max} | ${p.non2xx} | ${p.errors} | ${p.serverCores ?? '–'} | ${p.generatorCores ?? '–'} |`;
  const lines = [
    '# Load test report',
    '',
    `${r.at}, ${r.mode} run (${r.duration_s} s), ${r.machine.cpus} × ${r.machine.cpu}, Node ${r.machine.node}; target: ${r.machine.target}. Server, Redis, correlator and load generator share the cores, so absolute figures move with the neighbours; the ratios to the baselines measured in the same run are what to compare across runs.`,
    '',
    '## Goals',
    '',
    '| threshold | what | value | limit | |',
    '| --- | --- | --- | --- | --- |',
    ...r.thresholds.map((t) => `| \`${t.name}\` | ${t.what} | ${t.value} | ${t.kind === 'max' ? '≤' : '≥'} ${t.limit} | ${t.ok ? 'ok' : '**FAIL**'} |`),
    '',
    '## Headline figures',
    '',
    `- Single lookups, mix of every kind: **${n(Number(f['lookup_rps']))} req/s** at most (closed loop, ${parts.lookups.singleMax.connections} connections) = **${String(r.ratios['lookup_vs_hello'])}×** the Fastify hello-world (${n(r.baseline.hello_rps)} req/s, same generator; pairs ${JSON.stringify(r.ratios['lookup_vs_hello_pairs'])}).`,
    `- At half that rate, constant: p50 ${String(f['lookup_p50_ms_half_load'])} ms, p95 ${String(f['lookup_p95_ms_half_load'])} ms, **p99 ${String(f['lookup_p99_ms_half_load'])} ms**.`,
    `- Batches of 100: ${n(Number(f['batch_rps']))} req/s = ${n(Number(f['batch_indicators_per_s']))} indicators/s (${String(r.ratios['batch_indicators_vs_single'])}× single lookups); p99 at half rate ${String(f['batch_p99_ms_half_load'])} ms.`,
    `- Ingest: the API accepted **${n(Number(f['ingest_events_per_s']))} events/s**; the correlator processed ${n(Number(f['ingest_sustained_events_per_s']))} events/s end to end${f['ingest_drained'] ? '' : ' (and had not caught up within the bounded wait)'}.`,
    `- Freshness, idle: p50 ${String(f['freshness_idle_p50_ms'])} ms, p99 ${String(f['freshness_idle_p99_ms'])} ms; with ingest at ${n(Number(f['freshness_events_per_s']))} events/s (½ the sustained rate): p50 ${String(f['freshness_p50_ms'])} ms, **p99 ${String(f['freshness_p99_ms'])} ms**.`,
    `- Baselines: Fastify hello-world ${n(r.baseline.hello_rps)} req/s (p99 ${r.baseline.hello_p99_ms} ms); \`redis-benchmark -t get -c ${parts.lookups.singleMax.connections}\` ${n(r.baseline.redis_get_ops)} ops/s (${r.baseline.redis_server}).`,
    '',
    '![latency](latency.svg)',
    '',
    '![throughput](throughput.svg)',
    '',
    '![freshness](freshness.svg)',
    '',
    '## Phases',
    '',
    'Latency is measured per request in microseconds. Constant-rate phases count it from the moment the request was due, so a stall shows up as latency, not as fewer requests. Server and generator columns are cores used over the phase (from /proc).',
    '',
    '| phase | load | conns | req/s | items/s | p50 ms | p95 ms | p99 ms | max ms | non-2xx | errors | server cores | generator cores |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...measured.map(row),
    '',
    '## Lookup mix',
    '',
    `Shares in the ${Object.values(r.mix).reduce((a, b) => a + b, 0) / 2} indicators replayed: ${Object.entries(r.mix).map(([k, v]) => `${k} ${v}`).join(', ')}. Values: ${r.sources.join('; ')}; unknown files and IPs are random. What the edge answered for a sample of each share:`,
    '',
    '| share | answers |',
    '| --- | --- |',
    ...Object.entries(r.seed_check).map(([k, v]) => `| ${k} | ${Object.entries(v).map(([verdict, c]) => `${verdict} ${c}`).join(', ')} |`),
    '',
  ];
  if (parts.profiles !== undefined) {
    for (const [name, p] of Object.entries(parts.profiles)) {
      lines.push(`## CPU profile: ${name}`, '', `${p.samples} samples of the launcher process in the ${name} phases, ${Math.round(p.busyShare * 100)} % of them busy. Flame graph: [flame-${name}.svg](flame-${name}.svg). Top self time:`, '', '| function | self % of busy |', '| --- | --- |', ...p.topSelf.slice(0, 15).map((t) => `| \`${t.name}\` | ${t.share} |`), '', 'Longest stretches without a break in the event loop (every request waiting on it waits this long):', '', ...p.longestRuns.map((r) => `- ${r.ms} ms: ${r.frames.map((f) => `\`${f.name}\` ×${f.samples}`).join(', ')}`), '');
    }
  }
  writeFileSync(join(out, 'report.md'), `${lines.join('\n')}\n`);
}
