import { createHash } from 'node:crypto';
import { digestOf, type LookupKind } from '@repute/core';
import type { OverlayEntry } from '@repute/store';

/** A tenant's overlay for one filter kind, as agents merge it into their filter decisions. */
export interface TenantFilter {
  kind: LookupKind;
  /** Hex digests of block entries: the digests the agent's lookups compute for those values. */
  block: string[];
  allow: string[];
  /** CIDR ranges (kind `ip` only): no single digest stands for every address inside them. */
  blockNetworks: string[];
  allowNetworks: string[];
  etag: string;
}

/**
 * The digests a tenant's overlay entries of `kind` are looked up under: the same digests the
 * records of those values are keyed by (a file hash's own bytes or its alias digest, a URL
 * expression's, a domain's or an address's SHA-256), so an agent can test its candidates.
 */
export function tenantFilterOf(kind: LookupKind, entries: readonly OverlayEntry[]): TenantFilter {
  const out: TenantFilter = { kind, block: [], allow: [], blockNetworks: [], allowNetworks: [], etag: '' };
  for (const e of entries) {
    if (e.kind === 'cidr') {
      if (kind === 'ip') (e.list === 'block' ? out.blockNetworks : out.allowNetworks).push(e.value);
      continue;
    }
    if (e.kind !== kind) continue;
    let digest: string;
    try {
      digest = digestOf(e.kind, e.value).toString('hex');
    } catch {
      // A stored entry that no longer parses matches nothing at the edge either.
      continue;
    }
    (e.list === 'block' ? out.block : out.allow).push(digest);
  }
  for (const list of [out.block, out.allow, out.blockNetworks, out.allowNetworks]) list.sort();
  const hash = createHash('sha256').update(JSON.stringify([out.block, out.allow, out.blockNetworks, out.allowNetworks])).digest('hex');
  out.etag = `"${kind}-${hash.slice(0, 32)}"`;
  return out;
}
