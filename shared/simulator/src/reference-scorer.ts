import { truthKey } from './sightings.ts';
import type { SensorEvent, SimEvent, TruthKind } from './types.ts';

/**
 * The indicator an event's verdict is about: its first of file, URL, domain, IP and sender
 * (the primary indicator of telemetry schema v1).
 */
export function subjectOf(e: SensorEvent): { kind: TruthKind; value: string } | undefined {
  if (e.file !== undefined) return { kind: 'file', value: e.file.sha256 };
  if (e.url !== undefined) return { kind: 'url', value: e.url };
  if (e.domain !== undefined) return { kind: 'domain', value: e.domain };
  if (e.ip !== undefined) return { kind: 'ip', value: e.ip };
  if (e.sender !== undefined) return { kind: 'email', value: e.sender };
  return undefined;
}

/**
 * The naive reference scorer the quality bench measures against: any detection by any engine,
 * gateway or sandbox convicts ("one engine convicts"), for everyone, for ever. Returns, per
 * truth key, the virtual time of the first such detection; indicators never detected are
 * absent (`unknown`). A `clean` verdict never retracts, and nothing propagates.
 */
export function referenceConvictions(events: readonly SimEvent[]): Map<string, number> {
  const convicted = new Map<string, number>();
  for (const { event } of events) {
    const v = event.verdict;
    if (v === undefined || v.category === 'clean' || v.category === 'unknown') continue;
    const s = subjectOf(event);
    if (s === undefined) continue;
    const key = truthKey(s.kind, s.value);
    if (!convicted.has(key)) convicted.set(key, event.time);
  }
  return convicted;
}
