import type { Policy, Verdict } from '../policy/load-policy.ts';
import type { PolicyRule } from '../policy/policy-schema.ts';

type Kind = 'file' | 'url' | 'domain' | 'ip' | 'email';
export type DetectionCategory = 'malicious' | 'suspicious' | 'pua' | 'clean';

/** One piece of evidence behind a verdict. */
export interface Reason {
  /** Rule id from the policy (`engine.malicious`, `relation.downloaded_from`, `allow.tranco10k`, ...). */
  rule: string;
  /** Points it contributed after decay (0 for caps and guards). */
  weight: number;
  /** How many observations stand behind it. */
  evidence: number;
  /** Engines, list id, or for graph evidence the neighbour that contributed (`<kind> <value>`). */
  detail?: string;
}

/** Detections of one engine (or sandbox) in one time bucket. */
export interface DetectionBucket {
  source: 'engine' | 'sandbox';
  engine: string;
  category: DetectionCategory;
  /** Start of the bucket, epoch ms. */
  at: number;
  count: number;
}

/** Evidence pushed onto an indicator by a related one. */
export interface GraphEvidence {
  /**
   * The neighbour the evidence arrives through (the last node before this one). Distinct
   * neighbours are counted by it: evidence of several sources relayed by one node is one
   * neighbour's testimony, not several.
   */
  from: { kind: string; value: string; key: string };
  /** Record key of the indicator the walk started from (equal to `from.key` at one hop). */
  source?: string;
  /**
   * Set when `from` is a relay itself convicted (`malicious`): it is no innocent hub joining
   * unrelated nodes, so each source behind it counts as a neighbour of its own, as two convicted
   * files downloaded from one URL do.
   */
  vouched?: boolean;
  rel: string;
  hops: number;
  /** Points, already attenuated per hop. */
  weight: number;
  /** One hop from a convicted (`malicious`) source: distinct sensors that saw the relation. */
  convictedSensors?: number;
  /** Distinct sensors that saw the relation the evidence arrived over (`from` with this indicator). */
  sensors?: number;
  /** Distinct sensors that had seen this indicator when the evidence was recorded. */
  targetSensors?: number;
}

/** What the correlator knows of an indicator: the scoring input. */
export interface IndicatorState {
  kind: Kind;
  value: string;
  firstSeen: number;
  lastSeen: number;
  sensors: number;
  tenants: number;
  detectingSensors: number;
  detectingTenants: number;
  signed: boolean;
  detections: DetectionBucket[];
  graph: GraphEvidence[];
  /** Who set it and why stay in ClickHouse's audit; scoring needs the verdict only. */
  override?: { verdict: Verdict } | undefined;
}

export interface Assessment {
  verdict: Verdict;
  score: number;
  confidence: number;
  reasons: Reason[];
  /** The policy's cache TTL for the verdict, seconds. */
  ttl: number;
  /** False when an allow list or override forbids passing suspicion on. */
  propagates: boolean;
  /**
   * Whether evidence from elsewhere may pass through this indicator to its other neighbours:
   * not when it is assessed clean, widespread or signed (explorer.exe relays nothing between
   * the programs it starts), nor when it may not propagate at all.
   */
  relays: boolean;
}

const ORDER: Record<Verdict, number> = { clean: 0, unknown: 1, suspicious: 2, malicious: 3 };
const HOUR = 3_600_000;

const round = (n: number): number => Math.round(n * 100) / 100;

/** Decay multiplier of evidence `ageMs` old for `kind` (1 when the kind does not decay). */
export function decay(policy: Policy, kind: Kind, ageMs: number): number {
  const halfLife = policy.doc.halfLifeHours[kind];
  if (halfLife === null) return 1;
  return 0.5 ** (Math.max(0, ageMs) / (halfLife * HOUR));
}

/** Allow list of the indicator, if any (the first one listing it). */
export function allowListOf(policy: Policy, kind: Kind, value: string): { id: string; cap: Verdict } | undefined {
  for (const allow of policy.allow) if (allow.list.has(kind, value)) return { id: allow.list.id, cap: allow.cap };
  return undefined;
}

/**
 * How far graph evidence counts on an indicator seen mostly apart from the neighbours that
 * testify against it (Polonium's and AESOP's popularity normalisation): two convicted programs
 * that check connectivity against a site 25 machines browse say little about the site, while a
 * C2 domain is seen only in their company. A neighbour's testimony is judged when it is given:
 * the sensors that saw the indicator with it, as a share of the indicator's sensors then (under
 * `minSensors` the share says too little, and counts whole), so a campaign that grows later
 * does not dilute what convicted it. Shares add up over neighbours (a polymorphic family
 * contacting one C2 from every victim explains all of it). Undefined when the rule is off or the
 * neighbours explain at least `minShare` of the sightings; evidence recorded without the counts
 * counts whole.
 */
