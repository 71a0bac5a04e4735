import { inIpBlock, parseIpBlock, type IpBlock, type LookupCandidates } from '@repute/core';
import type { OverlayEntry, OverlayKind } from './overlay-store.ts';

/** A value looked up, in the canonical form overlays are stored under. */
export interface OverlayProbe {
  kind: OverlayKind;
  value: string;
}

/**
 * The overlay entries a lookup may hit, derived from its candidates: the hash, the URL
 * expressions, the domains, the address (its ranges match through `ipBytes`) or the block.
 * Networks are not listed: a tenant's CIDR entries match the address bytes instead. One rule
 * for every front end that applies tenant overlays (the HTTP edge, the DNS lists).
 */
export function overlayProbes(prepared: LookupCandidates): OverlayProbe[] {
  const probes: OverlayProbe[] = [];
  for (const c of prepared.candidates) {
    if (c.kind === 'file') {
      if (probes.length === 0) probes.push({ kind: 'file', value: c.label });
    } else if (c.kind === 'ip') {
      if (c.role === 'network') continue;
      probes.push({ kind: prepared.kind === 'ip' && prepared.ipBytes === undefined ? 'cidr' : 'ip', value: c.label });
    } else if (c.kind === 'url' || c.kind === 'domain') {
      probes.push({ kind: c.kind, value: c.label });
    }
  }
  return probes;
}

interface Range {
  block: IpBlock;
  entry: OverlayEntry;
}

/**
 * A tenant's overlay held in process. Precedence: a matching block entry wins over everything
 * (also over a matching allow entry, so a mistaken allow cannot hide a tenant's own block);
 * otherwise a matching allow entry turns the answer clean; otherwise the global verdict stands.
 */
export class OverlayMatcher {
  readonly size: number;
  private readonly exact = new Map<string, OverlayEntry>();
  private readonly ranges: Range[] = [];

  constructor(entries: readonly OverlayEntry[]) {
    for (const e of entries) {
      if (e.kind === 'cidr') {
        try {
          this.ranges.push({ block: parseIpBlock(e.value), entry: e });
        } catch {
          // A stored entry that no longer parses is skipped, not fatal for the tenant.
        }
        continue;
      }
      const slot = `${e.kind}|${e.value}`;
      const existing = this.exact.get(slot);
      if (existing === undefined || e.list === 'block') this.exact.set(slot, e);
    }
    this.size = entries.length;
  }

  /** The deciding entry for a set of probes (domains with their parents, URL expressions, IPs), or null. */
  match(probes: readonly OverlayProbe[], ipBytes?: Uint8Array): OverlayEntry | null {
    let allow: OverlayEntry | null = null;
    for (const p of probes) {
      const e = this.exact.get(`${p.kind}|${p.value}`);
      if (e === undefined) continue;
      if (e.list === 'block') return e;
      allow ??= e;
    }
    if (ipBytes !== undefined) {
      for (const r of this.ranges) {
        if (inIpBlock(ipBytes, r.block)) {
          if (r.entry.list === 'block') return r.entry;
          allow ??= r.entry;
        }
      }
    }
    return allow;
  }
}
