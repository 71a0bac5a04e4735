import { parseCidr, parseIp } from '@repute/core';
import type { OverlayEntry, OverlayKind } from './overlay-store.ts';

/** A value looked up, in the canonical form overlays are stored under. */
export interface OverlayProbe {
  kind: OverlayKind;
  value: string;
}

interface Range {
  bytes: Uint8Array;
  prefix: number;
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
          const c = parseCidr(e.value);
          this.ranges.push({ bytes: parseIp(c.network).bytes, prefix: c.prefix, entry: e });
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
        if (r.bytes.length === ipBytes.length && inRange(ipBytes, r.bytes, r.prefix)) {
          if (r.entry.list === 'block') return r.entry;
          allow ??= r.entry;
        }
      }
    }
    return allow;
  }
}

function inRange(ip: Uint8Array, network: Uint8Array, prefix: number): boolean {
  let bits = prefix;
  for (let i = 0; i < network.length && bits > 0; i++) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip[i]! & mask) !== (network[i]! & mask)) return false;
    bits -= 8;
  }
  return true;
}
