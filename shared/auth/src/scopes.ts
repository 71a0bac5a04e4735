/**
 * What a key may do. `admin` implies every other scope. `curator` is the operator's analysts who
 * decide for everyone (global overrides, disputes); it implies `analyst`.
 */
export type Scope = 'lookup' | 'ingest' | 'analyst' | 'curator' | 'partner' | 'admin';

export const SCOPES: readonly Scope[] = ['lookup', 'ingest', 'analyst', 'curator', 'partner', 'admin'];

/** Guard for {@link Scope}. */
export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** True when a key's scopes allow `needed`. */
export function hasScope(scopes: readonly Scope[], needed: Scope): boolean {
  return scopes.includes(needed) || scopes.includes('admin') || (needed === 'analyst' && scopes.includes('curator'));
}
