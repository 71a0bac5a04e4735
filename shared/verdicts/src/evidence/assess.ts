import type { Reason, TenantView, Verdict } from '@repute/core';
import type { Policy } from '../policy/load-policy.ts';
import { allowListOf } from '../policy/lists.ts';
import { explain } from './explain.ts';
import { score, TRUSTED } from './score.ts';
import { REPORTER_SOURCE, TENANT_OVERRIDE_RULE, type Assessment, type IndicatorState, type ReliabilityMap } from './types.ts';

export { decay, TRUSTED } from './score.ts';

/**
 * How a cap ranks verdicts: an allow list capped at `unknown` still lets an indicator be called
 * `clean`, so for capping `clean` sits below `unknown` (unlike the severity order in core,
 * `VERDICT_RANK`, where `unknown` is the least severe answer).
 */
const CAP_ORDER: Record<Verdict, number> = { clean: 0, unknown: 1, suspicious: 2, malicious: 3 };
/** Tenants beyond which no one tenant is checked for being indispensable to a conviction. */
const MAX_LEAVE_ONE_OUT = 6;
/** Tenant views a record carries at most. */
const MAX_VIEWS = 32;

const round = (n: number): number => Math.round(n * 100) / 100;

/** Posterior probability of `malicious` in percent from log-odds in decibans. */
export function scoreOf(logOdds: number): number {
  return Math.max(0, Math.min(100, Math.round(100 / (1 + 10 ** (-logOdds / 10)))));
}

/**
 * Scores an indicator: posterior log-odds = prior + Σ log-likelihood ratios, in decibans.
 * Pure: the same state, policy, reliabilities and clock give the same answer. Precedence,
 * highest first: analyst override; allow list (caps the verdict, blocks propagation and graph
 * evidence); block list (hard evidence); evidence.
 *
 * - The prior is the kind's base rate, lowered for what is widespread across tenants (and
 *   more for signed software), raised a little for what is new and rare: prevalence is
 *   evidence about the prior, never enough to convict (80 : 1 benign singletons).
 * - Each engine's word counts `log(TPR/FPR)` for a detection and `log((1-TPR)/(1-FPR))` for a
 *   `clean`, with the engine's measured rates where known; the n-th strongest engine of a
 *   class counts `discount[n]` of it, since engines share signatures.
 * - Words and graph evidence of decaying kinds decay with the time since the last evidence.
 * - Graph evidence counts by neighbour (the node it arrives through), capped in total.
 *
 * `malicious` needs hard evidence (a detection, a block list, a dedicated host, provenance) or
 * graph evidence from `minGraphNeighbours` distinct neighbours, and independent tenants:
 * evidence from one tenant alone convicts in that tenant's view (`views`) but raises the global
 * verdict at most to `suspicious`, unless a trusted source or the operator's list stands behind it.
 */
export function assess(state: IndicatorState, policy: Policy, now: number, reliability?: ReliabilityMap): Assessment {
  const assessment = assessEvidence(state, policy, now, reliability);
  const own = state.tenantOverrides;
  if (own === undefined) return assessment;
  // A tenant's override is its view, whatever the evidence or a curator decided for everyone;
  // it never reaches the global verdict, propagation or another tenant.
  const views = { ...assessment.views };
  for (const [tenant, o] of Object.entries(own)) {
    views[tenant] = { verdict: o.verdict, score: OVERRIDE_SCORE[o.verdict], confidence: 1, reasons: [{ rule: TENANT_OVERRIDE_RULE, weight: 0, evidence: 1 }] };
  }
  return { ...assessment, views };
}

const OVERRIDE_SCORE: Record<Verdict, number> = { malicious: 100, suspicious: 75, clean: 0, unknown: 50 };

