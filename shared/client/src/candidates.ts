import { lookupCandidates, type LookupCandidate, type LookupCandidates, type LookupKind } from '@repute/core';

/**
 * One record that may decide a lookup. The rule is @repute/core's, the one the edge consults,
 * so the agent's filter probes exactly the records the service would read.
 */
export type Candidate = LookupCandidate;

/** A canonicalised indicator and every record that may decide it. */
export type PreparedIndicator = LookupCandidates;

/**
 * Canonicalises an indicator and lists the records the service would consult for it.
 * @throws {IndicatorError} when the value cannot be an indicator of that kind.
 */
export function prepareIndicator(kind: LookupKind, raw: string): PreparedIndicator {
  return lookupCandidates(kind, raw);
}
