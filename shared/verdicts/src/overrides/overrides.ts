import type { ClickHouseClient } from '@repute/analytics';
import type { RedisClient } from '@repute/store';
import type { Verdict } from '@repute/core';
import type { IndicatorRef, Rescorer, VerdictChange } from '../indicator-ref.ts';
import { OVERRIDE_FIELD, pendingPropagationKey, stateKeys, TENANT_OVERRIDE_PREFIX } from '../state/state-keys.ts';

/**
 * Where an override applies: `global`, for everyone (set by the operator's curators), or
 * `tenant`, as that tenant's own view (its lookups only).
 */
export type OverrideScope = 'global' | 'tenant';

/** Who sets or lifts an override and why, for the audit. */
export interface OverrideLift {
  /** The key that acted. */
  analyst: string;
  tenant: string;
  scope: OverrideScope;
  /** The person the key acted for, when the request named one. */
  actor?: string;
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

/** The state-hash field an override of `scope` lives in. */
export function overrideField(scope: OverrideScope, tenant: string): string {
  return scope === 'global' ? OVERRIDE_FIELD : `${TENANT_OVERRIDE_PREFIX}${encodeURIComponent(tenant)}`;
}

/**
 * Sets (or, with `null`, lifts) an override: stored with the indicator's state so every later
 * scoring sees it, audited in ClickHouse `overrides` with its scope, key and actor, applied at
 * once (record written and the change logged with source `override`). A global override is
 * queued for propagation; a tenant's decides that tenant's view only and goes nowhere else.
 * Only the verdict reaches the indicator's state: the record names the `override` (or
 * `override.tenant`) rule, while who and why stay in the audit.
 */
export async function applyOverride(deps: OverrideDeps, ref: IndicatorRef, input: OverrideInput | null, lift?: OverrideLift): Promise<VerdictChange[]> {
  const by = input ?? lift;
  if (by === undefined) throw new Error('an override lift needs who lifts it');
  const key = stateKeys(deps.prefix, ref.key).state;
  const field = overrideField(by.scope, by.tenant);
  const now = Date.now();
  if (input === null) await deps.redis.hdel(key, field);
  else await deps.redis.hset(key, field, JSON.stringify({ verdict: input.verdict }));
  await deps.clickhouse.insert({
    table: `${deps.database}.overrides`,
    format: 'JSONEachRow',
    values: [{
      time: now, kind: ref.kind, digest: ref.digest, value: ref.value, verdict: input?.verdict ?? '', analyst: by.analyst, tenant: by.tenant,
      comment: by.comment ?? '', active: input === null ? 0 : 1, version: now, scope: by.scope, actor: by.actor ?? '',
    }],
  });
  const changes = await deps.rescorer.rescore([ref], 'override');
  if (by.scope === 'global') await deps.redis.zadd(pendingPropagationKey(deps.prefix), now, JSON.stringify(ref));
  return changes;
}

/** Lifts the override of `by.scope` in force, auditing who lifted it and why. */
export function liftOverride(deps: OverrideDeps, ref: IndicatorRef, by: OverrideLift): Promise<VerdictChange[]> {
  return applyOverride(deps, ref, null, by);
}