function bystanderScale(state: IndicatorState, r: PolicyRule | undefined): { share: number; factor: number } | undefined {
  if (r === undefined || r.minShare === undefined) return undefined;
  const byNeighbour = new Map<string, number>();
  for (const g of state.graph) {
    const judged = g.sensors !== undefined && g.targetSensors !== undefined && g.targetSensors >= (r.minSensors ?? 0) && g.targetSensors > 0;
    const share = judged ? Math.min(1, g.sensors! / g.targetSensors!) : 1;
    byNeighbour.set(g.from.key, Math.max(byNeighbour.get(g.from.key) ?? 0, share));
  }
  const share = Math.min(1, [...byNeighbour.values()].reduce((a, b) => a + b, 0));
  const factor = share / r.minShare;
  return factor >= 1 ? undefined : { share, factor };
}

/**
 * Scores an indicator. Pure: the same state, policy and clock give the same answer.
 * Precedence, highest first: analyst override; allow list (caps the verdict, blocks
 * propagation); block list (hard evidence); rules. Evidence is summed in points; the score is
 * 50 + points / 2, clamped to 0-100; thresholds map it to a verdict; `malicious` needs hard
 * evidence or graph evidence from enough distinct neighbours, otherwise it stays `suspicious`.
 */
export function assess(state: IndicatorState, policy: Policy, now: number): Assessment {
  const { doc } = policy;
  if (state.override !== undefined) {
    const o = state.override;
    const score = o.verdict === 'malicious' ? 100 : o.verdict === 'suspicious' ? 75 : o.verdict === 'clean' ? 0 : 50;
    return {
      verdict: o.verdict,
      score,
      confidence: 1,
      // Every edge lookup returns the reasons: who overrode and why stay in the audit log.
      reasons: [{ rule: 'override', weight: 0, evidence: 1 }],
      ttl: doc.ttlSeconds[o.verdict],
      propagates: o.verdict === 'malicious',
      relays: o.verdict === 'malicious',
    };
  }

  const reasons: Reason[] = [];
  let points = 0;
  let hard = false;
  const rule = (id: string) => {
    const r = doc.rules[id];
    return r !== undefined && (r.kinds === undefined || r.kinds.includes(state.kind)) ? r : undefined;
  };
  const add = (reason: Reason, isHard = false) => {
    if (reason.weight === 0) return;
    reasons.push({ ...reason, weight: round(reason.weight) });
    points += reason.weight;
    if (isHard && reason.weight > 0) hard = true;
  };

  // Engines and sandboxes: per (source, category), each engine counts once at its freshest decay;
  // the strongest `maxCount` engines count, so one noisy engine cannot convict alone.
  const groups = new Map<string, Map<string, { decay: number; count: number }>>();
  for (const d of state.detections) {
    const category = d.category === 'pua' ? 'suspicious' : d.category;
    const id = `${d.source}.${category}`;
    const engines = groups.get(id) ?? new Map<string, { decay: number; count: number }>();
    groups.set(id, engines);
    const e = engines.get(d.engine) ?? { decay: 0, count: 0 };
    e.decay = Math.max(e.decay, decay(policy, state.kind, now - d.at));
    e.count += d.count;
    engines.set(d.engine, e);
  }
  for (const [id, engines] of groups) {
    const r = rule(id);
    if (r === undefined) continue;
    const ranked = [...engines.entries()].sort((a, b) => b[1].decay - a[1].decay).slice(0, r.maxCount ?? 1);
    const weight = ranked.reduce((sum, [, e]) => sum + r.weight * e.decay, 0);
    const count = [...engines.values()].reduce((sum, e) => sum + e.count, 0);
    add({ rule: id, weight, evidence: count, detail: ranked.map(([engine]) => engine).join(',') }, r.hard === true);
  }

  const hasBad = state.detections.some((d) => d.category !== 'clean');
  const consensus = (id: string, n: number) => {
    const r = rule(id);
    if (r !== undefined && hasBad && n >= (r.min ?? 2)) add({ rule: id, weight: r.weight, evidence: n }, r.hard === true);
  };
  consensus('consensus.sensors', state.detectingSensors);
  consensus('consensus.tenants', state.detectingTenants);

  const rare = rule('prevalence.new_rare');
  if (rare !== undefined && state.sensors <= (rare.maxSensors ?? 1) && now - state.firstSeen <= (rare.maxAgeHours ?? 24) * HOUR) {
    add({ rule: 'prevalence.new_rare', weight: rare.weight, evidence: state.sensors });
  }
  let widespread = false;
  if (!hasBad) {
    const signed = rule('prevalence.widespread_signed');
    const wide = rule('prevalence.widespread');
    if (signed !== undefined && state.signed && state.sensors >= (signed.minSensors ?? 0) && state.tenants >= (signed.minTenants ?? 0)) {
      add({ rule: 'prevalence.widespread_signed', weight: signed.weight, evidence: state.sensors });
      widespread = true;
    } else if (wide !== undefined && state.sensors >= (wide.minSensors ?? 0) && state.tenants >= (wide.minTenants ?? 0)) {
      add({ rule: 'prevalence.widespread', weight: wide.weight, evidence: state.sensors });
      widespread = true;
    }
  }

  for (const block of policy.block) {
    if (block.has(state.kind, state.value)) {
      const r = rule('list.block');
      if (r !== undefined) add({ rule: 'list.block', weight: r.weight, evidence: 1, detail: block.id }, r.hard === true);
    }
  }

  // Graph evidence: the strongest contribution per neighbour, total capped.
  const relation = rule('relation');
  // Keyed by the node the evidence arrives through, so one relay counts once however many
  // sources sit behind it.
  const neighbours = new Set<string>();
  if (relation !== undefined && state.graph.length > 0) {
    const scale = bystanderScale(state, rule('prevalence.bystander'));
    if (scale !== undefined) reasons.push({ rule: 'prevalence.bystander', weight: 0, evidence: state.sensors, detail: `accusers seen by ${Math.round(scale.share * 100)}% of its sensors; graph evidence x${round(scale.factor)}` });
    let budget = relation.maxTotal ?? Number.POSITIVE_INFINITY;
    for (const g of [...state.graph].sort((a, b) => b.weight - a.weight)) {
      const neighbour = g.vouched === true && g.source !== undefined ? `${g.from.key} ${g.source}` : g.from.key;
      if (neighbours.has(neighbour) || budget <= 0) continue;
      neighbours.add(neighbour);
      const weight = Math.min(g.weight, budget);
      budget -= weight;
      add({ rule: `relation.${g.rel}`, weight: weight * (scale?.factor ?? 1), evidence: g.hops, detail: `${g.from.kind} ${g.from.value}` });
    }
  }

  // Provenance (CAMP, AMICO): delivering a convicted file to several machines
  // is what a distribution URL does; one relation seen once may be a mislabelled download.
  const provenance = rule('provenance.delivered_convicted');
  if (provenance !== undefined) {
    const delivered = state.graph.filter((g) => g.rel === 'downloaded_from' && g.hops === 1 && (g.convictedSensors ?? 0) >= (provenance.minSensors ?? 2));
    if (delivered.length > 0) {
      const best = delivered.reduce((a, b) => ((b.convictedSensors ?? 0) > (a.convictedSensors ?? 0) ? b : a));
      add({ rule: 'provenance.delivered_convicted', weight: provenance.weight, evidence: best.convictedSensors ?? 0, detail: `${best.from.kind} ${best.from.value}` }, provenance.hard === true);
    }
  }

  const score = Math.max(0, Math.min(100, Math.round(50 + points / 2)));
  const t = doc.thresholds;
  let verdict: Verdict = score >= t.malicious ? 'malicious' : score >= t.suspicious ? 'suspicious' : score <= t.clean ? 'clean' : 'unknown';
  if (verdict === 'malicious' && doc.malicious.requireHardEvidence && !hard && neighbours.size < doc.malicious.minGraphNeighbours) {
    verdict = 'suspicious';
    reasons.push({ rule: 'guard.no_hard_evidence', weight: 0, evidence: 0 });
  }
  let propagates = true;
  const allow = allowListOf(policy, state.kind, state.value);
  if (allow !== undefined) {
    propagates = false;
    if (allow.cap === 'clean' || ORDER[verdict] > ORDER[allow.cap]) verdict = allow.cap;
    reasons.push({ rule: `allow.${allow.id}`, weight: 0, evidence: 1, detail: `capped at ${allow.cap}` });
  }
  reasons.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
  const distance = verdict === 'malicious' ? score - t.suspicious : verdict === 'clean' ? t.suspicious - score : Math.abs(score - 50);
  return {
    verdict,
    score,
    confidence: round(Math.min(1, Math.max(0.05, distance / 50))),
    reasons,
    ttl: doc.ttlSeconds[verdict],
    propagates,
    // A signed file without a detection is a vendor's program: what started or loaded it says
    // nothing about the other programs it touches.
    relays: propagates && verdict !== 'clean' && !widespread && !(state.signed && !hasBad),
  };
}
