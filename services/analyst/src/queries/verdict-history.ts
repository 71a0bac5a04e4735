import type { IndicatorRef } from '@repute/verdicts';
import { isoTime, type AnalyticsReader } from './analytics-reader.ts';

export interface HistoryEntry {
  time: string;
  verdict: string;
  previous_verdict: string;
  score: number;
  confidence: number;
  source: string;
  policy_version: string;
  record_version: number;
  reasons: { rule: string; weight: number; evidence?: number; detail?: string }[];
}

type Row = { time: string; verdict: string; previous_verdict: string; score: number; confidence: number; source: string; policy_version: string; record_version: string; reasons: string };

function entry(r: Row): HistoryEntry {
  let reasons: HistoryEntry['reasons'] = [];
  try {
    const parsed: unknown = JSON.parse(r.reasons);
    if (Array.isArray(parsed)) reasons = parsed as HistoryEntry['reasons'];
  } catch {
    // A row with unreadable reasons still tells the verdict.
  }
  return { time: isoTime(r.time) ?? r.time, verdict: r.verdict, previous_verdict: r.previous_verdict, score: Number(r.score), confidence: Number(r.confidence), source: r.source, policy_version: r.policy_version, record_version: Number(r.record_version), reasons };
}

const COLUMNS = 'time, verdict, previous_verdict, score, confidence, source, policy_version, record_version, reasons';

/** Verdict changes of an indicator, oldest first, optionally up to a time. */
export async function verdictTimeline(reader: AnalyticsReader, ref: IndicatorRef, page: { limit: number; offset: number; until?: number }): Promise<HistoryEntry[]> {
  const rows = await reader.rows<Row>(
    `SELECT ${COLUMNS} FROM {db}.verdict_log
     WHERE kind = {kind:String} AND digest = {digest:String} AND time <= fromUnixTimestamp64Milli({until:Int64}, 'UTC')
     ORDER BY time, record_version LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    { kind: ref.kind, digest: ref.digest, until: page.until ?? 9_999_999_999_999, limit: page.limit, offset: page.offset },
  );
  return rows.map(entry);
}

/** The verdict in force at `at`: the last change at or before it, or null (then it was unknown). */
export async function verdictAt(reader: AnalyticsReader, ref: IndicatorRef, at: number): Promise<HistoryEntry | null> {
  const [row] = await reader.rows<Row>(
    `SELECT ${COLUMNS} FROM {db}.verdict_log
     WHERE kind = {kind:String} AND digest = {digest:String} AND time <= fromUnixTimestamp64Milli({at:Int64}, 'UTC')
     ORDER BY time DESC, record_version DESC LIMIT 1`,
    { kind: ref.kind, digest: ref.digest, at },
  );
  return row === undefined ? null : entry(row);
}