function assessEvidence(state: IndicatorState, policy: Policy, now: number, reliability?: ReliabilityMap): Assessment {
  const { doc } = policy;
  if (state.override !== undefined) {
    const o = state.override;
    return {
      verdict: o.verdict,
      score: OVERRIDE_SCORE[o.verdict],
      confidence: 1,
      logOdds: o.verdict === 'malicious' ? 100 : o.verdict === 'clean' ? -100 : 0,
      // Every edge lookup returns the reasons: who overrode and why stay in the audit log.
      reasons: [{ rule: 'override', weight: 0, evidence: 1 }],
      ttl: doc.ttlSeconds[o.verdict],
      propagates: o.verdict === 'malicious',
      relays: o.verdict === 'malicious',
      tenants: [TRUSTED],
    };
  }
  const allow = allowListOf(policy, state.kind, state.value);
  const s = score(state, policy, now, reliability, allow !== undefined);
  const t = doc.thresholds;
  const all = new Set<string>();
  for (const c of s.contributions) if (c.weight > 0) for (const tenant of c.tenants) all.add(tenant);
  const trusted = all.has(TRUSTED);
  const reporter = all.size === 1 && !s.widespread ? establishedReporter(policy, reliability, [...all][0]!) : undefined;
  // The leave-one-out re-scoring only matters to a conviction: skipped below the threshold,
  // where every scored event lands.
  const independent = trusted || reporter !== undefined || (all.size >= doc.malicious.minTenants
    && (s.logOdds < doc.thresholds.malicious || !hasIndispensableTenant(state, policy, now, reliability, allow !== undefined, all, (state.kind === 'file' && state.signed) || s.widespread)));

  const decide = (lifted: boolean): { verdict: Verdict; guards: Reason[] } => {
    const guards: Reason[] = [];
    let verdict: Verdict = s.logOdds >= t.malicious ? 'malicious' : s.logOdds >= t.suspicious ? 'suspicious' : s.logOdds <= t.clean ? 'clean' : 'unknown';
    // A signed program convicted by its neighbours alone is what malware ran or injected into
    // (a script host, rundll32, a vendor's updater): it needs a detection of its own.
    if (verdict === 'malicious' && doc.malicious.requireHardEvidence && !s.hard && (s.neighbours < doc.malicious.minGraphNeighbours || (state.kind === 'file' && state.signed))) {
      verdict = 'suspicious';
      guards.push({ rule: 'guard.no_hard_evidence', weight: 0, evidence: s.neighbours, ...(state.signed && state.kind === 'file' ? { detail: 'a signed program needs a detection of its own' } : {}) });
    }
    if (verdict === 'malicious' && !independent && !lifted) {
      verdict = 'suspicious';
      guards.push({ rule: 'guard.single_tenant', weight: 0, evidence: all.size, detail: 'evidence from one tenant convicts in its own view only' });
    }
    if (allow !== undefined) {
      if (allow.cap === 'clean' || CAP_ORDER[verdict] > CAP_ORDER[allow.cap]) verdict = allow.cap;
      guards.push({ rule: `allow.${allow.id}`, weight: 0, evidence: 1, detail: `capped at ${allow.cap}` });
    }
    return { verdict, guards };
  };

  const global = decide(false);
  // Which tenant stands behind it stays unsaid: answers never name tenants.
  if (reporter !== undefined && global.verdict === 'malicious') global.guards.push({ rule: 'consensus.reporter', weight: 0, evidence: 1, detail: 'one tenant with a record of early reports others confirmed' });
  const reasons = explain(s.contributions, [...s.guards, ...global.guards]);
  const confidence = confidenceOf(global.verdict, s.logOdds, policy);
  const propagates = allow === undefined;
  const assessment: Assessment = {
    verdict: global.verdict,
    score: scoreOf(s.logOdds),
    confidence,
    logOdds: round(s.logOdds),
    reasons,
    ttl: doc.ttlSeconds[global.verdict],
    propagates,
    // A signed file without a detection is a vendor's program: what started or loaded it says
    // nothing about the other programs it touches.
    relays: propagates && global.verdict !== 'clean' && !s.widespread && !(state.signed && !s.hasBad),
    tenants: [...all].sort(),
  };
  // The one tenant whose evidence it is sees what its evidence alone decides.
  if (!independent && all.size === 1) {
    const tenant = [...all][0]!;
    const local = decide(true);
    if (local.verdict !== global.verdict && tenant !== '') {
      const view: TenantView = { verdict: local.verdict, score: assessment.score, confidence: confidenceOf(local.verdict, s.logOdds, policy), reasons: explain(s.contributions, [...s.guards, ...local.guards]) };
      assessment.views = { [tenant]: view };
    }
  }
  if (assessment.views !== undefined && Object.keys(assessment.views).length > MAX_VIEWS) delete assessment.views;
  return assessment;
}

