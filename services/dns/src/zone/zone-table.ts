import { canonicalizeDomain } from '@repute/core';

/** One list zone: its apex (lower case, no trailing dot) and whose view it answers with. */
export interface Zone {
  apex: string;
  /** The tenant whose views and overlay decide, or undefined for the public (global) zone. */
  tenant: string | undefined;
  public: boolean;
}

/** Where a query name falls: its zone and the labels left of the apex ('' at the apex). */
export interface ZoneMatch {
  zone: Zone;
  /** The part of the name before the zone apex, lower case, no trailing dot. */
  left: string;
}

/** A configuration problem, named by its variable (the config package lists them all at once). */
export interface BindingProblem {
  variable: string;
  reason: string;
}

const TENANT = /^[A-Za-z0-9._:-]{1,128}$/;

function apexOf(raw: string): string {
  // Zone apexes are host names an operator writes; canonicalizeDomain also accepts the
  // underscore labels some list operators use, and refuses numeric TLDs and empty labels.
  return canonicalizeDomain(raw.replace(/\.$/, ''));
}

/**
 * The list zones of one deployment, matched longest apex first (a tenant zone may sit under
 * the public one: `acme.bl.example` under `bl.example`).
 */
export class ZoneTable {
  readonly zones: readonly Zone[];
  private readonly byApex = new Map<string, Zone>();

  constructor(zones: readonly Zone[]) {
    this.zones = zones;
    for (const z of zones) this.byApex.set(z.apex, z);
  }

  /** Parses DNS_ZONES and DNS_PUBLIC_ZONE; problems are returned, not thrown, so all are listed. */
  static parse(zonesSpec: string, publicZone: string): { table: ZoneTable; problems: BindingProblem[] } {
    const zones: Zone[] = [];
    const problems: BindingProblem[] = [];
    const seen = new Set<string>();
    for (const part of zonesSpec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      const eq = part.lastIndexOf('=');
      const tenant = eq === -1 ? '' : part.slice(eq + 1);
      if (eq <= 0 || !TENANT.test(tenant)) {
        problems.push({ variable: 'DNS_ZONES', reason: `"${part}" is not zone=tenant` });
        continue;
      }
      try {
        const apex = apexOf(part.slice(0, eq));
        if (seen.has(apex)) problems.push({ variable: 'DNS_ZONES', reason: `zone ${apex} is bound twice` });
        seen.add(apex);
        zones.push({ apex, tenant, public: false });
      } catch {
        problems.push({ variable: 'DNS_ZONES', reason: `"${part.slice(0, eq)}" is not a zone name` });
      }
    }
    if (publicZone.trim() !== '') {
      try {
        const apex = apexOf(publicZone.trim());
        if (seen.has(apex)) problems.push({ variable: 'DNS_PUBLIC_ZONE', reason: `zone ${apex} is also a tenant zone` });
        else zones.push({ apex, tenant: undefined, public: true });
      } catch {
        problems.push({ variable: 'DNS_PUBLIC_ZONE', reason: `"${publicZone}" is not a zone name` });
      }
    }
    return { table: new ZoneTable(zones), problems };
  }

  /** The zone a lower-case query name (no trailing dot) falls in, or null when it is none of ours. */
  match(name: string): ZoneMatch | null {
    // Walk the name's suffixes from the longest: at most 127 labels, usually under ten.
    let at = 0;
    for (;;) {
      const zone = this.byApex.get(at === 0 ? name : name.slice(at));
      if (zone !== undefined) return { zone, left: at === 0 ? '' : name.slice(0, at - 1) };
      const dot = name.indexOf('.', at);
      if (dot === -1) return null;
      at = dot + 1;
    }
  }
}
