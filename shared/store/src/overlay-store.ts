import { canonicalizeDomain, parseCidr, parseFileHash, parseIp, urlExpressions, type LookupKind } from '@repute/core';
import type { RedisClient } from './create-redis.ts';
import { storeKeys } from './keys.ts';
import type { ReputationStore } from './reputation-store.ts';

/** Which list of a tenant's overlay an entry belongs to. */
export type OverlayList = 'allow' | 'block';
/** What an overlay entry matches: a file hash, a URL expression, a domain and its subdomains, an IP, or a CIDR range. */
export type OverlayKind = LookupKind | 'cidr';

/** One of a tenant's own allow or block entries, stored canonical. */
export interface OverlayEntry {
  list: OverlayList;
  kind: OverlayKind;
  value: string;
  note?: string;
  addedAt: string;
}

/** Tenant overlays in Redis: one hash per tenant, every change announced on the update stream. */
export interface OverlayStore {
  /** Canonicalises and stores an entry (throws IndicatorError on a malformed value). */
  add(tenant: string, entry: { list: OverlayList; kind: OverlayKind; value: string; note?: string }): Promise<OverlayEntry>;
  remove(tenant: string, list: OverlayList, kind: OverlayKind, value: string): Promise<boolean>;
  list(tenant: string): Promise<OverlayEntry[]>;
  tenants(): Promise<string[]>;
}

/** The canonical form an overlay entry is stored and matched under. */
export function canonicalOverlayValue(kind: OverlayKind, value: string): string {
  switch (kind) {
    case 'file': return parseFileHash(value).hex;
    // The most specific Safe Browsing expression: "evil.example/" covers the whole host.
    case 'url': return urlExpressions(value)[0] ?? value;
    case 'domain': return canonicalizeDomain(value);
    case 'ip': return parseIp(value).address;
    case 'cidr': {
      const c = parseCidr(value);
      return `${c.network}/${c.prefix}`;
    }
  }
}

const fieldOf = (list: OverlayList, kind: OverlayKind, value: string): string => `${list}|${kind}|${value}`;

/** Creates the overlay store; changes are announced through `store`'s update stream. */
export function createOverlayStore(redis: RedisClient, store: ReputationStore): OverlayStore {
  const prefix = store.prefix;
  return {
    async add(tenant, input) {
      const entry: OverlayEntry = {
        list: input.list,
        kind: input.kind,
        value: canonicalOverlayValue(input.kind, input.value),
        addedAt: new Date().toISOString(),
        ...(input.note !== undefined ? { note: input.note } : {}),
      };
      await redis.hset(storeKeys.overlay(prefix, tenant), fieldOf(entry.list, entry.kind, entry.value), JSON.stringify(entry));
      await redis.sadd(storeKeys.overlayTenants(prefix), tenant);
      await store.append({ op: 'overlay', tenant });
      return entry;
    },
    async remove(tenant, list, kind, value) {
      const removed = await redis.hdel(storeKeys.overlay(prefix, tenant), fieldOf(list, kind, canonicalOverlayValue(kind, value)));
      if (removed > 0) await store.append({ op: 'overlay', tenant });
      return removed > 0;
    },
    async list(tenant) {
      const all = await redis.hgetall(storeKeys.overlay(prefix, tenant));
      return Object.values(all).map((v) => JSON.parse(v) as OverlayEntry);
    },
    async tenants() {
      return await redis.smembers(storeKeys.overlayTenants(prefix));
    },
  };
}
