import type { KeyObject } from 'node:crypto';
import { compareStreamIds, inIpBlock, parseIp, parseIpBlock, type DigestFilter, type IpBlock } from '@repute/core';
import { FilterVerificationError, ReputeApiError } from './client-error.ts';
import { verifySnapshot } from './filter-snapshot.ts';
import type { Transport } from './http-transport.ts';
import { readPublicKey, type PublicKeyInput } from './public-key.ts';
import type { FilterStatus, LookupKind } from './types.ts';

interface KindState {
  filter: DigestFilter;
  position: string;
  etag: string | undefined;
  syncedAt: number;
}

/** The caller tenant's own block entries of a kind (`GET /v1/filters/{kind}/tenant`). */
interface TenantState {
  block: Set<string>;
  networks: IpBlock[];
  etag: string | undefined;
}

interface TenantPage {
  block?: string[];
  block_networks?: string[];
}

interface UpdatesPage {
  position: string;
  more: boolean;
  additions: string[];
}

/** Settings of {@link createFilterSync}. */
export interface FilterSyncOptions {
  transport: Transport;
  kinds: readonly LookupKind[];
  /** Pinned; read at once, so a malformed key fails here. */
  publicKey: PublicKeyInput | undefined;
}

/** The local filters: verified snapshots kept current by the delta updates. */
export interface FilterSync {
  /**
   * False when the digest certainly has no record and is not one of the tenant's own block
   * entries; undefined when the kind's filter is not loaded.
   */
  mightHave(kind: LookupKind, digest: Uint8Array): boolean | undefined;
  /** True when an address lies in one of the tenant's blocked CIDR ranges. */
  blockedAddress(address: string): boolean;
  /**
   * Brings every kind up to date: a snapshot where none is held (or `snapshots` is set, then
   * conditionally on its ETag), the updates after the position otherwise, and a new snapshot
   * when the service no longer keeps them (410).
   * @throws the first failure, after trying every kind.
   */
  sync(snapshots?: boolean): Promise<void>;
  status(): FilterStatus[];
}

/**
 * Downloads, verifies and tracks the filters. Updates are not signed; they can only add bits,
 * so a forged one can cost lookups but never hide an indicator. Snapshots older than the
 * position already held are refused, so an old (validly signed) snapshot cannot be replayed to
 * hide what was added since.
 */
