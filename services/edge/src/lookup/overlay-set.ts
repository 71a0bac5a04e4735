import { OverlayMatcher, type OverlayEntry, type OverlayProbe } from '@repute/store';

/** Every tenant's overlay, held in process and replaced per tenant when the stream says it changed. */
export class OverlaySet {
  private readonly tenants = new Map<string, OverlayMatcher>();

  replace(tenant: string, entries: readonly OverlayEntry[]): void {
    if (entries.length === 0) this.tenants.delete(tenant);
    else this.tenants.set(tenant, new OverlayMatcher(entries));
  }

  has(tenant: string | undefined): boolean {
    return tenant !== undefined && this.tenants.has(tenant);
  }

  /** The deciding entry of `tenant`'s overlay for these probes, or null. */
  match(tenant: string | undefined, probes: readonly OverlayProbe[], ipBytes?: Uint8Array): OverlayEntry | null {
    if (tenant === undefined) return null;
    return this.tenants.get(tenant)?.match(probes, ipBytes) ?? null;
  }

  get size(): number {
    return this.tenants.size;
  }
}
