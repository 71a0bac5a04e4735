/**
 * Update-stream positions: Redis stream ids, `<ms>-<seq>`. The server compares them to find
 * what a reader has missed, the SDK to refuse a snapshot older than the filter it holds, so
 * both read them here.
 */

/** The stream's position before any entry. */
export const STREAM_START = '0-0';

// Either part may exceed 2^53 (Redis takes any u64), hence BigInt rather than Number.
const U64_MAX = 2n ** 64n - 1n;

/** Orders two stream ids ("ms-seq"; a missing part reads as 0). */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

/** When the entry with this id was added, in epoch milliseconds (the id's first part; NaN when it is no number). */
export function streamIdTime(id: string): number {
  return Number(id.split('-')[0]);
}

/** A Redis stream id, `<ms>[-<seq>]`, each part an unsigned 64-bit integer (a larger one Redis refuses). */
export function isStreamId(id: string): boolean {
  if (!/^\d{1,20}(-\d{1,20})?$/.test(id)) return false;
  const [ms = '0', seq = '0'] = id.split('-');
  return BigInt(ms) <= U64_MAX && BigInt(seq) <= U64_MAX;
}
