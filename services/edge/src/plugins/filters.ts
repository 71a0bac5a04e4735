import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { LOOKUP_KINDS } from '@repute/core';
import { decodeSnapshot, loadSigningKeys, loadSnapshotBytes, rebuildFilter, type SigningKeys } from '@repute/store';
import type { EdgeConfig } from '../config.ts';
import type { LookupKind } from '../lookup/candidates.ts';
import { FilterSet } from '../lookup/filter-set.ts';

/** Kinds the edge keeps filters for. */
export const FILTER_KINDS: readonly LookupKind[] = LOOKUP_KINDS;

export interface FilterJobs {
  /** Rebuilds kinds from the records, stores signed snapshots and installs them here. */
  rebuild(kinds?: readonly LookupKind[], onProgress?: (kind: string, scanned: number) => void): Promise<void>;
  /** Loads the stored snapshots (building any that is missing). */
  loadAll(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    edgeFilters: FilterSet;
    edgeSigning: SigningKeys;
    edgeFilterJobs: FilterJobs;
  }
}

/**
 * Bloom filters: load the newest signed snapshot of each kind at start (building one from the
 * records when none exists), rebuild on a timer and when removals leave too many stale bits.
 */
async function filtersPlugin(fastify: FastifyInstance, opts: { config: EdgeConfig }): Promise<void> {
  const config = opts.config;
  const store = fastify.edgeStore;
  const filters = new FilterSet();
  const signing = await loadSigningKeys(store.redis, store.prefix);
  const sizing = { capacity: config.EDGE_FILTER_CAPACITY, fpr: config.EDGE_FILTER_FPR };
  let rebuilding: Promise<void> | undefined;

  const report = (kind: LookupKind): void => {
    fastify.edgeMetrics.filterEntries.set({ kind }, filters.filter(kind)?.count ?? 0);
  };

  async function buildAndInstall(kind: LookupKind, onProgress?: (kind: string, scanned: number) => void): Promise<void> {
    const built = await rebuildFilter(store, kind, signing, { ...sizing, ...(onProgress ? { onProgress } : {}) });
    const snapshot = decodeSnapshot(built.bytes);
    // Replay what changed since the scan began, then swap: no await between the last read and
    // the install, so the stream tail applies anything newer to the new filter.
    let since = built.position;
    for (;;) {
      const entries = await store.readUpdates(since, 5000);
      if (entries.length === 0) break;
      for (const e of entries) {
        if ((e.op === 'put' || e.op === 'alias') && e.kind === kind && e.digest !== undefined) snapshot.filter.addHex(e.digest);
      }
      since = entries[entries.length - 1]!.id;
    }
    filters.install(snapshot);
    report(kind);
  }

  const jobs: FilterJobs = {
    async rebuild(kinds = FILTER_KINDS, onProgress) {
      while (rebuilding !== undefined) await rebuilding;
      rebuilding = (async () => {
        for (const kind of kinds) await buildAndInstall(kind, onProgress);
      })();
      try {
        await rebuilding;
      } finally {
        rebuilding = undefined;
      }
    },
    async loadAll() {
      for (const kind of FILTER_KINDS) {
        const bytes = await loadSnapshotBytes(store.redis, store.prefix, kind);
        if (bytes === null) {
          await buildAndInstall(kind);
          continue;
        }
        try {
          filters.install(decodeSnapshot(bytes, signing.publicKey));
          report(kind);
        } catch (err) {
          fastify.log.warn({ err, kind }, 'stored filter snapshot rejected, rebuilding');
          fastify.edgeMetrics.errors.inc({ area: 'filters' });
          await buildAndInstall(kind);
        }
      }
    },
  };

  fastify.decorate('edgeFilters', filters);
  fastify.decorate('edgeSigning', signing);
  fastify.decorate('edgeFilterJobs', jobs);
  await jobs.loadAll();
  fastify.readiness.add('filters', () => FILTER_KINDS.every((k) => filters.loaded(k)));

  const timers: NodeJS.Timeout[] = [];
  const rebuildQuietly = (kinds?: readonly LookupKind[]): void => {
    jobs.rebuild(kinds).catch((err: unknown) => {
      fastify.edgeMetrics.errors.inc({ area: 'filters' });
      fastify.log.warn({ err }, 'filter rebuild failed');
    });
  };
  if (config.EDGE_FILTER_REBUILD_INTERVAL_S > 0) {
    timers.push(setInterval(() => rebuildQuietly(), config.EDGE_FILTER_REBUILD_INTERVAL_S * 1000));
  }
  timers.push(setInterval(() => {
    for (const kind of FILTER_KINDS) {
      fastify.edgeMetrics.filterStaleEntries.set({ kind }, Math.round(filters.staleRatio(kind) * (filters.filter(kind)?.count ?? 0)));
      if (rebuilding === undefined && filters.staleRatio(kind) > config.EDGE_FILTER_STALE_RATIO) rebuildQuietly([kind]);
    }
  }, 10_000));
  for (const t of timers) t.unref();
  fastify.addHook('onClose', async () => {
    for (const t of timers) clearInterval(t);
    await rebuilding?.catch(() => undefined);
  });
}

export default fp(filtersPlugin, { name: 'repute-edge-filters', dependencies: ['repute-edge-redis', 'repute-edge-metrics'] });
