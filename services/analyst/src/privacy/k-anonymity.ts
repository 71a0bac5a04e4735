/**
 * Cross-tenant counts are published only when at least `k` distinct tenants contributed. Below
 * that, every count is withheld (not rounded): with one other tenant in the pool, even a
 * sensor count would tell whether that tenant saw the indicator.
 */
export interface CrossTenantCounts {
  suppressed: boolean;
  /** Set when suppressed: the answer is "fewer than k tenants". */
  fewer_than?: number;
  tenants?: number;
  sensors?: number;
  hosts?: number;
  events?: number;
}

export function crossTenant(k: number, counts: { tenants: number; sensors?: number; hosts?: number; events?: number }, admin: boolean): CrossTenantCounts {
  if (!admin && counts.tenants < k) return { suppressed: true, fewer_than: k };
  return {
    suppressed: false,
    tenants: counts.tenants,
    ...(counts.sensors !== undefined ? { sensors: counts.sensors } : {}),
    ...(counts.hosts !== undefined ? { hosts: counts.hosts } : {}),
    ...(counts.events !== undefined ? { events: counts.events } : {}),
  };
}

/** True when cross-tenant figures about an indicator may be shown to this caller. */
export function publishable(k: number, tenants: number, admin: boolean): boolean {
  return admin || tenants >= k;
}
