import type { IndicatorKind, Reason, TenantView, Verdict } from '@repute/core';
import type { Policy } from '../policy/load-policy.ts';
import type { PolicyRule } from '../policy/policy-schema.ts';
import { allowListOf } from '../policy/lists.ts';
import { wordWeight } from './likelihood.ts';
import { REPORTER_SOURCE, TENANT_OVERRIDE_RULE, type Assessment, type GraphEvidence, type IndicatorState, type ReliabilityMap, type Word } from './types.ts';

/**
 * How a cap ranks verdicts: an allow list capped at `unknown` still lets an indicator be called
 * `clean`, so for capping `clean` sits below `unknown` (unlike the severity order in core,
 * `VERDICT_RANK`, where `unknown` is the least severe answer).
 */
const CAP_ORDER: Record<Verdict, number> = { clean: 0, unknown: 1, suspicious: 2, malicious: 3 };
const HOUR = 3_600_000;
/** Tenants beyond which no one tenant is checked for being indispensable to a conviction. */
const MAX_LEAVE_ONE_OUT = 6;

/** Reasons a record carries: the strongest contributions, then the guards and caps. */
const MAX_REASONS = 10;
/** Tenant views a record carries at most. */
const MAX_VIEWS = 32;
/** Marks evidence a trusted source or the operator stands behind, in `Assessment.tenants`. */
export const TRUSTED = '*';

const round = (n: number): number => Math.round(n * 100) / 100;

/** Decay multiplier of evidence `ageMs` old for `kind` (1 when the kind does not decay). */
export function decay(policy: Policy, kind: IndicatorKind, ageMs: number): number {
  const halfLife = policy.doc.halfLifeHours[kind];
  if (halfLife === null) return 1;
  return 0.5 ** (Math.max(0, ageMs) / (halfLife * HOUR));
}

/** Posterior probability of `malicious` in percent from log-odds in decibans. */
export function scoreOf(logOdds: number): number {
  return Math.max(0, Math.min(100, Math.round(100 / (1 + 10 ** (-logOdds / 10)))));
}

/** A reason in the making, with what decides the verdict's guards. */
interface Contribution extends Reason {
  hard?: boolean;
  /** Tenants whose evidence it is (TRUSTED for the operator's and trusted sources). */
  tenants: string[];
}

/**
 * Per engine, the word that counts: each tenant's latest word is that tenant's testimony (a
 * later `clean` through the same tenant retracts an earlier detection); across tenants the
 * most severe stands, with the tenants that agree on it. A trusted source's later `clean`
 * retracts every tenant's earlier detection of that engine.
 */
function engineWords(words: readonly Word[]): { word: Word; tenants: string[]; trusted: boolean; count: number }[] {
  const byEngine = new Map<string, Word[]>();
  for (const w of words) {
    const id = `${w.source}|${w.engine}`;
    const list = byEngine.get(id);
    if (list === undefined) byEngine.set(id, [w]);
    else list.push(w);
  }
  const out: { word: Word; tenants: string[]; trusted: boolean; count: number }[] = [];
  for (const list of byEngine.values()) {
    let trustedClean = -1;
    for (const w of list) if (w.trusted && w.category === 'clean' && w.at > trustedClean) trustedClean = w.at;
    const live = list.filter((w) => w.category === 'clean' || w.at >= trustedClean);
    const severity = (w: Word) => (w.category === 'malicious' ? 3 : w.category === 'clean' ? 1 : 2);
    let best = live[0] ?? list[0]!;
    for (const w of live) if (severity(w) > severity(best) || (severity(w) === severity(best) && w.at > best.at)) best = w;
    const agreeing = live.filter((w) => severity(w) === severity(best));
    out.push({
      word: best,
      tenants: [...new Set(agreeing.map((w) => (w.trusted ? TRUSTED : w.tenant)))],
      trusted: agreeing.some((w) => w.trusted),
      count: agreeing.reduce((n, w) => n + w.count, 0),
    });
  }
  return out;
}

