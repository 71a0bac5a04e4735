import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import { streamIdTime, type IndicatorKind } from '@repute/core';
import { compareStreamIds, isTrimmedPast, type UpdateEntry, type UpdateTail } from '@repute/store';
import type { EdgeConfig } from '../config.ts';
import { OverlaySet } from '../lookup/overlay-set.ts';
import { RecordCache } from '../lookup/record-cache.ts';
import { FILTER_KINDS } from './filters.ts';

/** Where this edge stands on the update stream. */
export interface EdgeUpdates {
  /** The freshness of every answer: the last stream position applied, and when it was current. */
  asOf(): { position: string; time: string };
  /** `asOf()` as JSON text (the same object and text until either changes). */
  asOfJson(): string;
  /** Whether the tail reads the stream now (false while Redis is away). */
  live(): boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    edgeCache: RecordCache;
    edgeOverlays: OverlaySet;
    edgeUpdates: EdgeUpdates;
  }
}

const TAIL_BATCH = 1000;

/**
 * The freshness gauge's value. Stream ids start with the append time in milliseconds, so the
 * position applied dates the newest change this edge knows of; when the last read was empty or
 * short nothing is waiting and the lag is 0, however old that change is.
 */
export function updatesLagSeconds(now: number, state: { live: boolean; backlog: boolean; confirmedAt: number; position: string }): number {
  if (!state.live) return Math.max(0, now - state.confirmedAt) / 1000;
  if (!state.backlog) return 0;
  const appended = streamIdTime(state.position);
  return Number.isFinite(appended) && appended > 0 ? Math.max(0, now - appended) / 1000 : 0;
}

/**
 * Follows the update stream from the loaded snapshots' position: new records go into the
 * filters, changed records leave the cache, overlay changes reload that tenant, revocations
 * reach the key cache. When the stream was trimmed past the position to resume from (at start,
 * or after Redis was away too long), the entries in between are gone: it reloads the stored
 * snapshots and, when those are older than what the stream still holds, rebuilds the filters
 * from the records, instead of serving negatives that miss records.
 */
