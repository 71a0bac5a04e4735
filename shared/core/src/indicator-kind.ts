/** The kinds of indicator Repute keeps reputation for. */
export type IndicatorKind = 'file' | 'url' | 'domain' | 'ip' | 'email';

/** Every {@link IndicatorKind}, in a stable order. */
export const INDICATOR_KINDS: readonly IndicatorKind[] = Object.freeze(['file', 'url', 'domain', 'ip', 'email']);

/** Guard for {@link IndicatorKind}. */
export function isIndicatorKind(value: unknown): value is IndicatorKind {
  return value === 'file' || value === 'url' || value === 'domain' || value === 'ip' || value === 'email';
}