/**
 * How far graph evidence counts on an indicator seen mostly apart from the neighbours that
 * testify against it (Polonium's and AESOP's popularity normalisation): two convicted programs
 * that resolve a public resolver say little about it, a C2 domain is seen only in their company.
 * Judged with the indicator's sensors now, every time it is scored, so a resolver that 116
 * sensors use is not judged by the two that had seen it when the evidence arrived. Only
 * neighbours that carry weight count: a domain's own hosting IP testifying nothing does not
 * explain its sightings away. Shares add up over neighbours (a polymorphic family contacting one
 * C2 from every victim explains all of it). The share of its sightings its accusers explain;
 * undefined when nothing testifies against it.
 */
function bystanderShare(state: IndicatorState, graph: readonly GraphEvidence[]): number | undefined {
  if (state.sensors <= 0) return undefined;
  const byNeighbour = new Map<string, number>();
  for (const g of graph) {
    if (g.weight <= 0) continue;
    const share = g.sensors === undefined ? 1 : Math.min(1, g.sensors / state.sensors);
    byNeighbour.set(g.from.key, Math.max(byNeighbour.get(g.from.key) ?? 0, share));
  }
  if (byNeighbour.size === 0) return undefined;
  return Math.min(1, [...byNeighbour.values()].reduce((a, b) => a + b, 0));
}

/** The bystander scaling of graph evidence (see `bystanderShare`), undefined when it does not apply. */
function bystanderScale(state: IndicatorState, share: number | undefined, r: PolicyRule | undefined): { share: number; factor: number } | undefined {
  if (r === undefined || r.minShare === undefined || share === undefined || state.sensors < (r.minSensors ?? 0)) return undefined;
  const factor = share / r.minShare;
  return factor >= 1 ? undefined : { share, factor };
}