export function createFilterSync(options: FilterSyncOptions): FilterSync {
  const { transport } = options;
  const states = new Map<LookupKind, KindState>();
  const tenants = new Map<LookupKind, TenantState>();
  let key: KeyObject | undefined = options.publicKey === undefined ? undefined : readPublicKey(options.publicKey);
  let running: Promise<void> | undefined;

  async function publicKey(): Promise<KeyObject> {
    if (key !== undefined) return key;
    const res = await transport.send({ path: '/v1/filters/public-key' });
    key = readPublicKey(res.body.toString('utf8'));
    return key;
  }

  async function snapshot(kind: LookupKind, conditional: boolean, allowOlder = false): Promise<void> {
    const current = states.get(kind);
    const headers: Record<string, string> = { accept: 'application/octet-stream' };
    if (conditional && current?.etag !== undefined) headers['if-none-match'] = current.etag;
    const res = await transport.send({ path: `/v1/filters/${kind}`, headers });
    if (res.status === 304 && current !== undefined) {
      current.syncedAt = Date.now();
      return;
    }
    const verified = verifySnapshot(res.body, kind, await publicKey());
    if (current !== undefined && !allowOlder && compareStreamIds(verified.position, current.position) < 0) {
      throw new FilterVerificationError('REPUTE_CLIENT_SNAPSHOT_ROLLBACK', `${kind} snapshot at ${verified.position} is older than the filter held (${current.position})`);
    }
    states.set(kind, { filter: verified.filter, position: verified.position, etag: res.headers.get('etag') ?? undefined, syncedAt: Date.now() });
  }

  async function updates(kind: LookupKind, retakeOnGone: boolean): Promise<void> {
    for (;;) {
      const state = states.get(kind);
      if (state === undefined) return;
      let page: UpdatesPage;
      try {
        const res = await transport.send({ path: `/v1/filters/${kind}/updates?since=${encodeURIComponent(state.position)}` });
        page = JSON.parse(res.body.toString('utf8')) as UpdatesPage;
      } catch (err) {
        if (!(err instanceof ReputeApiError && err.status === 410)) throw err;
        // The updates after our position are gone: the filter has a gap, and a gap answers
        // wrong negatives. Retake a snapshot (older ones too: ours is no better), or drop it.
        if (retakeOnGone) {
          retakeOnGone = false;
          try {
            await snapshot(kind, false, true);
            continue;
          } catch (retake) {
            states.delete(kind);
            throw retake;
          }
        }
        states.delete(kind);
        throw err;
      }
      for (const hex of page.additions) {
        if (/^[0-9a-f]{64}$/i.test(hex)) state.filter.add(Buffer.from(hex, 'hex'));
      }
      // Removals stay set: a bloom filter cannot delete, and a stale bit only costs a lookup.
      state.position = page.position;
      state.syncedAt = Date.now();
      if (!page.more) return;
    }
  }

  // A tenant's block entries decide indicators that have no record, which the filter cannot
  // hold: the filter's negatives are only safe to answer locally together with this set.
  async function tenantEntries(kind: LookupKind): Promise<void> {
    const current = tenants.get(kind);
    const headers: Record<string, string> = {};
    if (current?.etag !== undefined) headers['if-none-match'] = current.etag;
    let res;
    try {
      res = await transport.send({ path: `/v1/filters/${kind}/tenant`, headers });
    } catch (err) {
      // A service that predates the tenant filter: its overlays are consulted on positives only.
      if (err instanceof ReputeApiError && err.status === 404) {
        tenants.set(kind, { block: new Set(), networks: [], etag: undefined });
        return;
      }
      throw err;
    }
    if (res.status === 304 && current !== undefined) return;
    const page = JSON.parse(res.body.toString('utf8')) as TenantPage;
    const networks: TenantState['networks'] = [];
    for (const cidr of page.block_networks ?? []) {
      try {
        networks.push(parseIpBlock(cidr));
      } catch {
        // Not a range this client can read: the service still applies it to positives.
      }
    }
    const block = new Set((page.block ?? []).filter((hex) => /^[0-9a-f]{64}$/i.test(hex)).map((hex) => hex.toLowerCase()));
    tenants.set(kind, { block, networks, etag: res.headers.get('etag') ?? undefined });
  }

  async function syncAll(snapshots: boolean): Promise<void> {
    let first: unknown;
    for (const kind of options.kinds) {
      try {
        await tenantEntries(kind);
        if (!states.has(kind) || snapshots) await snapshot(kind, true);
        await updates(kind, true);
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }

  return {
    mightHave(kind, digest) {
      const state = states.get(kind);
      if (state === undefined) return undefined;
      if (state.filter.has(digest)) return true;
      const tenant = tenants.get(kind);
      // Until the tenant's entries are known, a filter negative could hide one of its blocks.
      if (tenant === undefined) return undefined;
      return tenant.block.size > 0 && tenant.block.has(Buffer.from(digest).toString('hex'));
    },
    blockedAddress(address) {
      const networks = tenants.get('ip')?.networks;
      if (networks === undefined || networks.length === 0) return false;
      let bytes: Uint8Array;
      try {
        bytes = parseIp(address).bytes;
      } catch {
        return false;
      }
      return networks.some((n) => inIpBlock(bytes, n));
    },
    async sync(snapshots = false) {
      // Callers that arrive during a sync share it rather than racing it on the same state.
      while (running !== undefined) await running.catch(() => undefined);
      running = syncAll(snapshots);
      try {
        await running;
      } finally {
        running = undefined;
      }
    },
    status() {
      return [...states].map(([kind, s]) => ({ kind, position: s.position, entries: s.filter.count, syncedAt: s.syncedAt }));
    },
  };
}
