import type { IndicatorKind } from '@repute/core';
import type { Verdict } from '../policy/load-policy.ts';
import { DETECTION_PREFIX, GRAPH_PREFIX, OVERRIDE_FIELD } from './state-keys.ts';
import type { DetectionBucket, DetectionCategory, GraphEvidence, IndicatorState } from '../scoring/score.ts';

/** An indicator's state as scoring input, plus the verdict last written. */
export interface DecodedState {
  state: IndicatorState;
  verdict: Verdict;
  /** The rule ids of the record last written (`rs`), to tell when its reasons went stale. */
  rules: string;
}

/** Detection fields are `d|<engine|sandbox>|<category>|<bucket start ms>|<engine name>`. */
export function detectionField(source: 'engine' | 'sandbox', category: DetectionCategory, bucket: number, engine: string): string {
  return `${DETECTION_PREFIX}${source}|${category}|${bucket}|${engine}`;
}

/** The state hash (HGETALL, flat) as scoring input. */
export function decodeState(kind: IndicatorKind, value: string, flat: unknown): DecodedState {
  const detections: DetectionBucket[] = [];
  const graph: GraphEvidence[] = [];
  let verdict: Verdict = 'unknown';
  let rules = '';
  let stored: string | undefined;
  let firstSeen: string | undefined;
  let lastSeen: string | undefined;
  let sensors = 0;
  let tenants = 0;
  let detectingSensors = 0;
  let detectingTenants = 0;
  let signed = false;
  let override: string | undefined;
  const list: unknown[] = Array.isArray(flat) ? flat : [];
  // Read in place, with no pair array or map of fields: this runs for every indicator of every pass.
  for (let i = 0; i + 1 < list.length; i += 2) {
    const field = String(list[i]);
    const v = String(list[i + 1]);
    if (field.startsWith(DETECTION_PREFIX)) {
      const [, source, category, bucket, ...engine] = field.split('|');
      detections.push({ source: source as 'engine', category: category as DetectionCategory, at: Number(bucket), engine: engine.join('|'), count: Number(v) });
    } else if (field.startsWith(GRAPH_PREFIX)) {
      try {
        graph.push(JSON.parse(v) as GraphEvidence);
      } catch {
        // A malformed contribution is dropped rather than failing the whole batch.
      }
    } else {
      switch (field) {
        case 'vd': verdict = v as Verdict; break;
        case 'rs': rules = v; break;
        case 'v': stored = v; break;
        case 'fs': firstSeen = v; break;
        case 'ls': lastSeen = v; break;
        case 'cs': sensors = Number(v); break;
        case 'ct': tenants = Number(v); break;
        case 'cds': detectingSensors = Number(v); break;
        case 'cdt': detectingTenants = Number(v); break;
        case 'sg': signed = v === '1'; break;
        case OVERRIDE_FIELD: override = v; break;
      }
    }
  }
  return {
    verdict,
    rules,
    state: {
      kind,
      value: stored ?? value,
      firstSeen: firstSeen === undefined ? Date.now() : Number(firstSeen),
      lastSeen: lastSeen === undefined ? Date.now() : Number(lastSeen),
      sensors,
      tenants,
      detectingSensors,
      detectingTenants,
      signed,
      detections,
      graph,
      override: override === undefined ? undefined : (JSON.parse(override) as IndicatorState['override']),
    },
  };
}
