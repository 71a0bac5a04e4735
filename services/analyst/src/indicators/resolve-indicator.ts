import { isIndicatorError, isIndicatorKind, parseIndicator, recordKey, type IndicatorKind } from '@repute/core';
import type { IndicatorRef } from '@repute/verdicts';
import type { ReputationStore } from '@repute/store';
import { badField } from '../analyst-error.ts';

/**
 * Canonicalises `{kind}/{value}` from a request into the identity the correlator and the
 * analytics tables use. An MD5 or SHA-1 resolves through its alias to the SHA-256 when one is
 * known; otherwise it cannot name telemetry (rows are keyed by SHA-256) and is refused.
 */
export async function resolveIndicator(store: ReputationStore, kind: string, raw: string, field = 'value'): Promise<IndicatorRef> {
  if (!isIndicatorKind(kind)) throw badField('kind', 'must be one of file, url, domain, ip, email');
  let parsed;
  try {
    parsed = parseIndicator(kind, raw);
  } catch (err) {
    throw badField(field, isIndicatorError(err) ? err.message : 'is not a valid indicator', isIndicatorError(err) ? err.code : 'REPUTE_INDICATOR_INVALID');
  }
  if (parsed.kind === 'file' && parsed.hashAlgorithm !== undefined && parsed.hashAlgorithm !== 'sha256') {
    const [target] = await store.getManyRaw([parsed.key]);
    if (target === null || target === undefined) throw badField(field, `is an ${parsed.hashAlgorithm.toUpperCase()} with no known SHA-256; ask by SHA-256`, 'REPUTE_ANALYST_UNKNOWN_ALIAS');
    return refOf('file', target);
  }
  const digest = parsed.digest.toString('hex');
  return { kind: parsed.kind, value: parsed.value, digest, key: recordKey(parsed.kind, digest) };
}

/** The identity of an already canonical value. */
export function refOf(kind: IndicatorKind, value: string): IndicatorRef {
  const parsed = parseIndicator(kind, value);
  const digest = parsed.digest.toString('hex');
  return { kind, value: parsed.value, digest, key: recordKey(kind, digest) };
}
