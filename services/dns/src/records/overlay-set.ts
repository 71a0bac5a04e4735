import { OverlayMatcher, type OverlayEntry, type OverlayProbe } from '@repute/store';

/** Every tenant's overlay in process, replaced per tenant when the update stream says it changed. */
export class OverlaySet {
  private readonly tenants = new Map<string, OverlayMatcher>();
  private changes = 0;

  /** Counts replacements: an answer decided under an older generation may have changed. */
  get generation(): number {
    return this.changes;
  }

  replace(tenant: string, entries: readonly OverlayEntry[]): void {
    this.changes++;
    if (entries.length === 0) this.tenants.delete(tenant);
    else this.tenants.set(tenant, new OverlayMatcher(entries));
  }

  /** The deciding entry of `tenant`'s overlay for these probes, or null. */
  match(tenant: string | undefined, probes: readonly OverlayProbe[], ipBytes?: Uint8Array): OverlayEntry | null {
    if (tenant === undefined) return null;
    return this.tenants.get(tenant)?.match(probes, ipBytes) ?? null;
  }
}