async function updatesPlugin(fastify: FastifyInstance, opts: { config: EdgeConfig }): Promise<void> {
  const config = opts.config;
  const store = fastify.edgeStore;
  const filters = fastify.edgeFilters;
  const cache = new RecordCache({ maxEntries: config.EDGE_CACHE_MAX_ENTRIES, maxBytes: config.EDGE_CACHE_MAX_BYTES, ttlMs: config.EDGE_CACHE_TTL_S * 1000 });
  const overlays = new OverlaySet();
  let live = true;
  let confirmedAt = Date.now();
  let asOf = { position: '', time: '' };
  let asOfAt = -1;
  let asOfText = '';
  // True while the last read filled its batch: more entries wait behind the ones applied.
  let backlog = false;

  async function reloadTenant(tenant: string): Promise<void> {
    overlays.replace(tenant, await fastify.edgeOverlayStore.list(tenant));
  }
  async function reloadOverlays(): Promise<void> {
    for (const tenant of await fastify.edgeOverlayStore.tenants()) await reloadTenant(tenant);
  }

  function apply(entries: readonly UpdateEntry[]): void {
    for (const e of entries) {
      switch (e.op) {
        case 'put':
        case 'alias':
          if (e.digest !== undefined && e.kind !== undefined) filters.add(e.kind as IndicatorKind, Buffer.from(e.digest, 'hex'));
          if (e.key !== undefined) cache.delete(e.key);
          break;
        case 'del':
          if (e.kind !== undefined) filters.noteRemoval(e.kind as IndicatorKind);
          if (e.key !== undefined) cache.delete(e.key);
          break;
        case 'overlay':
          if (e.tenant !== undefined) {
            reloadTenant(e.tenant).catch((err: unknown) => {
              fastify.edgeMetrics.errors.inc({ area: 'stream' });
              fastify.log.warn({ err }, 'overlay reload failed');
            });
          }
          break;
        case 'revoke':
        case 'key':
          fastify.apiKeys.applyEntry(e);
          break;
        default:
          break;
      }
    }
  }

  function startPosition(): string {
    let position: string | undefined;
    for (const kind of FILTER_KINDS) {
      const p = filters.snapshot(kind)?.position;
      if (p !== undefined && (position === undefined || compareStreamIds(p, position) < 0)) position = p;
    }
    return position ?? '0-0';
  }

  // Catch up before serving: a negative answered from a snapshot that misses a newer record
  // would be wrong, so the filters are current before /readyz says so.
  async function catchUp(from: string): Promise<string> {
    let since = from;
    for (;;) {
      const entries = await store.readUpdates(since, 5000);
      if (entries.length === 0) return since;
      apply(entries);
      since = entries[entries.length - 1]!.id;
    }
  }

  // Resumes from the filters' position, rebuilding them first when the stream no longer holds
  // every entry after it; returns the position caught up to.
  async function resume(): Promise<string> {
    let from = startPosition();
    if (isTrimmedPast(await store.updatesRange(), from)) {
      fastify.log.warn({ position: from }, "update stream trimmed past the filters' position: rebuilding them from the records");
      await fastify.edgeFilterJobs.rebuild();
      from = startPosition();
    }
    return await catchUp(from);
  }

  await reloadOverlays();
  const position = await resume();
  let tail: UpdateTail | undefined;

  async function resync(): Promise<void> {
    const range = await store.updatesRange();
    if (tail === undefined || !isTrimmedPast(range, tail.position())) return;
    fastify.log.warn({ position: tail.position() }, 'update stream trimmed past our position: reloading filters');
    cache.clear();
    await fastify.edgeFilterJobs.loadAll();
    await reloadOverlays();
    tail.seek(await resume());
  }

  tail = store.tailUpdates({
    since: position,
    count: TAIL_BATCH,
    onEntries: (entries) => {
      backlog = entries.length >= TAIL_BATCH;
      apply(entries);
    },
    onRead: () => {
      live = true;
      backlog = false;
      confirmedAt = Date.now();
    },
    onError: () => {
      if (live) fastify.log.warn('update stream unreachable, answering from cache and filters');
      live = false;
    },
    onRecover: async () => {
      fastify.log.info('update stream reachable again');
      await resync().catch((err: unknown) => fastify.log.warn({ err }, 'resync failed'));
      // Overlays may have changed while we were away; their entries are replayed, but a
      // trimmed stream would lose them.
      await reloadOverlays().catch(() => undefined);
    },
  });

  new Gauge({
    name: 'repute_edge_updates_lag_seconds',
    help: 'How far behind the update stream this edge answers: now minus the newest applied entry while entries wait, 0 when caught up, the age of the last successful read while Redis is unreachable.',
    registers: [fastify.metrics],
    collect() {
      this.set(updatesLagSeconds(Date.now(), { live, backlog, confirmedAt, position: tail?.position() ?? position }));
    },
  });

  fastify.decorate('edgeCache', cache);
  fastify.decorate('edgeOverlays', overlays);
  const edgeUpdates: EdgeUpdates = {
    asOf() {
      const current = tail?.position() ?? position;
      if (asOfAt !== confirmedAt || asOf.position !== current) {
        asOf = { position: current, time: new Date(confirmedAt).toISOString() };
        asOfAt = confirmedAt;
        asOfText = JSON.stringify(asOf);
      }
      return asOf;
    },
    asOfJson() {
      edgeUpdates.asOf();
      return asOfText;
    },
    live: () => live,
  };
  fastify.decorate('edgeUpdates', edgeUpdates);
  fastify.addHook('onClose', async () => {
    await tail?.stop();
  });
}

export default fp(updatesPlugin, { name: 'repute-edge-updates', dependencies: ['repute-edge-filters', 'repute-auth'] });
