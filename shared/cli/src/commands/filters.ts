import { LOOKUP_KINDS } from '@repute/core';
import { createReputationStore, loadSigningKeys, rebuildFilter, storeKeys } from '@repute/store';
import { usageError } from '../cli-error.ts';
import { emit, withRedis, type CommandContext } from '../context.ts';
import { createProgress } from '../progress.ts';

// Agents download a filter per kind they look up.
const FILTER_KINDS = LOOKUP_KINDS;

/** `filters rebuild`: rebuilds the bloom-filter snapshots agents download, from the records. */
export async function filtersRebuild(ctx: CommandContext, options: { kind?: string }): Promise<number> {
  const kinds = options.kind === undefined ? FILTER_KINDS : FILTER_KINDS.filter((k) => k === options.kind);
  if (kinds.length === 0) throw usageError(`--kind must be one of ${FILTER_KINDS.join(', ')}`);
  const built = await withRedis(ctx.config, async (redis) => {
    const store = createReputationStore(redis, { prefix: ctx.config.REDIS_KEY_PREFIX });
    const signing = await loadSigningKeys(redis, ctx.config.REDIS_KEY_PREFIX);
    const out = [];
    for (const kind of kinds) {
      const total = await redis.zcard(storeKeys.index(ctx.config.REDIS_KEY_PREFIX, kind));
      const progress = createProgress({ force: ctx.progress, unit: 'keys' });
      progress.start(Math.max(total, 1), `filter ${kind}`);
      const started = performance.now();
      const result = await rebuildFilter(store, kind, signing, {
        capacity: ctx.config.EDGE_FILTER_CAPACITY,
        fpr: ctx.config.EDGE_FILTER_FPR,
        onProgress: (_k, scanned) => { if (scanned > total) progress.setTotal(scanned); progress.update(scanned); },
      });
      progress.stop();
      out.push({ kind, digests: result.filter.count, bytes: result.bytes.length, position: result.position, seconds: (performance.now() - started) / 1000 });
    }
    return out;
  });
  emit(ctx, built, () => `${built.map((b) => `${b.kind}: ${b.digests} digests, ${b.bytes} bytes, position ${b.position}, ${b.seconds.toFixed(2)} s`).join('\n')}\n`);
  return 0;
}
