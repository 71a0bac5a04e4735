import type { PreparedBatch } from '../../lookup/batch-items.ts';
import type { LookupResult } from '../../lookup/lookup-service.ts';
import type { MaybePromise } from '../../lookup/maybe-async.ts';
import { wholeLoop, type Slicer } from '../../lookup/slice-scheduler.ts';
import { foundItemJson, invalidItemJson, UNKNOWN_ITEM } from './answer-json.ts';

/** A batch's items as JSON text, with what the envelope and the headers say about them. */
export interface BatchItemsJson {
  /** The `results` array's elements, comma-separated, in the order of the request. */
  items: string;
  degraded: boolean;
  /** The smallest TTL of the answered items (0 when none was answered). */
  ttl: number;
  found: number;
  unknown: number;
  invalid: number;
}

/**
 * Writes each item of a batch as JSON (`BatchItem` in schemas.ts), in slices when `slices`
 * says so. Items the filters ruled out never reached the lookup service: `unknown` answers them.
 */
export function batchItemsJson(batch: PreparedBatch, results: readonly (LookupResult | null)[], unknown: LookupResult, k: number, slices: Slicer = wholeLoop): MaybePromise<BatchItemsJson> {
  const n = results.length;
  const parts: string[] = new Array(n);
  const out: BatchItemsJson = { items: '', degraded: false, ttl: Number.MAX_SAFE_INTEGER, found: 0, unknown: 0, invalid: 0 };
  const done = slices(n, (from, to) => {
    for (let i = from; i < to; i++) {
      const bad = batch.invalid[i];
      if (bad != null) {
        out.invalid++;
        parts[i] = invalidItemJson(bad.kind, bad.reason, bad.code);
        continue;
      }
      const r = results[i] ?? unknown;
      if (r.degraded) out.degraded = true;
      if (r.ttl < out.ttl) out.ttl = r.ttl;
      if (r.record === null && r.overlay === null) {
        out.unknown++;
        parts[i] = UNKNOWN_ITEM;
        continue;
      }
      out.found++;
      const p = batch.prepared[i]!;
      parts[i] = foundItemJson(p.kind, p.value, r, k);
    }
  });
  const finish = (): BatchItemsJson => {
    if (out.ttl === Number.MAX_SAFE_INTEGER) out.ttl = 0;
    out.items = parts.join(',');
    return out;
  };
  return done === undefined ? finish() : done.then(finish);
}
