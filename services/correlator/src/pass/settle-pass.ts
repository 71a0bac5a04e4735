import type { RedisClient } from '@repute/store';
import { pendingPropagationKey, type Policy } from '@repute/verdicts';
import type { VerdictLog } from '../sink/verdict-log.ts';
import type { PassResult } from './apply-slice.ts';
import { walkEntry } from './rewalks.ts';

/**
 * Finishes a pass once its records are written: its log rows, then its verdicts marked written,
 * then its re-walks queued. Runs apart from the passes, so the next pass need not wait for it.
 */
export type SettlePass = (result: PassResult, policy: Policy, inserted: Promise<void>[]) => Promise<void>;

export interface SettleDeps {
  redis: RedisClient;
  prefix: string;
  verdictLog: VerdictLog;
  now: () => number;
}

export function passSettler({ redis, prefix, verdictLog, now }: SettleDeps): SettlePass {
  return async (result, policy, inserted) => {
    try {
      await verdictLog.queue(result.changes, policy);
      // Marking queues the changes for propagation, whose walks must find the relations
      // these batches carry. (A batch whose insert failed is retried anyway.)
      await Promise.allSettled(inserted);
      for (const h of result.held) await h.mark();
      if (result.requeue.length > 0) {
        const at = now();
        // LT: an indicator already waiting keeps its earlier turn.
        const entries = result.requeue.flatMap((r) => [r.at ?? at, walkEntry(r)]);
        await redis.zadd(pendingPropagationKey(prefix), 'LT', ...entries);
      }
    } finally {
      for (const h of result.held) h.release();
    }
  };
}
