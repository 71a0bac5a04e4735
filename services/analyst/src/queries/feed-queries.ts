import { INDICATOR_KINDS } from '@repute/core';
import { isoTime, type AnalyticsReader } from './analytics-reader.ts';

export interface FeedItem {
  kind: string;
  value: string;
  digest: string;
  verdict: string;
  score: number;
  /** When it first became malicious (epoch ms). */
  created: number;
  /** Its latest verdict change (epoch ms): the position feeds and TAXII page by. */
  modified: number;
  /** Was malicious, is not any more (TAXII tells clients to drop it). */
  revoked: boolean;
}

/** Position after an item: its change time, then kind and digest to break ties. */
export interface FeedCursor {
  t: number;
  k: string;
  d: string;
}

/**
 * A cursor as clients hold it: `<epoch ms>.<kind>.<digest hex>`, the position after an item.
 * Plain text so that the document can state its form exactly: any string of this form names a
 * position and pages resume from there, whoever wrote it. Thirteen digits reach the year 2286,
 * within the verdict log's DateTime64 range.
 */
export const CURSOR_PATTERN = `^([0-9]{1,13})\\.(${INDICATOR_KINDS.join('|')})\\.([0-9a-f]{64})$`;
/** The latest time a position can name: thirteen digits of milliseconds. */
export const LATEST_POSITION_MS = 9_999_999_999_999;
export const CURSOR_MAX_LENGTH = 13 + 1 + Math.max(...INDICATOR_KINDS.map((k) => k.length)) + 1 + 64;
const CURSOR = new RegExp(CURSOR_PATTERN);

export function encodeCursor(c: FeedCursor): string {
  return `${c.t}.${c.k}.${c.d}`;
}

/** The position a cursor names, or null when it is not of the cursor form. */
export function decodeCursor(text: string): FeedCursor | null {
  const m = CURSOR.exec(text);
  return m === null ? null : { t: Number(m[1]), k: m[2]!, d: m[3]! };
}

/**
 * The latest verdict of every indicator that is (or, with `includeRevoked`, was) malicious,
 * changed after `after`, in change order. Read from the verdict log, so a feed is a replay of
 * what the correlator decided and pages stay stable while new changes append at the end.
 */
export async function maliciousFeed(reader: AnalyticsReader, q: { kind: string; after: FeedCursor; limit: number; includeRevoked: boolean; until?: number }): Promise<FeedItem[]> {
  const rows = await reader.rows<{ kind: string; digest: string; latest_value: string; latest_verdict: string; latest_score: number; created: string; modified: string }>(
    `SELECT kind, digest, argMax(value, (time, record_version)) AS latest_value, argMax(verdict, (time, record_version)) AS latest_verdict,
       argMax(score, (time, record_version)) AS latest_score,
       toUnixTimestamp64Milli(minIf(time, verdict = 'malicious')) AS created, toUnixTimestamp64Milli(max(time)) AS modified
     FROM {db}.verdict_log
     WHERE ({kind:String} = '' OR kind = {kind:String})
       AND (kind, digest) IN (SELECT kind, digest FROM {db}.verdict_log WHERE time >= fromUnixTimestamp64Milli({t:Int64}, 'UTC') AND ({kind:String} = '' OR kind = {kind:String}))
     GROUP BY kind, digest
     HAVING countIf(verdict = 'malicious') > 0 AND (latest_verdict = 'malicious' OR {revoked:Bool})
       AND (modified, kind, digest) > ({t:Int64}, {k:String}, {d:String})
       AND modified <= {until:Int64}
     ORDER BY modified, kind, digest
     LIMIT {limit:UInt32}`,
    { kind: q.kind, t: q.after.t, k: q.after.k, d: q.after.d, revoked: q.includeRevoked, limit: q.limit, until: q.until ?? 9_999_999_999_999 },
  );
  return rows.map((r) => ({ kind: r.kind, digest: r.digest, value: r.latest_value, verdict: r.latest_verdict, score: Number(r.latest_score), created: Number(r.created), modified: Number(r.modified), revoked: r.latest_verdict !== 'malicious' }));
}

export interface AuditRow {
  time: string;
  kind: string;
  value: string;
  verdict: string;
  /** The key that acted. */
  analyst: string;
  /** The person the key acted for, '' when the request named none. */
  actor: string;
  tenant: string;
  scope: 'global' | 'tenant';
  comment: string;
  active: boolean;
}

interface AuditSql { time: string; kind: string; value: string; verdict: string; analyst: string; actor: string; tenant: string; scope: string; comment: string; active: number }

const AUDIT_COLUMNS = 'time, kind, value, verdict, analyst, actor, tenant, scope, comment, active';

function auditRow(r: AuditSql): AuditRow {
  return {
    time: isoTime(r.time) ?? r.time, kind: r.kind, value: r.value, verdict: r.verdict, analyst: r.analyst, actor: r.actor, tenant: r.tenant,
    scope: r.scope === 'tenant' ? 'tenant' : 'global', comment: r.comment, active: Number(r.active) === 1,
  };
}

/**
 * The override audit trail, newest first. A tenant sees its own overrides and every global one
 * (they decide its lookups too, so it may know who set them and why); `tenant` '' sees all.
 * `kind` ('' for any) narrows by kind; `identities`, when given, to those indicators
 * (`kind:digest`; an empty list matches nothing).
 */
export async function overrideAudit(reader: AnalyticsReader, q: { tenant: string; kind: string; identities: string[] | null; limit: number; offset: number }): Promise<AuditRow[]> {
  const rows = await reader.rows<AuditSql>(
    `SELECT ${AUDIT_COLUMNS} FROM {db}.overrides
     WHERE ({kind:String} = '' OR kind = {kind:String})
       AND ({anyIdentity:UInt8} = 1 OR concat(kind, ':', digest) IN {identities:Array(String)})
       AND ({tenant:String} = '' OR scope = 'global' OR tenant = {tenant:String})
     ORDER BY time DESC, version DESC LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    { tenant: q.tenant, kind: q.kind, anyIdentity: q.identities === null ? 1 : 0, identities: q.identities ?? [], limit: q.limit, offset: q.offset },
  );
  return rows.map(auditRow);
}

/**
 * The override of `scope` in force on an indicator (the latest row of that scope, and for a
 * tenant's, of that tenant, when active), or null.
 */
export async function currentOverride(reader: AnalyticsReader, kind: string, digest: string, scope: 'global' | 'tenant', tenant: string): Promise<AuditRow | null> {
  const [r] = await reader.rows<AuditSql>(
    `SELECT ${AUDIT_COLUMNS} FROM {db}.overrides
     WHERE kind = {kind:String} AND digest = {digest:String} AND scope = {scope:String} AND ({scope:String} = 'global' OR tenant = {tenant:String})
     ORDER BY version DESC LIMIT 1`,
    { kind, digest, scope, tenant },
  );
  if (r === undefined || Number(r.active) !== 1) return null;
  return auditRow(r);
}
