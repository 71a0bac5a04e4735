import type { VerdictLogRow } from '@repute/analytics';
import { recordSignature } from '../evidence/record.ts';
import { TENANT_OVERRIDE_RULE } from '../evidence/types.ts';
import type { VerdictChange } from '../indicator-ref.ts';
import type { KeyCommand } from './slot-pipeline.ts';
import { pendingPropagationKey, stateKeys } from './state-keys.ts';

const SEVERE = new Set(['malicious', 'suspicious']);

/** Whether a tenant's view is its evidence's verdict, not its own override's (which never propagates). */
export function viewFromEvidence(view: { reasons?: readonly { rule: string }[] }): boolean {
  return view.reasons?.[0]?.rule !== TENANT_OVERRIDE_RULE;
}

/** Malicious for everyone, or in the view of a tenant whose own evidence convicts it. */
export function convictedAnywhere(record: { verdict: string; views?: Record<string, { verdict: string; reasons?: readonly { rule: string }[] }> }): boolean {
  return record.verdict === 'malicious' || Object.values(record.views ?? {}).some((v) => v.verdict === 'malicious' && viewFromEvidence(v));
}

/**
 * The commands that mark changes written (`vd`, `rs`, `rp`) and queue them for propagation. A verdict
 * that propagation moved across `malicious` is passed on in turn (a payload convicted through
 * the droppers that started it raises the URL it came from); smaller moves stay where they
 * are, so suspicion alone never snowballs.
 */
export function writtenCommands(changes: readonly VerdictChange[], source: VerdictLogRow['source'], prefix: string, now: number): KeyCommand[] {
  const commands: KeyCommand[] = [];
  for (const c of changes) {
    // `rp`: the record just written carries the counts of now (see `refreshMs`).
    commands.push(['hset', stateKeys(prefix, c.ref.key).state, 'vd', c.record.verdict, 'rs', recordSignature(c.record), 'rp', now]);
    const cascades = source === 'propagation' ? convictedAnywhere(c.record) || c.previous === 'malicious' : SEVERE.has(c.record.verdict) || SEVERE.has(c.previous);
    if (cascades) {
      commands.push(['zadd', pendingPropagationKey(prefix), now, JSON.stringify({ kind: c.ref.kind, value: c.ref.value, digest: c.ref.digest, key: c.ref.key })]);
    }
  }
  return commands;
}

/** The `verdict_log` rows of changes. */
export function verdictLogRows(changes: readonly VerdictChange[], policyVersion: string, now: number): VerdictLogRow[] {
  return changes.map((c) => ({
    time: now,
    kind: c.ref.kind,
    digest: c.ref.digest,
    value: c.ref.value,
    verdict: c.record.verdict,
    previous_verdict: c.previous,
    score: c.record.score,
    confidence: c.record.confidence,
    source: c.source,
    reasons: JSON.stringify(c.record.reasons),
    policy_version: policyVersion,
    record_version: c.record.version,
  }));
}
