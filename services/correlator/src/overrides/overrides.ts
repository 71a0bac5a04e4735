import type { ClickHouseClient } from '@repute/analytics';
import type { RedisClient } from '@repute/store';
import type { Correlator, IndicatorRef, VerdictChange } from '../correlator.ts';
import type { Verdict } from '../policy/load-policy.ts';
import { pendingPropagationKey, stateKeys } from '../state/state-keys.ts';

export interface OverrideInput {
  verdict: Verdict;
  analyst: string;
  tenant: string;
  comment?: string;
}

/**
 * Sets (or, with `null`, lifts) an analyst override: stored with the indicator's state so every
 * later scoring sees it, audited in ClickHouse `overrides`, applied at once (record written and
 * the change logged with source `override`) and queued for propagation.
 */
export async function applyOverride(
  deps: { redis: RedisClient; clickhouse: ClickHouseClient; database: string; correlator: Correlator; prefix: string },
  ref: IndicatorRef,
  input: OverrideInput | null,
): Promise<VerdictChange[]> {
  const key = stateKeys(deps.prefix, ref.key).override;
  const now = Date.now();
  if (input === null) await deps.redis.del(key);
  else await deps.redis.set(key, JSON.stringify({ verdict: input.verdict, analyst: input.analyst, ...(input.comment ? { comment: input.comment } : {}) }));
  await deps.clickhouse.insert({
    table: `${deps.database}.overrides`,
    format: 'JSONEachRow',
    values: [{ time: now, kind: ref.kind, digest: ref.digest, value: ref.value, verdict: input?.verdict ?? '', analyst: input?.analyst ?? '', tenant: input?.tenant ?? '', comment: input?.comment ?? '', active: input === null ? 0 : 1, version: now }],
  });
  const changes = await deps.correlator.rescore([ref], 'override');
  await deps.redis.zadd(pendingPropagationKey(deps.prefix), now, JSON.stringify(ref));
  return changes;
}
