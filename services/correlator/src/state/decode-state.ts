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
  const fields = new Map<string, string>();
  const list: unknown[] = Array.isArray(flat) ? flat : [];
  // Read in place, with no pair array per field: this runs for every indicator of every pass.
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
    } else fields.set(field, v);
  }
  const override = fields.get(OVERRIDE_FIELD);
  const count = (field: string) => Number(fields.get(field) ?? 0);
  return {
    verdict: (fields.get('vd') as Verdict | undefined) ?? 'unknown',
    rules: fields.get('rs') ?? '',
    state: {
      kind,
      value: fields.get('v') ?? value,
      firstSeen: Number(fields.get('fs') ?? Date.now()),
      lastSeen: Number(fields.get('ls') ?? Date.now()),
      sensors: count('cs'),
      tenants: count('ct'),
      detectingSensors: count('cds'),
      detectingTenants: count('cdt'),
      signed: fields.get('sg') === '1',
      detections,
      graph,
      override: override === undefined ? undefined : (JSON.parse(override) as IndicatorState['override']),
    },
  };
}
