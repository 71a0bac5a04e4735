import { randomUUID } from 'node:crypto';
import { stixIndicatorId, stixPattern, stixTime, uuidV5 } from './stix-indicator.ts';

/** An indicator of a neighbourhood, with its current verdict as the caller is answered. */
export interface NeighbourhoodNode {
  id: string;
  kind: string;
  value: string;
  digest: string;
  verdict: string;
  score: number | null;
  firstSeen: number | null;
  lastSeen: number | null;
}

export interface NeighbourhoodEdge {
  source: string;
  target: string;
  rel: string;
  firstSeen: number | null;
  lastSeen: number | null;
}

// STIX 2.1 indicator-type-ov for each verdict; clean is `benign`, a verdict not reached `unknown`.
const TYPES: Record<string, string> = { malicious: 'malicious-activity', suspicious: 'anomalous-activity', clean: 'benign', unknown: 'unknown' };

/**
 * A STIX 2.1 bundle of an indicator's neighbourhood: an `indicator` per node (its verdict as the
 * indicator type, its score as the confidence) and a `relationship` per relation, typed by the
 * relation (`downloaded-from`, `resolves-to`, … custom types in the STIX naming rule). Ids are
 * stable (UUIDv5 of kind and digest, of the two ends and the relation), so re-exports update
 * rather than duplicate in a TIP.
 */
export function neighbourhoodBundle(nodes: readonly NeighbourhoodNode[], edges: readonly NeighbourhoodEdge[], now: number): { type: 'bundle'; id: string; objects: Record<string, unknown>[] } {
  const idOf = new Map(nodes.map((n) => [n.id, stixIndicatorId(n.kind, n.digest)]));
  const indicators = nodes.map((n) => {
    const created = n.firstSeen ?? now;
    return {
      type: 'indicator', spec_version: '2.1', id: idOf.get(n.id)!,
      created: stixTime(created), modified: stixTime(Math.max(created, n.lastSeen ?? created)),
      name: `${n.kind} ${n.value}`.slice(0, 256),
      indicator_types: [TYPES[n.verdict] ?? 'unknown'],
      pattern: stixPattern(n.kind, n.value), pattern_type: 'stix', pattern_version: '2.1',
      valid_from: stixTime(created),
      ...(n.score !== null ? { confidence: Math.max(0, Math.min(100, Math.round(n.score))) } : {}),
    };
  });
  const relationships = edges.flatMap((e) => {
    const source = idOf.get(e.source);
    const target = idOf.get(e.target);
    if (source === undefined || target === undefined) return [];
    const created = e.firstSeen ?? now;
    return [{
      type: 'relationship', spec_version: '2.1', id: `relationship--${uuidV5(`${source}|${e.rel}|${target}`)}`,
      created: stixTime(created), modified: stixTime(Math.max(created, e.lastSeen ?? created)),
      relationship_type: e.rel.toLowerCase().replace(/[^a-z0-9]+/g, '-'), source_ref: source, target_ref: target,
    }];
  });
  return { type: 'bundle', id: `bundle--${randomUUID()}`, objects: [...indicators, ...relationships] };
}
