import type { RedisClient } from '@repute/store';
import type { SourceRates, SourceReliability } from './estimate-reliability.ts';

/** What is kept of one source's estimate. */
export interface StoredReliability extends SourceRates {
  labelledMalicious: number;
  labelledBenign: number;
  /** When it was estimated, epoch ms. */
  at: number;
}

/** The hash of the measured rates, one field per source. */
export function reliabilityKey(prefix: string): string {
  return `${prefix}corr:reliability`;
}

/** A source's field in the hash and its key in the loaded map: `<source>|<engine>`. */
export function reliabilityField(source: string, engine: string): string {
  return `${source}|${engine}`;
}

/**
 * Replaces the saved estimates with these, in one transaction: a reader never sees half of one
 * run and half of another, and a source that gave no word in the last window is dropped (its
 * configured prior applies again).
 */
export async function saveReliability(redis: RedisClient, prefix: string, estimates: readonly SourceReliability[], at = Date.now()): Promise<void> {
  const key = reliabilityKey(prefix);
  const fields: Record<string, string> = {};
  for (const e of estimates) {
    const stored: StoredReliability = { tpr: e.tpr, fpr: e.fpr, labelledMalicious: e.labelledMalicious, labelledBenign: e.labelledBenign, at };
    fields[reliabilityField(e.source, e.engine)] = JSON.stringify(stored);
  }
  const tx = redis.multi().del(key);
  if (estimates.length > 0) tx.hset(key, fields);
  const replies = await tx.exec();
  const failed = replies?.find(([err]) => err !== null)?.[0];
  if (failed) throw failed;
}

function isRate(x: unknown): x is number {
  return typeof x === 'number' && x > 0 && x < 1;
}

/** Rates with the counts they were measured on. */
export interface MeasuredRates extends SourceRates {
  labelledMalicious?: number;
  labelledBenign?: number;
}

/** The saved rates by `<source>|<engine>`; a field that does not parse as rates is left out. */
export async function loadReliability(redis: RedisClient, prefix: string): Promise<ReadonlyMap<string, MeasuredRates>> {
  const saved = await redis.hgetall(reliabilityKey(prefix));
  const map = new Map<string, MeasuredRates>();
  for (const [field, json] of Object.entries(saved)) {
    let value: Partial<StoredReliability>;
    try {
      value = JSON.parse(json) as Partial<StoredReliability>;
    } catch {
      continue;
    }
    if (!isRate(value.tpr) || !isRate(value.fpr)) continue;
    const counted = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
    map.set(field, {
      tpr: value.tpr, fpr: value.fpr,
      ...(counted(value.labelledMalicious) ? { labelledMalicious: value.labelledMalicious } : {}),
      ...(counted(value.labelledBenign) ? { labelledBenign: value.labelledBenign } : {}),
    });
  }
  return map;
}
