import { lookupCandidates, type LookupCandidate, type LookupCandidates, type LookupKind } from '@repute/core';
import type { OverlayProbe } from '@repute/store';

export type { CandidateRole, LookupKind } from '@repute/core';

/** One record that may decide a lookup (the rule lives in @repute/core, shared with the SDK). */
export type Candidate = LookupCandidate;

/** A parsed lookup: the records that may decide it, and the tenant-overlay entries it may hit. */
export interface PreparedLookup extends LookupCandidates {
  probes: OverlayProbe[];
}

/**
 * The overlay entries a lookup may hit, derived from its candidates: the hash, the URL
 * expressions, the domains, the address (its ranges match through `ipBytes`) or the block.
 * Networks are not listed: a tenant's CIDR entries match the address bytes instead.
 */
function probesOf(prepared: LookupCandidates): OverlayProbe[] {
  const probes: OverlayProbe[] = [];
  for (const c of prepared.candidates) {
    if (c.kind === 'file') {
      if (probes.length === 0) probes.push({ kind: 'file', value: c.label });
    } else if (c.kind === 'ip') {
      if (c.role === 'network') continue;
      probes.push({ kind: prepared.kind === 'ip' && prepared.ipBytes === undefined ? 'cidr' : 'ip', value: c.label });
    } else if (c.kind === 'url' || c.kind === 'domain') {
      probes.push({ kind: c.kind, value: c.label });
    }
  }
  return probes;
}

/**
 * Parses a raw indicator of a lookup kind into the records that may decide it and its overlay
 * probes.
 * @throws {IndicatorError} when the value cannot be an indicator of that kind.
 */
export function prepareLookup(kind: LookupKind, raw: string): PreparedLookup {
  const prepared = lookupCandidates(kind, raw);
  return { ...prepared, probes: probesOf(prepared) };
}
