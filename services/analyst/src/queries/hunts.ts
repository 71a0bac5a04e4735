import { AGGREGATE_DETECTIONS, AGGREGATE_EVENTS } from '@repute/analytics';
import { isoTime, type AnalyticsReader } from './analytics-reader.ts';

export interface HuntRow {
  kind: string;
  value: string;
  digest: string;
  first_seen: string | null;
  last_seen: string | null;
  events: number;
  sensors: number;
  tenants: number;
  /** Distinct sensors in the later half of the window minus those in the earlier half. */
  growth: number;
  detections: number;
}

export interface HuntQuery {
  from: number;
  to: number;
  kind: string;
  /** '' for admin: every indicator; otherwise only those the tenant saw or that k tenants saw. */
  tenant: string;
  k: number;
  limit: number;
  offset: number;
}

// "New" means unseen in the 30 days before the window: the hourly aggregate keeps no TTL, and
// reading its whole history per hunt would grow without bound.
const NEW_LOOKBACK_MS = 30 * 86_400_000;

const VISIBLE = `(
  {tenant:String} = ''
  OR n_tenants >= {k:UInt32}
  OR (kind, digest) IN (SELECT kind, digest FROM {db}.telemetry_raw WHERE tenant = {tenant:String} AND time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC'))
)`;

function mapRow(r: Record<string, string>): HuntRow {
  return {
    kind: r['kind'] ?? '', value: r['value'] ?? '', digest: r['digest'] ?? '',
    first_seen: isoTime(r['first_seen']), last_seen: isoTime(r['last_seen']),
    events: Number(r['n_events']), sensors: Number(r['n_sensors']), tenants: Number(r['n_tenants']),
    growth: Number(r['growth']), detections: Number(r['detections']),
  };
}

// What every hunt reports per indicator: growth compares distinct sensors in the window's
// second half ({mid} onwards) with its first half.
const HUNT_COLUMNS = `kind, digest, any(value) AS value, min(first_seen) AS first_seen, max(last_seen) AS last_seen, ${AGGREGATE_EVENTS} AS n_events,
       uniqMerge(sensors) AS n_sensors, uniqMerge(tenants) AS n_tenants,
       toInt64(uniqMergeIf(sensors, hour >= toStartOfHour(fromUnixTimestamp64Milli({mid:Int64}, 'UTC')))) - toInt64(uniqMergeIf(sensors, hour < toStartOfHour(fromUnixTimestamp64Milli({mid:Int64}, 'UTC')))) AS growth,
       arraySum(mapValues(${AGGREGATE_DETECTIONS})) AS detections`;

/** Indicators first seen inside the window, ranked by how fast their sensor count grows. */
export async function newAndSpreading(reader: AnalyticsReader, q: HuntQuery): Promise<HuntRow[]> {
  const mid = Math.floor((q.from + q.to) / 2);
  const rows = await reader.rows<Record<string, string>>(
    `SELECT ${HUNT_COLUMNS}
     FROM {db}.indicator_hourly
     WHERE hour >= toStartOfHour(fromUnixTimestamp64Milli({lookback:Int64}, 'UTC')) AND hour < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
       AND ({kind:String} = '' OR kind = {kind:String})
     GROUP BY kind, digest
     HAVING first_seen >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ${VISIBLE}
     ORDER BY growth DESC, n_sensors DESC, n_events DESC, digest
     LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    { ...q, mid, lookback: q.from - NEW_LOOKBACK_MS },
  );
  return rows.map(mapRow);
}

/** Indicators with the most engine detections inside the window. */
export async function topDetections(reader: AnalyticsReader, q: HuntQuery): Promise<HuntRow[]> {
  const mid = Math.floor((q.from + q.to) / 2);
  const rows = await reader.rows<Record<string, string>>(
    `SELECT ${HUNT_COLUMNS}
     FROM {db}.indicator_hourly
     WHERE hour >= toStartOfHour(fromUnixTimestamp64Milli({from:Int64}, 'UTC')) AND hour < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
       AND ({kind:String} = '' OR kind = {kind:String})
     GROUP BY kind, digest
     HAVING detections > 0 AND ${VISIBLE}
     ORDER BY detections DESC, n_sensors DESC, digest
     LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    { ...q, mid },
  );
  return rows.map(mapRow);
}
