/**
 * Redis key names below the deployment prefix. Record and alias keys themselves come from
 * `@repute/core` (`rep:<kind>:<hex>`, `rep:alias:<algo>:<hex>`); these are the store's own.
 */
export const storeKeys = {
  updates: (prefix: string): string => `${prefix}rep:updates`,
  index: (prefix: string, kind: string): string => `${prefix}rep:index:${kind}`,
  snapshot: (prefix: string, kind: string): string => `${prefix}rep:filter:${kind}`,
  signingKey: (prefix: string): string => `${prefix}rep:filter-signing-key`,
  overlay: (prefix: string, tenant: string): string => `${prefix}overlay:${tenant}`,
  overlayTenants: (prefix: string): string => `${prefix}overlay:tenants`,
};