interface Scored {
  logOdds: number;
  contributions: Contribution[];
  guards: Reason[];
  widespread: boolean;
  hasBad: boolean;
  neighbours: number;
  hard: boolean;
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
    && (s.logOdds < doc.thresholds.malicious || !hasIndispensableTenant(state, policy, now, reliability, allow !== undefined, all)));

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
function hasIndispensableTenant(state: IndicatorState, policy: Policy, now: number, reliability: ReliabilityMap | undefined, allowListed: boolean, tenants: ReadonlySet<string>): boolean {
  if (tenants.size > MAX_LEAVE_ONE_OUT) return false;
  for (const tenant of tenants) {
    const without: IndicatorState = {
      ...state,
      words: state.words.filter((w) => w.tenant !== tenant || w.trusted),
      graph: state.graph.filter((g) => (g.tenants ?? []).some((t) => t !== tenant)),
    };
    if (score(without, policy, now, reliability, allowListed).logOdds < policy.doc.thresholds.suspicious) return true;
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

/**
 * One reason per rule and contributor, strongest first, in a stable order (weight, then rule,
 * then detail); guards and caps after the contributions that they qualify.
 */
function explain(contributions: readonly Contribution[], guards: readonly Reason[]): Reason[] {
  if (contributions.length === 0 && guards.length <= 1) return guards.length === 0 ? [] : [guards[0]!];
  const merged = new Map<string, Reason>();
  for (const c of contributions) {
    if (c.weight === 0) continue;
    const id = `${c.rule}\u0000${c.detail ?? ''}`;
    const prior = merged.get(id);
    if (prior === undefined) merged.set(id, { rule: c.rule, weight: round(c.weight), ...(c.evidence !== undefined ? { evidence: c.evidence } : {}), ...(c.detail !== undefined ? { detail: c.detail } : {}) });
    else {
      prior.weight = round(prior.weight + c.weight);
      if (c.evidence !== undefined) prior.evidence = (prior.evidence ?? 0) + c.evidence;
    }
  }
  const ranked = [...merged.values()].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.rule.localeCompare(b.rule) || (a.detail ?? '').localeCompare(b.detail ?? ''));
  const seen = new Set<string>();
  const tail = guards.filter((g) => (seen.has(g.rule) ? false : (seen.add(g.rule), true)));
  return [...ranked.slice(0, MAX_REASONS - tail.length), ...tail];
}

function score(state: IndicatorState, policy: Policy, now: number, reliability: ReliabilityMap | undefined, allowListed: boolean): Scored {
  const { doc } = policy;
  const contributions: Contribution[] = [];
  const guards: Reason[] = [];
  let logOdds = doc.prior[state.kind];
  let hard = false;
  const rule = (id: string) => {
    const r = doc.rules[id];
    return r !== undefined && (r.kinds === undefined || r.kinds.includes(state.kind)) ? r : undefined;
  };
  const add = (c: Contribution) => {
    if (c.weight === 0 || !Number.isFinite(c.weight)) return;
    contributions.push(c);
    logOdds += c.weight;
    if (c.hard === true && c.weight > 0) hard = true;
  };
  // Decay runs from the last evidence: a URL still visited is still what its detections said.
  let lastEvidence = state.lastSeen;
  for (const w of state.words) if (w.at > lastEvidence) lastEvidence = w.at;
  const fade = decay(policy, state.kind, now - lastEvidence);

  // Words: per class, strongest first, discounted for their correlation.
  // Most indicators have no word at all: no grouping for them.
  const words = state.words.length === 0 ? [] : engineWords(state.words);
  const byClass = new Map<string, { weight: number; word: Word; tenants: string[]; count: number; trusted: boolean }[]>();
  let hasBad = false;
  for (const w of words) {
    const weight = wordWeight(policy, reliability, state.kind, w.word);
    if (weight === 0) continue;
    if (w.word.category !== 'clean') hasBad = true;
    const list = byClass.get(w.word.source) ?? [];
    byClass.set(w.word.source, list);
    list.push({ weight, word: w.word, tenants: w.tenants, count: w.count, trusted: w.trusted });
  }
  const badTenants = new Set<string>();
  for (const [source, list] of byClass) {
    const positive = list.filter((x) => x.weight > 0).sort((a, b) => b.weight - a.weight || a.word.engine.localeCompare(b.word.engine));
    const negative = list.filter((x) => x.weight < 0).sort((a, b) => a.weight - b.weight || a.word.engine.localeCompare(b.word.engine));
    for (const group of [positive, negative]) {
      group.forEach((x, n) => {
        const discount = doc.discount[Math.min(n, doc.discount.length - 1)]!;
        const category = x.word.category === 'pua' ? 'suspicious' : x.word.category;
        if (x.weight > 0) for (const tenant of x.tenants) badTenants.add(tenant);
        add({
          rule: `${source}.${category}`, weight: x.weight * discount * (x.weight > 0 ? fade : 1), evidence: x.count, detail: x.word.engine,
          hard: category === 'malicious', tenants: x.tenants,
        });
      });
    }
  }

  // A product that flagged the same URL or name on visit after visit (several hosts, hours
  // apart) has classified it again each time: not a one-off misclassification. Whatever the
  // class of the product: a mail gateway's retro-scan alerts arrive as plain detections.
  const repeated = rule('corroboration.repeated');
  if (repeated !== undefined) {
    let best: { weight: number; word: Word; tenants: string[]; count: number } | undefined;
    for (const list of byClass.values()) {
      for (const x of list) if (x.weight > 0 && x.count >= (repeated.min ?? 3) && (best === undefined || x.count > best.count)) best = x;
    }
    if (best !== undefined) add({ rule: 'corroboration.repeated', weight: repeated.weight * fade, evidence: best.count, detail: best.word.engine, tenants: best.tenants });
  }

  // Independent tenants agreeing: each beyond the first is a witness a single tenant cannot fake.
  const consensus = rule('consensus.tenants');
  const independent = [...badTenants].filter((t) => t !== TRUSTED && t !== '').length;
  if (consensus !== undefined && independent >= (consensus.min ?? 2)) {
    add({ rule: 'consensus.tenants', weight: Math.min(consensus.maxTotal ?? Infinity, consensus.weight * Math.log2(independent)), evidence: independent, tenants: [...badTenants] });
  }

  // Prevalence: evidence about the prior. Counted across tenants, which one tenant cannot fake
  // with sensor ids of its own.
  const rare = rule('prevalence.new_rare');
  if (rare !== undefined && state.sensors <= (rare.maxSensors ?? 1) && now - state.firstSeen <= (rare.maxAgeHours ?? 24) * HOUR) {
    add({ rule: 'prevalence.new_rare', weight: rare.weight, evidence: state.sensors, tenants: [] });
  }
  let widespread = false;
  // Sightings its accusers explain are no sign of popularity: a C2 domain every victim of a
  // broad campaign beacons to is seen widely, and only in their company.
  const share = state.graph.length === 0 || allowListed ? undefined : bystanderShare(state, state.graph);
  const bystander = rule('prevalence.bystander');
  const explained = share !== undefined && share >= (bystander?.minShare ?? 1);
  const signed = rule('prevalence.widespread_signed');
  const wide = rule('prevalence.widespread');
  if (signed !== undefined && state.signed && state.sensors >= (signed.minSensors ?? 0) && state.tenants >= (signed.minTenants ?? 0)) {
    add({ rule: 'prevalence.widespread_signed', weight: signed.weight, evidence: state.tenants, tenants: [] });
    widespread = true;
  } else if (wide !== undefined && !explained && state.sensors >= (wide.minSensors ?? 0) && state.tenants >= (wide.minTenants ?? 0)
    // Every recipient of a lure clicking within hours, every victim of an outbreak running the
    // dropper: reach gained in a burst is a campaign's, not a reputation.
    && state.lastSeen - state.firstSeen >= (wide.minSpanHours ?? 0) * HOUR) {
    // Graded: each doubling of the tenants past the bar lowers the prior again, up to maxTotal.
    const doublings = 1 + Math.log2(state.tenants / Math.max(1, wide.minTenants ?? 1));
    add({ rule: 'prevalence.widespread', weight: Math.max(-(wide.maxTotal ?? Infinity), wide.weight * doublings), evidence: state.tenants, tenants: [] });
    widespread = true;
  }

  for (const block of policy.block) {
    if (block.has(state.kind, state.value)) {
      const r = rule('list.block');
      if (r !== undefined) add({ rule: 'list.block', weight: r.weight, evidence: 1, detail: block.id, hard: r.hard === true, tenants: [TRUSTED] });
    }
  }

  // Graph evidence: the strongest contribution per neighbour (the node it arrives through, so a
  // relay counts once however many sources or URLs sit behind it), total capped. Nothing
  // counts by association on an allow-listed or infrastructure indicator.
  let neighbours = 0;
  const relation = rule('relation');
  if (relation !== undefined && state.graph.length > 0 && !allowListed) {
    const graph = state.graph;
    const scale = bystanderScale(state, share, bystander);
    if (scale !== undefined) guards.push({ rule: 'prevalence.bystander', weight: 0, evidence: state.sensors, detail: `accusers seen by ${Math.round(scale.share * 100)}% of its sensors; graph evidence x${round(scale.factor)}` });
    let budget = relation.maxTotal ?? Number.POSITIVE_INFINITY;
    const counted = new Set<string>();
    for (const g of [...graph].sort((a, b) => b.weight - a.weight || a.from.key.localeCompare(b.from.key))) {
      if (counted.has(g.from.key) || budget <= 0) continue;
      counted.add(g.from.key);
      const weight = Math.min(g.weight, budget) * (scale?.factor ?? 1) * fade;
      budget -= Math.min(g.weight, budget);
      add({ rule: `relation.${g.rel}`, weight, evidence: g.hops, detail: `${g.from.kind} ${g.from.value}`, hard: g.dedicated === true, tenants: g.tenants ?? [] });
    }
    neighbours = counted.size;
  }

  // Provenance (CAMP, AMICO): delivering a convicted file to several machines is what a
  // distribution URL does; one relation seen once may be a mislabelled download.
  const provenance = rule('provenance.delivered_convicted');
  if (provenance !== undefined && !allowListed) {
    let best: GraphEvidence | undefined;
    for (const g of state.graph) {
      if (g.rel === 'downloaded_from' && g.hops === 1 && (g.convictedSensors ?? 0) >= (provenance.minSensors ?? 2) && (best === undefined || (g.convictedSensors ?? 0) > (best.convictedSensors ?? 0))) best = g;
    }
    if (best !== undefined) add({ rule: 'provenance.delivered_convicted', weight: provenance.weight * fade, evidence: best.convictedSensors ?? 0, detail: `${best.from.kind} ${best.from.value}`, hard: provenance.hard === true, tenants: best.tenants ?? [] });
  }

  // CAMP's inference the other way: a program downloaded from a convicted distribution URL is
  // what that URL distributes (per-victim builds of one dropper never share a hash, so no engine
  // has seen the next one yet). Only a convicted URL says so, never a suspicious one.
  const fromConvicted = rule('provenance.downloaded_from_convicted');
  if (fromConvicted !== undefined && !allowListed) {
    const g = state.graph.find((x) => x.rel === 'downloaded_from' && x.hops === 1 && x.from.kind === 'url' && x.convictedSensors !== undefined);
    if (g !== undefined) add({ rule: 'provenance.downloaded_from_convicted', weight: fromConvicted.weight * fade, evidence: 1, detail: `${g.from.kind} ${g.from.value}`, hard: fromConvicted.hard === true, tenants: g.tenants ?? [] });
  }

  // A convicted program contacting a name or an address from several machines: what its C2 is.
  // Scaled like any graph evidence on what is seen mostly apart from it, and hard only when
  // nothing scales it (a popular site a payload checks connectivity against is no C2).
  const contacted = rule('provenance.contacted_convicted');
  if (contacted !== undefined && !allowListed) {
    let best: GraphEvidence | undefined;
    for (const g of state.graph) {
      if (g.rel === 'connected_to' && g.hops === 1 && (g.convictedSensors ?? 0) >= (contacted.minSensors ?? 2) && (best === undefined || (g.convictedSensors ?? 0) > (best.convictedSensors ?? 0))) best = g;
    }
    if (best !== undefined) {
      const factor = bystanderScale(state, share, bystander)?.factor ?? 1;
      add({ rule: 'provenance.contacted_convicted', weight: contacted.weight * factor * fade, evidence: best.convictedSensors ?? 0, detail: `${best.from.kind} ${best.from.value}`, hard: contacted.hard === true && factor >= 1, tenants: best.tenants ?? [] });
    }
  }

  // A host shown dedicated to the convicted URLs it serves (young, its URLs mostly accused): the
  // phishing domain behind its one phishing page.
  const dedicatedHost = rule('provenance.dedicated_host');
  const dedicated = dedicatedHost === undefined || allowListed ? undefined : state.graph.find((g) => g.dedicated === true && g.hops === 1 && g.convictedSensors !== undefined);
  if (dedicatedHost !== undefined && dedicated !== undefined) {
    add({ rule: 'provenance.dedicated_host', weight: dedicatedHost.weight * fade, evidence: 1, detail: `${dedicated.from.kind} ${dedicated.from.value}`, hard: dedicatedHost.hard === true, tenants: dedicated.tenants ?? [] });
  }

  return { logOdds, contributions, guards, widespread, hasBad, neighbours, hard };
}
