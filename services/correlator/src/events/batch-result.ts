import type { VerdictChange } from '@repute/verdicts';
import type { BatchResult } from '../correlator.ts';
import type { DecodedBatch } from './decode-batch.ts';
import type { Observation } from './observations.ts';

/** A batch's share of what the passes that carried it found (a pass may carry other batches too). */
function shareOf(
  observations: Observation[],
  passes: { changes: VerdictChange[] }[],
): Pick<BatchResult, 'events' | 'duplicates' | 'changes'> {
  const fresh = observations.reduce((n, o) => (o.applied === true ? n + 1 : n), 0);
  const mine = new Set<string>();
  for (const o of observations) for (const m of o.mentions) mine.add(m.key);
  const changes = passes.reduce((n, p) => n + p.changes.filter((c) => mine.has(c.ref.key)).length, 0);
  return { events: observations.length, duplicates: observations.length - fresh, changes };
}

/**
 * A batch's result once its passes wrote their records. A message the state script refused is
 * rejected as an invalid one is, and counts as no event: the bus dead-letters it alone.
 */
export function batchResult(
  { observations, sources, rows, rejected }: DecodedBatch,
  passes: { changes: VerdictChange[] }[],
  log?: { error(obj: object, msg: string): void },
): BatchResult {
  const result: BatchResult = { ...shareOf(observations, passes), rows: rows.lines, invalid: 0, rejected };
  for (let n = 0; n < observations.length; n++) {
    const refused = observations[n]!.refused;
    if (refused === undefined) continue;
    // Only when the validation here and the script's own checks disagree: a bug to fix.
    log?.error({ id: sources[n]!.id }, `telemetry message refused by the state script: ${refused}`);
    rejected.push({ message: sources[n]!, reason: `REPUTE_CORRELATOR_STATE_REFUSED: ${refused}` });
    result.events -= 1;
    if (observations[n]!.applied !== true) result.duplicates -= 1;
  }
  result.invalid = rejected.length;
  return result;
}
