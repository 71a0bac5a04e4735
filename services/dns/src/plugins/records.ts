import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { IndicatorKind } from '@repute/core';
import { decodeSnapshot, isTrimmedPast, loadSigningKeys, loadSnapshotBytes, STREAM_START, compareStreamIds, type UpdateEntry, type UpdateTail } from '@repute/store';
import type { DnsAppConfig } from '../config.ts';
import { FilterSet } from '../records/filter-set.ts';
import { KeyCache } from '../records/key-cache.ts';
import { KeyReader } from '../records/key-reader.ts';
import { ListLookup } from '../records/list-lookup.ts';
import { OverlaySet } from '../records/overlay-set.ts';

declare module 'fastify' {
  interface FastifyInstance {
    dnsLookup: ListLookup;
    /** Whether the update stream is being read now (false while Redis is away). */
    dnsLive(): boolean;
  }
}

// The kinds a DNS list answers for.
const KINDS: readonly IndicatorKind[] = ['ip', 'domain', 'file'];
const TAIL_BATCH = 1000;

/**
 * The records DNS answers from, kept as fresh as the edge's: the edge's signed filter
 * snapshots (when it stored some), the tenants' overlays, and an in-process cache of the keys
 * queries read, all kept current by tailing the update stream. A changed record leaves the
 * cache when its stream entry arrives, so the next query reads the new record: a verdict change
 * reaches DNS answers as soon as it reaches the edge's.
 */
async function recordsPlugin(fastify: FastifyInstance, opts: { config: DnsAppConfig }): Promise<void> {
  const store = fastify.dnsStore;
  const counts = fastify.dnsMetrics.counts;
  const errors = fastify.dnsMetrics.errors;
  const filters = new FilterSet();
  const cache = new KeyCache(opts.config.DNS_CACHE_MAX_ENTRIES);
  const overlays = new OverlaySet();
  const reader = new KeyReader(store, cache, {
    onRoundTrip: () => { counts.redisRoundTrips++; },
    onError: (err) => {
      errors.inc({ area: 'redis' });
      fastify.log.debug({ err }, 'redis read failed');
    },
  });
  let live = true;

  async function reloadTenant(tenant: string): Promise<void> {
    overlays.replace(tenant, await fastify.dnsOverlayStore.list(tenant));
  }
  async function reloadOverlays(): Promise<void> {
    for (const tenant of await fastify.dnsOverlayStore.tenants()) await reloadTenant(tenant);
  }

  // Snapshots are the edge's to build; without one a kind is served without a filter.
  async function loadFilters(): Promise<string> {
    const { publicKey } = await loadSigningKeys(store.redis, store.prefix);
    let position: string | undefined;
    for (const kind of KINDS) {
      filters.drop(kind);
      const bytes = await loadSnapshotBytes(store.redis, store.prefix, kind);
      if (bytes === null) continue;
      try {
        const snapshot = decodeSnapshot(bytes, publicKey);
        filters.install(kind, snapshot.filter);
        if (position === undefined || compareStreamIds(snapshot.position, position) < 0) position = snapshot.position;
      } catch (err) {
        errors.inc({ area: 'filters' });
        fastify.log.warn({ err, kind }, 'stored filter snapshot rejected; serving that kind without a filter');
      }
    }
    return position ?? STREAM_START;
  }

  function apply(entries: readonly UpdateEntry[]): void {
    for (const e of entries) {
      switch (e.op) {
        case 'put':
        case 'alias':
          if (e.digest !== undefined && e.kind !== undefined) filters.addHex(e.kind as IndicatorKind, e.digest);
          if (e.key !== undefined) cache.invalidate(e.key);
          break;
        case 'del':
          if (e.key !== undefined) cache.invalidate(e.key);
          break;
        case 'overlay':
          if (e.tenant !== undefined) {
            reloadTenant(e.tenant).catch((err: unknown) => {
              errors.inc({ area: 'stream' });
              fastify.log.warn({ err }, 'overlay reload failed');
            });
          }
          break;
        default:
          break;
      }
    }
  }

  // Replays from the filters' position to now before serving: a filter negative for a record
  // written after its snapshot would be a wrong NXDOMAIN. When the stream no longer holds that
  // far back, the filters are dropped (answers stay right, only dearer) until the next start.
  async function catchUp(from: string): Promise<string> {
    let since = from;
    if (from !== STREAM_START && isTrimmedPast(await store.updatesRange(), from)) {
      fastify.log.warn({ position: from }, 'update stream trimmed past the filter snapshots; serving without filters');
      for (const kind of KINDS) filters.drop(kind);
      since = (await store.updatesRange()).last;
    }
    for (;;) {
      const entries = await store.readUpdates(since, 5000);
      if (entries.length === 0) return since;
      apply(entries);
      since = entries[entries.length - 1]!.id;
    }
  }

  await reloadOverlays();
  let from = await loadFilters();
  // Without any filter there is nothing to replay into: start at the stream's end.
  if (KINDS.every((k) => !filters.loaded(k))) from = (await store.updatesRange()).last;
  const position = await catchUp(from);
  let tail: UpdateTail | undefined;

  tail = store.tailUpdates({
    since: position,
    count: TAIL_BATCH,
    onEntries: (entries) => apply(entries),
    onRead: () => { live = true; },
    onError: () => {
      if (live) fastify.log.warn('update stream unreachable: the cache may serve changed records until it is back');
      live = false;
      errors.inc({ area: 'stream' });
    },
    onRecover: async () => {
      fastify.log.info('update stream reachable again');
      // What changed while we were away may be trimmed from the stream: start over.
      cache.clear();
      await reloadOverlays().catch(() => undefined);
      const range = await store.updatesRange().catch(() => null);
      if (range !== null && tail !== undefined && isTrimmedPast(range, tail.position())) {
        for (const kind of KINDS) filters.drop(kind);
        tail.seek(range.last);
      }
    },
  });

  fastify.decorate('dnsLookup', new ListLookup({
    filters, cache, reader, overlays,
    onFilterNegative: () => { counts.filterNegatives++; },
    onCacheHit: () => { counts.cacheHits++; },
  }));
  fastify.decorate('dnsLive', () => live);
  fastify.addHook('onClose', async () => {
    await tail?.stop();
  });
}

export default fp(recordsPlugin, { name: 'repute-dns-records', dependencies: ['repute-dns-redis', 'repute-dns-metrics'] });
