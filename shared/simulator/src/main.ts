import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runSimulation } from './run-simulation.ts';

const USAGE = `usage: main.ts --url <base url> --key <lookup key> [--ingest-url <base url>] [--ingest-key <key> ...]
  [--seed N] [--tenants N] [--sensors N] [--campaigns N] [--duration <hours>] [--events N]
  [--speedup N] [--out <dir>] [--data <dir> | --generated] [--metrics-url <correlator /metrics>] [--timeout <s>]

Sends a seeded simulation through POST /v1/telemetry, then scores every labelled indicator
through POST /v1/reputation/batch. Give one --ingest-key per simulated tenant (the tenant comes
from the key; fewer keys merge tenants). --key needs the lookup scope, and is used for ingest
when no --ingest-key is given.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function int(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) fail(`--${name} must be a non-negative number`);
  return n;
}

/** Reads `repute_bus_consumer_lag_messages` (summed over groups) from a Prometheus text page. */
async function scrapeLag(url: string): Promise<number> {
  const res = await fetch(url);
  const body = await res.text();
  let lag = 0;
  for (const line of body.split('\n')) if (line.startsWith('repute_bus_consumer_lag_messages')) lag += Number(line.split(' ').at(-1));
  return lag;
}

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    key: { type: 'string' },
    'ingest-key': { type: 'string', multiple: true },
    'ingest-url': { type: 'string' },
    seed: { type: 'string' },
    tenants: { type: 'string' },
    sensors: { type: 'string' },
    campaigns: { type: 'string' },
    duration: { type: 'string' },
    events: { type: 'string' },
    out: { type: 'string' },
    data: { type: 'string' },
    generated: { type: 'boolean' },
    'metrics-url': { type: 'string' },
    timeout: { type: 'string' },
    speedup: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help === true) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (values.url === undefined) fail('--url is required');
if (values.key === undefined) fail('--key is required');
if (values.data !== undefined && !existsSync(join(values.data, 'SOURCES.md'))) fail(`--data ${values.data}: no indicator lists there (expected SOURCES.md); leave it out or pass --generated`);
const hours = int('duration', values.duration);
const metricsUrl = values['metrics-url'];
const report = await runSimulation({
  url: values.url,
  key: values.key,
  ...(values['ingest-url'] !== undefined ? { ingestUrl: values['ingest-url'] } : {}),
  ...(values['ingest-key'] !== undefined ? { ingestKeys: values['ingest-key'] } : {}),
  seed: int('seed', values.seed) ?? 1,
  ...(values.tenants !== undefined ? { tenants: int('tenants', values.tenants)! } : {}),
  ...(values.sensors !== undefined ? { sensors: int('sensors', values.sensors)! } : {}),
  ...(values.campaigns !== undefined ? { campaigns: int('campaigns', values.campaigns)! } : {}),
  ...(hours !== undefined ? { durationMs: hours * 3_600_000 } : {}),
  ...(values.events !== undefined ? { events: int('events', values.events)! } : {}),
  ...(values.generated === true ? { dataDir: null } : values.data !== undefined ? { dataDir: values.data } : {}),
  ...(metricsUrl !== undefined ? { lag: () => scrapeLag(metricsUrl) } : {}),
  ...(values.speedup !== undefined ? { speedup: int('speedup', values.speedup)! } : {}),
  ...(values.timeout !== undefined ? { settle: { timeoutMs: int('timeout', values.timeout)! * 1000 } } : {}),
  outDir: values.out ?? 'simulation',
  log: (line) => process.stderr.write(`${line}\n`),
});
const { renderText } = await import('./report-text.ts');
process.stdout.write(renderText(report));
if (report.files.json !== undefined) process.stdout.write(`wrote ${report.files.json}, ${report.files.svg}, ${report.files.text}\n`);
