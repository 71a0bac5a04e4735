import { AGGREGATE_DETECTIONS, AGGREGATE_EVENTS } from '@repute/analytics';
import type { IndicatorRef } from '@repute/verdicts';
import { isoTime, type AnalyticsReader } from './analytics-reader.ts';

/** `tenant` empty means every tenant (admin); otherwise rows of that tenant only. */
export interface Scope {
  tenant: string;
}

const TENANT_FILTER = "({tenant:String} = '' OR tenant = {tenant:String})";
const ms = (sql: string) => `fromUnixTimestamp64Milli({${sql}:Int64}, 'UTC')`;

export interface IndicatorStats {
  global: { events: number; sensors: number; hosts: number; tenants: number; first_seen: string | null; last_seen: string | null; detections: Record<string, number> };
  own: { events: number; sensors: number; hosts: number; first_seen: string | null; last_seen: string | null };
}

/** Everything-time figures of one indicator: across tenants from the hourly aggregate, the caller's own from raw rows. */
export async function indicatorStats(reader: AnalyticsReader, ref: IndicatorRef, scope: Scope): Promise<IndicatorStats> {
  const params = { kind: ref.kind, digest: ref.digest, tenant: scope.tenant };
  const [global] = await reader.rows<{ events: string; sensors: string; hosts: string; tenants: string; first_seen: string; last_seen: string; engines: string[]; counts: string[]; n: string }>(
    `SELECT ${AGGREGATE_EVENTS} AS events, uniqMerge(sensors) AS sensors, uniqMerge(hosts) AS hosts, uniqMerge(tenants) AS tenants,
       min(first_seen) AS first_seen, max(last_seen) AS last_seen, ${AGGREGATE_DETECTIONS} AS d, mapKeys(d) AS engines, mapValues(d) AS counts, count() AS n
     FROM {db}.indicator_hourly WHERE kind = {kind:String} AND digest = {digest:String}`,
    params,
  );
  const [own] = await reader.rows<{ events: string; sensors: string; hosts: string; first_seen: string; last_seen: string }>(
    `SELECT count() AS events, uniqExact(sensor) AS sensors, uniqExact(host) AS hosts, min(time) AS first_seen, max(time) AS last_seen
     FROM {db}.telemetry_raw FINAL WHERE kind = {kind:String} AND digest = {digest:String} AND ${TENANT_FILTER}`,
    params,
  );
  const seen = global !== undefined && Number(global.n) > 0;
  const detections: Record<string, number> = {};
  if (seen) global.engines.forEach((e, i) => { detections[e] = Number(global.counts[i] ?? 0); });
  const ownSeen = own !== undefined && Number(own.events) > 0;
  return {
    global: {
      events: seen ? Number(global.events) : 0,
      sensors: seen ? Number(global.sensors) : 0,
      hosts: seen ? Number(global.hosts) : 0,
      tenants: seen ? Number(global.tenants) : 0,
      first_seen: seen ? isoTime(global.first_seen) : null,
      last_seen: seen ? isoTime(global.last_seen) : null,
      detections,
    },
    own: {
      events: ownSeen ? Number(own.events) : 0,
      sensors: ownSeen ? Number(own.sensors) : 0,
      hosts: ownSeen ? Number(own.hosts) : 0,
      first_seen: ownSeen ? isoTime(own.first_seen) : null,
      last_seen: ownSeen ? isoTime(own.last_seen) : null,
    },
  };
}

/** What the caller's sensors reported of a file: its names (most reported first), signers and size. */
export interface FileFacts {
  names: string[];
  signers: string[];
  /** Bytes; null when no sensor reported it. */
  size: number | null;
}

/**
 * A file's names, signers and size as the caller's tenant's sensors reported them (every
 * tenant's for admin keys): a name can carry a user's folder or a document title, so another
 * tenant's never shows.
 */
export async function fileFacts(reader: AnalyticsReader, ref: IndicatorRef, scope: Scope): Promise<FileFacts> {
  const [row] = await reader.rows<{ names: string[]; signers: string[]; size: string }>(
    `SELECT topKIf(5)(file_name, file_name != '') AS names, topKIf(3)(file_signer, file_signer != '') AS signers, maxIf(file_size, file_size > 0) AS size
     FROM {db}.telemetry_raw WHERE kind = 'file' AND digest = {digest:String} AND role = 'subject' AND ${TENANT_FILTER}`,
    { digest: ref.digest, tenant: scope.tenant },
  );
  const size = Number(row?.size ?? 0);
  return { names: row?.names ?? [], signers: row?.signers ?? [], size: size > 0 ? size : null };
}

export interface SightingBucket {
  time: string;
  events: number;
  sensors: number;
  hosts: number;
}

