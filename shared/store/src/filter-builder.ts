import { ALIAS_KEY_PREFIX, aliasKeyHex, digestOf, type IndicatorKind } from '@repute/core';
import { DigestFilter } from './digest-filter.ts';
import { encodeSnapshot, saveSnapshot, type SigningKeys } from './filter-snapshot.ts';
import type { ReputationStore } from './reputation-store.ts';
import { isCluster } from './create-redis.ts';

export interface BuildFilterOptions {
  capacity: number;
  fpr: number;
  /** Called every few thousand keys with the number scanned so far. */
  onProgress?(kind: IndicatorKind, scanned: number): void;
}

/** A rebuilt filter with the stream position it covers. */
export interface BuiltFilter {
  kind: IndicatorKind;
  filter: DigestFilter;
  position: string;
  bytes: Buffer;
}

/**
 * Rebuilds a kind's filter from the records (SCAN) and stores its signed snapshot. The stream
 * position is read before the scan starts, so every change the scan might miss comes after it
 * and is replayed by whoever loads the snapshot.
 */
export async function rebuildFilter(store: ReputationStore, kind: IndicatorKind, keys: SigningKeys, options: BuildFilterOptions): Promise<BuiltFilter> {
  const position = (await store.updatesRange()).last;
  const filter = DigestFilter.forCapacity(options.capacity, options.fpr);
  let scanned = 0;
  let reported = 0;
  const progress = (): void => {
    if (scanned - reported >= 10_000) {
      reported = scanned;
      options.onProgress?.(kind, scanned);
    }
  };
  await store.scanDigests(kind, (digests) => {
    for (const d of digests) if (d.length === 64) filter.addHex(d);
    scanned += digests.length;
    progress();
  });
  if (kind === 'file') {
    // MD5 and SHA-1 aliases share the file filter, so an unknown MD5 never reaches Redis either.
    const prefix = store.prefix;
    const nodes = isCluster(store.redis) ? store.redis.nodes('master') : [store.redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}${ALIAS_KEY_PREFIX}*`, 'COUNT', 1000);
        cursor = next;
        for (const key of found) {
          const hex = aliasKeyHex(key.slice(prefix.length));
          // A key no writer could have made is skipped rather than failing the whole rebuild.
          try {
            if (hex !== undefined) filter.add(digestOf('file', hex));
          } catch {
          }
        }
        scanned += found.length;
        progress();
      } while (cursor !== '0');
    }
  }
  options.onProgress?.(kind, scanned);
  const bytes = encodeSnapshot(filter, kind, position, keys.privateKey);
  await saveSnapshot(store.redis, store.prefix, kind, bytes);
  return { kind, filter, position, bytes };
}