/**
 * Whether one tenant's evidence is indispensable to the conviction: without it, the rest would
 * not make the indicator even suspicious. Tenants counted this way are not independent
 * witnesses: a poisoner's flood on a popular installer plus one honest sandbox's hedged
 * `suspicious` is one tenant's accusation, not two. (Checked only when the tenants are few;
 * each leave-one-out is a re-scoring without that tenant's words and graph evidence.)
 */
function hasIndispensableTenant(
  state: IndicatorState, policy: Policy, now: number, reliability: ReliabilityMap | undefined, allowListed: boolean, tenants: ReadonlySet<string>,
  popular: boolean,
): boolean {
  // Only a tenant with words of its own, or the one tenant behind some graph evidence, takes
  // anything away when left out: a faint relation naming a dozen tenants (two hops from the
  // sites they all visit) adds names, not witnesses, and must not lift a poisoner's flood past
  // the check by their number.
  const candidates = new Set<string>();
  for (const w of state.words) if (!w.trusted && w.category !== 'clean' && tenants.has(w.tenant)) candidates.add(w.tenant);
  for (const g of state.graph) if (g.tenants?.length === 1 && tenants.has(g.tenants[0]!)) candidates.add(g.tenants[0]!);
  if (candidates.size > MAX_LEAVE_ONE_OUT) return false;
  for (const tenant of candidates) {
    const without: IndicatorState = {
      ...state,
      words: state.words.filter((w) => w.tenant !== tenant || w.trusted),
      graph: state.graph.filter((g) => (g.tenants ?? []).some((t) => t !== tenant)),
    };
    // The rest must accuse on its own; on a signed or widespread indicator, a poisoner's usual
    // target, with a detection or other hard evidence too: its flood of invented engines over
    // one honest sandbox's `suspicious` on a popular installer is still its conviction.
    const rest = score(without, policy, now, reliability, allowListed);
    if (rest.logOdds < policy.doc.thresholds.suspicious || (popular && !rest.hard)) return true;
  }
  return false;
}

/**
 * The tenant's record as a reporter when it meets the policy's bar (`malicious.reporters`):
 * enough early reports that others confirmed, and a large enough share of its judged ones.
 */
function establishedReporter(policy: Policy, reliability: ReliabilityMap | undefined, tenant: string): { confirmed: number } | undefined {
  const bar = policy.doc.malicious.reporters;
  if (bar === undefined || reliability === undefined || tenant === '' || tenant === TRUSTED) return undefined;
  const record = reliability.get(`${REPORTER_SOURCE}|${tenant}`);
  const confirmed = record?.labelledMalicious ?? 0;
  const contradicted = record?.labelledBenign ?? 0;
  if (confirmed < bar.minConfirmed || confirmed / (confirmed + contradicted) < bar.minShare) return undefined;
  return { confirmed };
}

function confidenceOf(verdict: Verdict, logOdds: number, policy: Policy): number {
  const t = policy.doc.thresholds;
  // How far past the verdict's own threshold the evidence lies, in units of the gap between
  // the suspicious and malicious thresholds.
  const span = Math.max(1, t.malicious - t.suspicious);
  const distance = verdict === 'malicious' ? logOdds - t.malicious + span / 2
    : verdict === 'clean' ? t.clean - logOdds + span / 2
      : verdict === 'suspicious' ? Math.min(logOdds - t.suspicious, t.malicious - logOdds)
        : Math.min(logOdds - t.clean, t.suspicious - logOdds);
  return round(Math.min(1, Math.max(0.05, distance / span)));
}

