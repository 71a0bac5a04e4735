import type { ClickHouseClient } from '@repute/analytics';
import { recordKey } from '@repute/core';
import type { RedisClient } from '@repute/store';
import type { Correlator } from '../correlator.ts';
import {
  execBySlot, POLYMORPHIC_FIELD, stateKeys,
  type IndicatorRef, type KeyCommand, type Policy, type PolymorphicDownloads,
} from '@repute/verdicts';

export interface PolymorphicDeps {
  redis: RedisClient;
  clickhouse: ClickHouseClient;
  database: string;
  prefix: string;
}

/** Files read per URL at most: enough to tell builds from a release, bounded on a busy mirror. */
const FILES_PER_URL = 200;
/**
 * Share of a URL's unsigned files that must each be on one machine only. Not all: one victim's
 * build may be copied to a second machine (a share, a backup) without the URL serving it twice.
 */
const MIN_SINGLE_SHARE = 0.8;

interface CandidateRow {
  digest: string;
  value: string;
  files: string[];
}

interface FileRow {
  digest: string;
  machines: string | number;
  signed: number;
  tenants: string[];
}

export interface PolymorphicScan {
  /** URLs found serving a build of their own to each machine (their finding written). */
  found: IndicatorRef[];
  /** URLs that served several files lately but no longer qualify (their finding removed if any). */
  cleared: IndicatorRef[];
}

/**
 * Server-side polymorphism: a URL that served a build of its own to each machine. A dropper's
 * distribution point hands every victim a freshly built file, so that no engine has seen the
 * next one (AMICO counts a URL's distinct and never-seen hashes; Nazca's candidates include hosts
 * serving many changing executables: reference/correlation.md §2). A legitimate download
 * serves one file to everyone, a release URL a few builds each seen on many machines, and
 * per-user installers are signed. Finds the URLs that first served, in the last `windowHours`,
 * at least `minFiles` distinct unsigned files, most of them (`MIN_SINGLE_SHARE`) on one machine
 * each, to machines of at least `minTenants` tenants, and writes the finding on each URL's state
 * (`POLYMORPHIC_FIELD`), naming those tenants: the consensus rules then decide whose view it
 * convicts in. A URL that served several files lately but no longer qualifies loses its
 * finding. Returns both, to be re-scored.
 */
export async function scanPolymorphicDownloads(deps: PolymorphicDeps, policy: Policy, now = Date.now()): Promise<PolymorphicScan> {
  const c = policy.doc.propagation.polymorphic;
  if (c === undefined) return { found: [], cleared: [] };
  const db = deps.database;
  const candidates = await (await deps.clickhouse.query({
    // Only files it first served within the window count: a niche tool's download link serving
    // one new version a month to one machine is no dropper, however many months it has served.
    query: `SELECT src_digest AS digest, any(src_value) AS value, groupArray({perUrl:UInt32})(dst_digest) AS files
            FROM (
              SELECT src_digest, dst_digest, any(src_value) AS src_value, min(first_seen) AS first FROM ${db}.relations
              WHERE src_kind = 'url' AND rel = 'downloaded_from' AND direction = 'in' AND dst_kind = 'file'
              GROUP BY src_digest, dst_digest
              HAVING first >= fromUnixTimestamp64Milli({since:Int64})
            )
            GROUP BY src_digest
            HAVING count() >= {minFiles:UInt32}`,
    query_params: { perUrl: FILES_PER_URL, minFiles: c.minFiles, since: Math.round(now - c.windowHours * 3_600_000) },
    format: 'JSONEachRow',
  })).json<CandidateRow>();
  if (candidates.length === 0) return { found: [], cleared: [] };

  // Machines count by (tenant, host): sensor names repeat from tenant to tenant.
  const files = await (await deps.clickhouse.query({
    query: `SELECT digest, uniqExact(tenant, host) AS machines, max(signed) AS signed, groupUniqArray(tenant) AS tenants
            FROM ${db}.telemetry_raw WHERE kind = 'file' AND digest IN {digests:Array(String)}
            GROUP BY digest`,
    query_params: { digests: [...new Set(candidates.flatMap((r) => r.files))] },
    format: 'JSONEachRow',
  })).json<FileRow>();
  const byDigest = new Map(files.map((f) => [f.digest, f]));

  const found: { ref: IndicatorRef; finding: PolymorphicDownloads }[] = [];
  const cleared: IndicatorRef[] = [];
  for (const r of candidates) {
    const ref: IndicatorRef = { kind: 'url', value: r.value, digest: r.digest, key: recordKey('url', r.digest) };
    const unsigned = r.files.map((d) => byDigest.get(d)).filter((f): f is FileRow => f !== undefined && Number(f.signed) === 0);
    const singles = unsigned.filter((f) => Number(f.machines) === 1);
    const tenants = [...new Set(singles.flatMap((f) => f.tenants))].sort();
    if (singles.length >= c.minFiles && singles.length >= MIN_SINGLE_SHARE * unsigned.length && tenants.length >= c.minTenants) {
      const machines = unsigned.reduce((n, f) => n + Number(f.machines), 0);
      found.push({ ref, finding: { files: unsigned.length, machines, tenants } });
    } else {
      cleared.push(ref);
    }
  }
  const written = await execBySlot(deps.redis, [
    ...found.map(({ ref, finding }): KeyCommand => ['hset', stateKeys(deps.prefix, ref.key).state, POLYMORPHIC_FIELD, JSON.stringify(finding)]),
    ...cleared.map((ref): KeyCommand => ['hdel', stateKeys(deps.prefix, ref.key).state, POLYMORPHIC_FIELD]),
  ]);
  return {
    found: found.map((f) => f.ref),
    // Only the URLs that had a finding to lose need scoring again.
    cleared: cleared.filter((_, i) => Number(written[found.length + i]) > 0),
  };
}

const TAKE_TURN = `local last = tonumber(redis.call('GET', KEYS[1]) or '-1e18')
if tonumber(ARGV[1]) - last < tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1`;

/**
 * Runs the scan when its interval is due and no other correlator sharing the Redis prefix ran
 * it within the interval, then re-scores what it found and what it cleared (a URL convicted
 * this way walks in the next propagation round, to the builds it served).
 */
export function polymorphicScanner(deps: PolymorphicDeps & { correlator: Pick<Correlator, 'rescore'> }): (policy: Policy) => Promise<void> {
  let scannedAt = Number.NEGATIVE_INFINITY;
  return async (policy) => {
    const c = policy.doc.propagation.polymorphic;
    const now = Date.now();
    if (c === undefined || now - scannedAt < c.intervalMs) return;
    scannedAt = now;
    // The turn is taken by the time of the last scan, on the scanning correlator's clock, not by
    // a key's expiry on Redis's: every correlator shares the one schedule, whatever clock drives it.
    const due = await deps.redis.eval(TAKE_TURN, 1, `${deps.prefix}corr:polymorphic:scanned`, now, c.intervalMs);
    if (Number(due) !== 1) return;
    const { found, cleared } = await scanPolymorphicDownloads(deps, policy, now);
    if (found.length + cleared.length > 0) await deps.correlator.rescore([...found, ...cleared], 'propagation');
  };
}
