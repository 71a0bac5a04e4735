import type { KeyStore } from '@repute/auth';

/**
 * Creates an admin key when the deployment has none (its first start, or after the last admin
 * key was revoked) and returns it; it is never stored in plain text, so this is the only time
 * anyone sees it. Returns undefined when an admin key exists.
 */
export async function ensureAdminKey(keys: KeyStore, tenant: string): Promise<{ id: string; key: string } | undefined> {
  const existing = await keys.list();
  if (existing.some((k) => k.scopes.includes('admin'))) return undefined;
  return await keys.create({ tenant, scopes: ['admin'] });
}
