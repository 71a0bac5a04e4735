/** What a key may do. `admin` implies every other scope. */
export type Scope = 'lookup' | 'ingest' | 'analyst' | 'partner' | 'admin';

export const SCOPES: readonly Scope[] = ['lookup', 'ingest', 'analyst', 'partner', 'admin'];

/** Guard for {@link Scope}. */
export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** True when a key's scopes allow `needed`. */
export function hasScope(scopes: readonly Scope[], needed: Scope): boolean {
  return scopes.includes(needed) || scopes.includes('admin');
}
