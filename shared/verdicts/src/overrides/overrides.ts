import type { ClickHouseClient } from '@repute/analytics';
import type { RedisClient } from '@repute/store';
import type { Verdict } from '@repute/core';
import type { IndicatorRef, Rescorer, VerdictChange } from '../indicator-ref.ts';
import { OVERRIDE_FIELD, pendingPropagationKey, stateKeys } from '../state/state-keys.ts';

/** Who lifts an override and why, for the audit. */
export interface OverrideLift {
  analyst: string;
  tenant: string;
  comment?: string;
}

export interface OverrideInput extends OverrideLift {
  verdict: Verdict;
}

export interface OverrideDeps {
  redis: RedisClient;
  clickhouse: ClickHouseClient;
  database: string;
  /** The re-scoring path whose record, log and propagation queue the override goes through. */
  rescorer: Rescorer;
  prefix: string;
}

/**
 * Sets (or, with `null`, lifts) an analyst override: stored with the indicator's state so every
 * later scoring sees it, audited in ClickHouse `overrides`, applied at once (record written and
 * the change logged with source `override`) and queued for propagation. A lift is audited with
 * `lift` (who and why) when given. Only the verdict reaches the indicator's state: the record
 * every lookup returns names the `override` rule, while the analyst and the comment stay in the
 * audit.
 */
export async function applyOverride(deps: OverrideDeps, ref: IndicatorRef, input: OverrideInput | null, lift?: OverrideLift): Promise<VerdictChange[]> {
  const key = stateKeys(deps.prefix, ref.key).state;
  const now = Date.now();
  if (input === null) await deps.redis.hdel(key, OVERRIDE_FIELD);
  else await deps.redis.hset(key, OVERRIDE_FIELD, JSON.stringify({ verdict: input.verdict }));
  const by = input ?? lift;
  await deps.clickhouse.insert({
    table: `${deps.database}.overrides`,
    format: 'JSONEachRow',
    values: [{ time: now, kind: ref.kind, digest: ref.digest, value: ref.value, verdict: input?.verdict ?? '', analyst: by?.analyst ?? '', tenant: by?.tenant ?? '', comment: by?.comment ?? '', active: input === null ? 0 : 1, version: now }],
  });
  const changes = await deps.rescorer.rescore([ref], 'override');
  await deps.redis.zadd(pendingPropagationKey(deps.prefix), now, JSON.stringify(ref));
  return changes;
}

/** Lifts the override in force, auditing who lifted it and why. */
export function liftOverride(deps: OverrideDeps, ref: IndicatorRef, by: OverrideLift): Promise<VerdictChange[]> {
  return applyOverride(deps, ref, null, by);
}
