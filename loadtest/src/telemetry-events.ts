import { createHash } from 'node:crypto';
import type { IndicatorSets } from './indicators.ts';
import type { RequestSpec } from './load-spec.ts';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * Telemetry posts as a fleet sends them: mostly files seen (some with the URL they came
 * from), URL visits, DNS answers and connections, on the unknown values of the lookup mix
 * (real top-site domains); no local verdicts, so the background load does not convict
 * anything the lookup mix asks for.
 */
export function telemetryPosts(sets: IndicatorSets, posts: number, eventsPerPost: number, run: string): RequestSpec[] {
  const domains = sets.unknown.filter((i) => i.kind === 'domain').map((i) => i.value);
  const ips = sets.unknown.filter((i) => i.kind === 'ip' && !i.value.includes(':')).map((i) => i.value);
  const at = <T>(xs: T[], i: number, fallback: T): T => (xs.length === 0 ? fallback : xs[i % xs.length]!);
  const now = Date.now();
  return Array.from({ length: posts }, (_, p) => {
    const events = Array.from({ length: eventsPerPost }, (_, e) => {
      const i = p * eventsPerPost + e;
      const base = { id: `${run}-${i}`, sensor: `sensor-${i % 500}`, host: `host-${i % 5000}`, time: now - (i % 60_000) };
      const domain = at(domains, i, `site${i % 5000}.example`);
      switch (i % 10) {
        case 0: case 1: case 2: case 3:
          return { ...base, type: 'file_seen', file: { sha256: sha(`${run}-file-${i % 20_000}`), name: `setup-${i % 97}.exe`, size: 1000 + (i % 100_000) } };
        case 4: case 5:
          return { ...base, type: 'file_seen', file: { sha256: sha(`${run}-dl-${i % 20_000}`) }, relations: { downloadedFrom: `https://dl.${domain}/files/${i % 1000}/setup.exe` } };
        case 6: case 7:
          return { ...base, type: 'url_visit', url: `https://www.${domain}/path/${i % 300}/index.html` };
        case 8:
          return { ...base, type: 'dns_resolve', domain, relations: { resolvedIps: [at(ips, i, '203.0.113.7')] } };
        default:
          return { ...base, type: 'net_conn', ip: at(ips, i + 7, '203.0.113.9'), port: 443 };
      }
    });
    return { method: 'POST' as const, path: '/v1/telemetry', body: JSON.stringify(events) };
  });
}

/** A file with an engine detection and a malicious sandbox report in one post: enough evidence for a malicious verdict. */
export function decidingPost(sha256: string, n: number): string {
  const time = Date.now();
  return JSON.stringify([
    { id: `fresh-${n}-d`, sensor: 'fresh-av', host: `fresh-${n}`, time, type: 'detection', file: { sha256 }, verdict: { engine: 'av1', category: 'malicious' } },
    { id: `fresh-${n}-s`, sensor: 'fresh-sandbox', host: `fresh-${n}`, time, type: 'sandbox_report', file: { sha256 }, verdict: { engine: 'sandbox', category: 'malicious' } },
  ]);
}
