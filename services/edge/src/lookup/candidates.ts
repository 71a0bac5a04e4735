import { lookupCandidates, type LookupCandidate, type LookupCandidates, type LookupKind } from '@repute/core';
import { overlayProbes, type OverlayProbe } from '@repute/store';

export type { CandidateRole, LookupKind } from '@repute/core';

/** One record that may decide a lookup (the rule lives in @repute/core, shared with the SDK). */
export type Candidate = LookupCandidate;

/** A parsed lookup: the records that may decide it, and the tenant-overlay entries it may hit. */
export interface PreparedLookup extends LookupCandidates {
  probes: OverlayProbe[];
}

/**
 * Parses a raw indicator of a lookup kind into the records that may decide it and its overlay
 * probes.
 * @throws {IndicatorError} when the value cannot be an indicator of that kind.
 */
export function prepareLookup(kind: LookupKind, raw: string): PreparedLookup {
  const prepared = lookupCandidates(kind, raw);
  return { ...prepared, probes: overlayProbes(prepared) };
}
