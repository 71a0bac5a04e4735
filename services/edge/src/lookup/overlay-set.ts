import type { LookupKind } from '@repute/core';
import { OverlayMatcher, type OverlayEntry, type OverlayProbe } from '@repute/store';
import { tenantFilterOf, type TenantFilter } from './tenant-filter.ts';

/** Every tenant's overlay, held in process and replaced per tenant when the stream says it changed. */
export class OverlaySet {
  private readonly tenants = new Map<string, OverlayMatcher>();
  private readonly entries = new Map<string, readonly OverlayEntry[]>();
  // Built on first request and dropped when the tenant's overlay changes: agents poll it.
  private readonly filters = new Map<string, Map<LookupKind, TenantFilter>>();

  replace(tenant: string, entries: readonly OverlayEntry[]): void {
    this.filters.delete(tenant);
    if (entries.length === 0) {
      this.tenants.delete(tenant);
      this.entries.delete(tenant);
    } else {
      this.tenants.set(tenant, new OverlayMatcher(entries));
      this.entries.set(tenant, entries);
    }
  }

  has(tenant: string | undefined): boolean {
    return tenant !== undefined && this.tenants.has(tenant);
  }

  /** The deciding entry of `tenant`'s overlay for these probes, or null. */
  match(tenant: string | undefined, probes: readonly OverlayProbe[], ipBytes?: Uint8Array): OverlayEntry | null {
    if (tenant === undefined) return null;
    return this.tenants.get(tenant)?.match(probes, ipBytes) ?? null;
  }

  /** The digests of `tenant`'s overlay entries that agents' filters of `kind` must know about. */
  filter(tenant: string, kind: LookupKind): TenantFilter {
    let byKind = this.filters.get(tenant);
    if (byKind === undefined) this.filters.set(tenant, (byKind = new Map()));
    let built = byKind.get(kind);
    if (built === undefined) byKind.set(kind, (built = tenantFilterOf(kind, this.entries.get(tenant) ?? [])));
    return built;
  }

  get size(): number {
    return this.tenants.size;
  }
}
