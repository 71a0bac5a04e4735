/** Time of an event as ingest takes it: epoch milliseconds or an ISO 8601 string; NaN otherwise. */
const timeOf = (value: unknown): number => (typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN);

/**
 * Moves NDJSON events to the present: every `time` shifts by the same amount, so that the latest
 * event happened a minute before `now` and the others keep their order and spacing. Ingest
 * refuses events older than its age limit (30 days by default), so a file of examples or a
 * recorded incident is accepted again any day. A time keeps its form (epoch ms or ISO 8601);
 * lines that are not events with a time pass through unchanged, for ingest to judge.
 */
export function restampLines(lines: readonly string[], now: number = Date.now()): string[] {
  const parsed = lines.map((line): Record<string, unknown> | undefined => {
    try {
      const event: unknown = JSON.parse(line);
      return event !== null && typeof event === 'object' && !Array.isArray(event) && Number.isFinite(timeOf((event as Record<string, unknown>)['time']))
        ? (event as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  });
  let latest = Number.NEGATIVE_INFINITY;
  for (const event of parsed) if (event !== undefined) latest = Math.max(latest, timeOf(event['time']));
  if (!Number.isFinite(latest)) return [...lines];
  const shift = now - 60_000 - latest;
  return lines.map((line, i) => {
    const event = parsed[i];
    if (event === undefined) return line;
    const time = timeOf(event['time']) + shift;
    return JSON.stringify({ ...event, time: typeof event['time'] === 'number' ? time : new Date(time).toISOString() });
  });
}
