import { recordKey, type IndicatorKind } from '@repute/core';
import type { RedisClient } from '@repute/store';
import { accusedOnItsOwn, allowListOf, execBySlot, signatureRules, stateKeys, type IndicatorRef, type KeyCommand, type Policy } from '@repute/verdicts';

/** A name resolving to an address, as the relations list it (the walk's `resolves_to` in reverse). */
export interface NameEdge {
  src_digest: string;
  dst_kind: string;
  dst_digest: string;
  dst_value: string;
  /** How many names resolve to the address in all (the rows are capped at the fan-out). */
  degree: string;
}

export interface AddressNamesDeps {
  redis: RedisClient;
  prefix: string;
  /** The names seen resolving to each address, most used first. */
  namesOf: (addresses: IndicatorRef[]) => Promise<NameEdge[]>;
}

/** What the names that resolve to an address say of it. */
export interface AddressNames {
  /** Record keys of the names read (at most the fan-out, most used first). */
  names: Set<string>;
  /** Those accused apart from their addresses (see accusedApartFromAddresses). */
  accused: Set<string>;
  /** Names resolving to it in all. */
  total: number;
  /** An allow-listed name resolves to it: the address of a listed CDN, cloud or IP-echo service. */
  allowListed: boolean;
}

/**
 * Unaccused names that make an address shared when they outnumber the accused: a CDN edge, a
 * shared web host, a parking service. One says little (a C2 server's second name, not flagged
 * yet). Two already refuse a C2 server whose names the attacker multiplies before any is
 * flagged: addresses are shared and reused far more often than names, and what is asked of
 * them is specificity (a CDN edge seen early, with one C2 name and two sites on it, is no C2).
 */
const SHARED_MIN_UNACCUSED = 2;

/**
 * Whether a name counts against its addresses: convicted on anything but what its addresses
 * told it (an address's own conviction echoed back through `resolves_to`), or suspicious on
 * evidence of its own. The rules a record's signature lists (record.ts) are what it rests on.
 */
export function accusedApartFromAddresses(verdict: string | null, signature: string): boolean {
  const rules = signatureRules(signature);
  // Guards and prevalence only weigh what the others say; they accuse nothing themselves.
  if (verdict === 'malicious') return rules.some((r) => r !== 'relation.resolves_to' && !r.startsWith('guard.') && !r.startsWith('prevalence.'));
  return verdict === 'suspicious' && accusedOnItsOwn(signature);
}

/** The names of each address, read with their verdicts, keyed by the address's record key. */
export async function readAddressNames(deps: AddressNamesDeps, policy: Policy, addresses: IndicatorRef[]): Promise<Map<string, AddressNames>> {
  const out = new Map<string, AddressNames>();
  if (addresses.length === 0) return out;
  const edges = await deps.namesOf(addresses);
  const keys = [...new Set(edges.map((e) => recordKey(e.dst_kind as IndicatorKind, e.dst_digest)))];
  const states = await execBySlot(deps.redis, keys.map((key): KeyCommand => ['hmget', stateKeys(deps.prefix, key).state, 'vd', 'rs']));
  const accused = new Set(keys.filter((_, i) => {
    const [verdict, signature] = (states[i] as (string | null)[] | null) ?? [];
    return accusedApartFromAddresses(verdict ?? null, signature ?? '');
  }));
  const byAddress = Map.groupBy(edges, (e) => e.src_digest);
  for (const ref of addresses) {
    const own = byAddress.get(ref.digest) ?? [];
    const names = new Set(own.map((e) => recordKey(e.dst_kind as IndicatorKind, e.dst_digest)));
    out.set(ref.key, {
      names,
      accused: new Set([...names].filter((k) => accused.has(k))),
      total: Math.max(names.size, Number(own[0]?.degree ?? 0)),
      allowListed: own.some((e) => allowListOf(policy, e.dst_kind as IndicatorKind, e.dst_value) !== undefined),
    });
  }
  return out;
}

/**
 * How an address takes evidence that reached it (reference/correlation.md §9: evidence on an IP
 * weighs by the names on it; Notos and AMICO read an address through its domains):
 * - `refused`: an allow-listed name resolves to it, or it is shared: unaccused names, at least
 *   two of them, outnumber the accused by more than the dedicated share allows (a C2 fronted by
 *   a CDN does not convict the CDN's edge, which serves every other site on it too);
 * - `dedicated`: a name accused it over `resolves_to`, and at least `minAccusedShare` of its names
 *   and more than half of them (that one included, whether or not its verdict is marked yet) are
 *   accused: the address is what its convicted names run on;
 * - `open`: anything else (an address no name resolves to is judged by its own relations).
 * No age test, unlike a site's: addresses change hands, and what was served there before says
 * little of who holds it now.
 */
export function judgeAddress(names: AddressNames | undefined, accuser: { rel: string; key: string }, minAccusedShare: number): 'refused' | 'dedicated' | 'open' {
  if (names === undefined || names.total === 0) return 'open';
  if (names.allowListed) return 'refused';
  const byName = accuser.rel === 'resolves_to' && names.names.has(accuser.key);
  const accused = names.accused.size + (byName && !names.accused.has(accuser.key) ? 1 : 0);
  const share = accused / names.total;
  // Dedicated takes a strict majority of accused names: one bad name beside one good one is as
  // much a shared address seen early as a server of the attacker's.
  if (byName && share >= minAccusedShare && accused > names.total - accused) return 'dedicated';
  if (names.total - accused >= SHARED_MIN_UNACCUSED && share < minAccusedShare) return 'refused';
  return 'open';
}
