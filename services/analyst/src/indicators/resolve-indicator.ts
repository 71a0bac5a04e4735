import { indicatorSyntaxProblem, isIndicatorError, isIndicatorKind, parseIndicator, recordKey, type IndicatorKind } from '@repute/core';
import type { IndicatorRef } from '@repute/verdicts';
import type { ReputationStore } from '@repute/store';
import { badField, notFound } from '../analyst-error.ts';

/**
 * Canonicalises `{kind}/{value}` from a request into the identity the correlator and the
 * analytics tables use. The text must be the kind's API syntax (the pattern the OpenAPI
 * document publishes), so that the document says exactly what is accepted. An MD5 or SHA-1
 * resolves through its alias to the SHA-256 when one is known; otherwise no file is known by
 * it (rows are keyed by SHA-256): 404.
 */
export async function resolveIndicator(store: ReputationStore, kind: string, raw: string, field = 'value'): Promise<IndicatorRef> {
  if (!isIndicatorKind(kind)) throw badField('kind', 'must be one of file, url, domain, ip, email');
  const problem = indicatorSyntaxProblem(kind, raw);
  if (problem !== null) throw badField(field, problem, 'REPUTE_INDICATOR_SYNTAX');
  let parsed;
  try {
    parsed = parseIndicator(kind, raw);
  } catch (err) {
    throw badField(field, isIndicatorError(err) ? err.message : 'is not a valid indicator', isIndicatorError(err) ? err.code : 'REPUTE_INDICATOR_INVALID');
  }
  if (parsed.kind === 'file' && parsed.hashAlgorithm !== undefined && parsed.hashAlgorithm !== 'sha256') {
    const [target] = await store.getManyRaw([parsed.key]);
    if (target === null || target === undefined) throw notFound(`no file is known by this ${parsed.hashAlgorithm.toUpperCase()} (${field}); ask by SHA-256`, 'REPUTE_ANALYST_UNKNOWN_ALIAS');
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
