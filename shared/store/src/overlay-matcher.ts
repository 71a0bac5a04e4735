import { inIpBlock, parseIpBlock, type IpBlock } from '@repute/core';
import type { OverlayEntry, OverlayKind } from './overlay-store.ts';

/** A value looked up, in the canonical form overlays are stored under. */
export interface OverlayProbe {
  kind: OverlayKind;
  value: string;
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