export interface GlobalBucket {
  time: string;
  events: number;
  sensors: number;
  tenants: number;
}

/** Sightings per bucket: the caller's own from raw rows, across tenants from the hourly aggregate. */
export async function sightings(reader: AnalyticsReader, ref: IndicatorRef, scope: Scope, range: { from: number; to: number; stepS: number }): Promise<{ own: SightingBucket[]; global: GlobalBucket[] }> {
  const params = { kind: ref.kind, digest: ref.digest, tenant: scope.tenant, from: range.from, to: range.to, step: range.stepS };
  const own = await reader.rows<{ t: string; events: string; sensors: string; hosts: string }>(
    `SELECT toStartOfInterval(time, toIntervalSecond({step:UInt32})) AS t, count() AS events, uniqExact(sensor) AS sensors, uniqExact(host) AS hosts
     FROM {db}.telemetry_raw FINAL
     WHERE kind = {kind:String} AND digest = {digest:String} AND ${TENANT_FILTER} AND time >= ${ms('from')} AND time < ${ms('to')}
     GROUP BY t ORDER BY t`,
    params,
  );
  const global = await reader.rows<{ t: string; events: string; sensors: string; tenants: string }>(
    `SELECT toStartOfInterval(hour, toIntervalSecond({step:UInt32})) AS t, ${AGGREGATE_EVENTS} AS events, uniqMerge(sensors) AS sensors, uniqMerge(tenants) AS tenants
     FROM {db}.indicator_hourly
     WHERE kind = {kind:String} AND digest = {digest:String} AND hour >= toStartOfHour(${ms('from')}) AND hour < ${ms('to')}
     GROUP BY t ORDER BY t`,
    params,
  );
  return {
    own: own.map((r) => ({ time: isoTime(r.t) ?? r.t, events: Number(r.events), sensors: Number(r.sensors), hosts: Number(r.hosts) })),
    global: global.map((r) => ({ time: isoTime(r.t) ?? r.t, events: Number(r.events), sensors: Number(r.sensors), tenants: Number(r.tenants) })),
  };
}

export interface SensorRow {
  tenant: string;
  sensor: string;
  host: string;
  events: number;
  first_seen: string | null;
  last_seen: string | null;
  roles: string[];
  engines: string[];
}

/** The sensors and hosts that saw an indicator, most recent first, within the caller's scope. */
export async function sensorsOf(reader: AnalyticsReader, ref: IndicatorRef, scope: Scope, page: { limit: number; offset: number }): Promise<{ total: number; items: SensorRow[] }> {
  const params = { kind: ref.kind, digest: ref.digest, tenant: scope.tenant, limit: page.limit, offset: page.offset };
  const rows = await reader.rows<{ tenant: string; sensor: string; host: string; events: string; first_seen: string; last_seen: string; roles: string[]; engines: string[]; total: string }>(
    `SELECT tenant, sensor, host, count() AS events, min(time) AS first_seen, max(time) AS last_seen,
       groupUniqArray(16)(role) AS roles, arrayDistinct(arrayFlatten(groupArray(16)(engines))) AS engines, count() OVER () AS total
     FROM {db}.telemetry_raw FINAL
     WHERE kind = {kind:String} AND digest = {digest:String} AND ${TENANT_FILTER}
     GROUP BY tenant, sensor, host
     ORDER BY last_seen DESC, tenant, sensor, host
     LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    params,
  );
  let total = rows[0] !== undefined ? Number(rows[0].total) : 0;
  if (rows.length === 0 && page.offset > 0) {
    const [c] = await reader.rows<{ n: string }>(
      `SELECT count() AS n FROM (SELECT 1 FROM {db}.telemetry_raw FINAL WHERE kind = {kind:String} AND digest = {digest:String} AND ${TENANT_FILTER} GROUP BY tenant, sensor, host)`,
      params,
    );
    total = Number(c?.n ?? 0);
  }
  return {
    total,
    items: rows.map((r) => ({ tenant: r.tenant, sensor: r.sensor, host: r.host, events: Number(r.events), first_seen: isoTime(r.first_seen), last_seen: isoTime(r.last_seen), roles: r.roles, engines: r.engines })),
  };
}

/** True when the tenant has any raw row of the indicator (it may then see its own figures). */
export async function tenantSaw(reader: AnalyticsReader, ref: IndicatorRef, tenant: string): Promise<boolean> {
  const [row] = await reader.rows<{ n: string }>(
    'SELECT count() AS n FROM (SELECT 1 FROM {db}.telemetry_raw WHERE kind = {kind:String} AND digest = {digest:String} AND tenant = {tenant:String} LIMIT 1)',
    { kind: ref.kind, digest: ref.digest, tenant },
  );
  return Number(row?.n ?? 0) > 0;
}
