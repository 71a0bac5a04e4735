import type { EdgeAnswer } from './http-client.ts';
import {
  CODE, explainedShare, globalRows, lookupRows, NOT_LIVE, overTimeRows, referenceCheckpoint, timeFigures, viewFigures,
  type CheckpointVerdicts, type Kind, type TimeFigures, type ViewFigures,
} from './quality-metrics.ts';
import type { QualityReplay } from './quality-run.ts';
import type { Scenario } from './types.ts';

const HOUR = 3_600_000;
const KINDS: readonly Kind[] = ['file', 'url', 'domain', 'ip'];

/** The targets the verdict model is designed to: a figure meets its goal at `>= min` or `<= max`. */
export const QUALITY_GOALS = {
  file_tpr: { min: 0.95 },
  file_fpr: { max: 0.001 },
  url_tpr: { min: 0.94 },
  url_fpr: { max: 0.001 },
  domain_tpr: { min: 0.94 },
  domain_fpr: { max: 0.001 },
  ip_specificity: { min: 0.999 },
  hub_convictions: { max: 0 },
  poisoned_convictions: { max: 0 },
  explained_share: { min: 1 },
} as const satisfies Record<string, { min: number } | { max: number }>;

type GoalName = keyof typeof QUALITY_GOALS;

/** One labelled indicator whose verdict is wrong, with what the edge said about it. */
export interface Mistake {
  kind: string;
  value: string;
  role: string;
  tags?: string[];
  campaign?: string;
  /** Tenants that saw it (for a miss: the victims). */
  tenants: number;
  verdict: string;
  /** For a miss: victims answered `malicious` / all victims. */
  convicted_for?: string;
  reasons: string[];
  matched?: string;
}

/** What one seed measured (one fresh deployment). */
export interface SeedQuality {
  seed: number;
  indicatorSource: string;
  window: { start: string; end: string };
  tenants: number;
  attacker: string | null;
  sensors: number;
  campaigns: { malware: number; phishing: number };
  events: QualityReplay['events'];
  /** Wall-clock duration of the replay, checkpoints included, s. */
  replay_s: number;
  checkpoints: number;
  unsettled_checkpoints: number;
  /** Lookups per checkpoint at the end: global view, victims' view, poison lookups. */
  lookups: { global: number; victims: number; poison: number };
  end: { global: ViewFigures; victims: ViewFigures; explained_share: number | null; poisoned_successes: number };
  /** Verdicts as they stood over time (see `overTimeRows`): what the headline figures come from. */
  over_time: { global: ViewFigures; victims: ViewFigures; poisoned_successes: number };
  reference: { global: ViewFigures; victims: ViewFigures; explained_share: number; poisoned_successes: number };
  time: { global: TimeFigures; victims: TimeFigures; reference: TimeFigures };
  /** TPR and FPR per kind at every checkpoint (victims' TPR, global FPR), with hub and poisoning counts. */
  series: { at: string; day: number; tpr: Record<Kind, number | null>; fpr: Record<Kind, number | null>; hub_convictions: number; poisoned_convictions: number }[];
  /**
   * Per truth role at the end, global view: how many, how many `malicious` / `suspicious`, and
   * of the `malicious` ones how many the edge decided by another record (a parent domain, a URL
   * expression, a network) than the indicator's own.
   */
  roles: Record<string, { total: number; malicious: number; suspicious: number; malicious_by_other_record: number }>;
  /** Benign indicators answered `malicious` in the global view, most widely seen first (at most three of a role while others remain). */
  false_positives: Mistake[];
  /** Malicious indicators some victim was not answered `malicious`, most victims first (likewise). */
  misses: Mistake[];
  hub_convicted: Mistake[];
  /**
   * Benign indicators answered `malicious` in the global view at any checkpoint (the over-time
   * false positives), with the day it first happened; the reasons are the answer at the end.
   */
  false_positives_over_time: (Mistake & { first_day: number })[];
  poisoned_convicted: Mistake[];
}

function poisonSuccesses(replayPoison: Uint8Array, global: Uint8Array, plan: QualityReplay['plan']): Set<number> {
  const items = new Set<number>();
  plan.items.forEach((it, i) => {
    if (it.poisoned && global[i] === CODE.malicious) items.add(i);
  });
  plan.poison.forEach((l, i) => {
    if (replayPoison[i] === CODE.malicious) items.add(l.item);
  });
  return items;
}

function mistake(replay: QualityReplay, item: number, answer: EdgeAnswer, extra: Partial<Mistake> = {}): Mistake {
  const it = replay.plan.items[item]!;
  const e = it.entry;
  return {
    kind: e.kind,
    value: e.value,
    role: e.role,
    ...(e.tags !== undefined ? { tags: e.tags } : {}),
    ...(e.campaign !== undefined ? { campaign: e.campaign } : {}),
    tenants: [...it.tenants.keys()].filter((t) => t !== replay.plan.attacker).length,
    verdict: answer.verdict,
    reasons: answer.reasons,
    ...(answer.matched !== undefined ? { matched: answer.matched } : {}),
    ...extra,
  };
}

/**
 * The first `n` of `list` with at most `perRole` of any one role while others remain, so that
 * one role's hundred look-alike mistakes do not hide the other kinds of mistake.
 */
function diverse(list: readonly Mistake[], n: number, perRole: number): Mistake[] {
  const taken: Mistake[] = [];
  const skipped: Mistake[] = [];
  const count = new Map<string, number>();
  for (const m of list) {
    const id = `${m.kind}/${m.role}`;
    if ((count.get(id) ?? 0) < perRole) {
      count.set(id, (count.get(id) ?? 0) + 1);
      taken.push(m);
    } else skipped.push(m);
    if (taken.length >= n) return taken;
  }
  return [...taken, ...skipped].slice(0, n);
}

/** Scores one seed's replay: the end in both views, time to conviction, the series, the mistakes to trace. */
export function scoreSeed(scenario: Scenario, replay: QualityReplay): SeedQuality {
  const { plan, checkpoints, final } = replay;
  const last = checkpoints.at(-1)!;
  const refCheckpoints = checkpoints.map((c) => referenceCheckpoint(plan, c.at));
  const figures = (cp: CheckpointVerdicts) => ({ global: viewFigures(plan.items, globalRows(cp)), victims: viewFigures(plan.items, lookupRows(plan.victims, cp.victims)) });
  const endFigures = figures(last);
  const overTime = (cps: readonly CheckpointVerdicts[]) => ({
    global: viewFigures(plan.items, overTimeRows(plan.items, cps, (cp) => cp.global, plan.items.length, (i) => i)),
    victims: viewFigures(plan.items, overTimeRows(plan.items, cps, (cp) => cp.victims, plan.victims.length, (i) => plan.victims[i]!.item)),
    poisoned_successes: new Set(cps.flatMap((cp) => [...poisonSuccesses(cp.poison, cp.global, plan)])).size,
  });
  const perItem = (codes: (cp: CheckpointVerdicts) => Uint8Array, lookups?: QualityReplay['plan']['victims']) =>
    lookups === undefined
      ? plan.items.map((_, item) => ({ item, codes: (cp: CheckpointVerdicts) => codes(cp)[item]! }))
      : lookups.map((l, i) => ({ item: l.item, codes: (cp: CheckpointVerdicts) => codes(cp)[i]! }));

  const roles: SeedQuality['roles'] = {};
  plan.items.forEach((it, i) => {
    const id = `${it.entry.label} ${it.entry.kind}/${it.entry.role}`;
    const r = (roles[id] ??= { total: 0, malicious: 0, suspicious: 0, malicious_by_other_record: 0 });
    r.total++;
    if (last.global[i] === CODE.malicious) r.malicious++;
    if (last.global[i] === CODE.malicious && final.global[i]?.matched !== undefined) r.malicious_by_other_record++;
    if (last.global[i] === CODE.suspicious) r.suspicious++;
  });

  const byTenants = (a: Mistake, b: Mistake) => b.tenants - a.tenants || a.value.localeCompare(b.value);
  const falsePositives = plan.items.flatMap((it, i) => (it.entry.label === 'benign' && last.global[i] === CODE.malicious ? [mistake(replay, i, final.global[i]!)] : [])).sort(byTenants);
  const victimsOf = new Map<number, number[]>();
  plan.victims.forEach((l, i) => {
    if (plan.items[l.item]!.entry.label === 'malicious') victimsOf.set(l.item, [...(victimsOf.get(l.item) ?? []), i]);
  });
  const misses = [...victimsOf].flatMap(([item, lookups]) => {
    const convicted = lookups.filter((i) => last.victims[i] === CODE.malicious).length;
    if (convicted === lookups.length) return [];
    const shown = lookups.find((i) => last.victims[i] !== CODE.malicious)!;
    return [mistake(replay, item, final.victims[shown]!, { tenants: lookups.length, convicted_for: `${convicted}/${lookups.length}` })];
  }).sort((a, b) => b.tenants - a.tenants || a.value.localeCompare(b.value));
  const successes = poisonSuccesses(last.poison, last.global, plan);
  const poisonedConvicted = [...successes].map((i) => {
    const l = plan.poison.findIndex((x, n) => x.item === i && last.poison[n] === CODE.malicious);
    return mistake(replay, i, l >= 0 ? final.poison[l]! : final.global[i]!);
  });

  const kindsOf = (f: (k: Kind) => number | null) => Object.fromEntries(KINDS.map((k) => [k, f(k)])) as Record<Kind, number | null>;
  return {
    seed: scenario.seed,
    indicatorSource: scenario.indicatorSource,
    window: { start: new Date(scenario.window.start).toISOString(), end: new Date(scenario.window.end).toISOString() },
    tenants: scenario.tenants.length,
    attacker: scenario.attacker ?? null,
    sensors: scenario.sensors,
    campaigns: { malware: scenario.campaigns.filter((c) => !c.vector.startsWith('phishing')).length, phishing: scenario.campaigns.filter((c) => c.vector.startsWith('phishing')).length },
    events: replay.events,
    replay_s: Math.round(replay.replayMs / 100) / 10,
    checkpoints: checkpoints.length,
    unsettled_checkpoints: replay.unsettled,
    lookups: { global: [...last.global].filter((c) => c !== NOT_LIVE).length, victims: [...last.victims].filter((c) => c !== NOT_LIVE).length, poison: [...last.poison].filter((c) => c !== NOT_LIVE).length },
    end: { ...endFigures, explained_share: explainedShare([...final.global, ...final.victims, ...final.poison]), poisoned_successes: successes.size },
    over_time: overTime(checkpoints),
    reference: { ...overTime(refCheckpoints), explained_share: 1 },
    time: {
      global: timeFigures(plan.items, checkpoints, perItem((cp) => cp.global)),
      victims: timeFigures(plan.items, checkpoints, perItem((cp) => cp.victims, plan.victims)),
      reference: timeFigures(plan.items, refCheckpoints, perItem((cp) => cp.victims, plan.victims)),
    },
    series: checkpoints.map((cp) => {
      const f = figures(cp);
      return {
        at: new Date(cp.at).toISOString(),
        day: Math.round(((cp.at - scenario.window.start) / (24 * HOUR)) * 100) / 100,
        tpr: kindsOf((k) => f.victims.kinds[k].tpr),
        fpr: kindsOf((k) => f.global.kinds[k].fpr),
        hub_convictions: f.global.hub_convictions,
        poisoned_convictions: poisonSuccesses(cp.poison, cp.global, plan).size,
      };
    }),
    roles,
    false_positives: diverse(falsePositives, 20, 3),
    misses: diverse(misses, 20, 3),
    false_positives_over_time: plan.items.flatMap((it, i) => {
      if (it.entry.label !== 'benign') return [];
      const cp = checkpoints.find((c) => c.global[i] === CODE.malicious);
      return cp === undefined ? [] : [{ ...mistake(replay, i, final.global[i]!), first_day: Math.round(((cp.at - scenario.window.start) / (24 * HOUR)) * 100) / 100 }];
    }).slice(0, 50),
    hub_convicted: falsePositives.filter((m) => plan.items.find((it) => it.entry.kind === m.kind && it.entry.value === m.value)?.hub === true).slice(0, 50),
    poisoned_convicted: poisonedConvicted,
  };
}

/** Headline figures (see the notes in the bench JSON for which view and moment each comes from). */
export interface QualityFigures {
  file_tpr: number | null;
  file_tpr_with_suspicious: number | null;
  file_fpr: number | null;
  url_tpr: number | null;
  url_tpr_with_suspicious: number | null;
  url_fpr: number | null;
  domain_tpr: number | null;
  domain_tpr_with_suspicious: number | null;
  domain_fpr: number | null;
  ip_tpr: number | null;
  ip_tpr_with_suspicious: number | null;
  ip_fpr: number | null;
  ip_specificity: number | null;
  hub_convictions: number;
  poisoned_convictions: number;
  explained_share: number | null;
  time_to_conviction_median_h: number | null;
  time_to_conviction_p90_h: number | null;
  convicted_while_active_share: number | null;
}

const worst = (values: (number | null)[], pick: (a: number, b: number) => number): number | null => {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => pick(a, b));
};

function headline(views: { global: ViewFigures; victims: ViewFigures; explained: number | null; poisoned: number; time: TimeFigures }[]): QualityFigures {
  const min = (f: (v: (typeof views)[number]) => number | null) => worst(views.map(f), Math.min);
  const max = (f: (v: (typeof views)[number]) => number | null) => worst(views.map(f), Math.max);
  return {
    file_tpr: min((v) => v.victims.kinds.file.tpr),
    file_tpr_with_suspicious: min((v) => v.victims.kinds.file.tpr_with_suspicious),
    file_fpr: max((v) => v.global.kinds.file.fpr),
    url_tpr: min((v) => v.victims.kinds.url.tpr),
    url_tpr_with_suspicious: min((v) => v.victims.kinds.url.tpr_with_suspicious),
    url_fpr: max((v) => v.global.kinds.url.fpr),
    domain_tpr: min((v) => v.victims.kinds.domain.tpr),
    domain_tpr_with_suspicious: min((v) => v.victims.kinds.domain.tpr_with_suspicious),
    domain_fpr: max((v) => v.global.kinds.domain.fpr),
    ip_tpr: min((v) => v.victims.kinds.ip.tpr),
    ip_tpr_with_suspicious: min((v) => v.victims.kinds.ip.tpr_with_suspicious),
    ip_fpr: max((v) => v.global.kinds.ip.fpr),
    ip_specificity: min((v) => v.global.kinds.ip.specificity),
    hub_convictions: max((v) => v.global.hub_convictions) ?? 0,
    poisoned_convictions: max((v) => v.poisoned) ?? 0,
    explained_share: min((v) => v.explained),
    time_to_conviction_median_h: max((v) => v.time.median_h),
    time_to_conviction_p90_h: max((v) => v.time.p90_h),
    convicted_while_active_share: min((v) => v.time.while_active_share),
  };
}

/** The bench's JSON (bench-results/quality.json). */
export interface QualityBench {
  bench: 'quality';
  /** Wall-clock time of the run, ISO. */
  measured_at: string;
  config: Record<string, unknown>;
  notes: string[];
  figures: QualityFigures;
  baseline: QualityFigures;
  /** figure / baseline (null when the baseline is 0 or unknown). */
  ratios: Record<keyof QualityFigures, number | null>;
  goals: typeof QUALITY_GOALS;
  met: Record<GoalName, boolean>;
  seeds: SeedQuality[];
}

export const QUALITY_NOTES = [
  'Headline figures are verdicts AS THEY STOOD OVER TIME (checkpoints every checkpoint_hours, each after the lag drained and verdicts settled): a malicious indicator counts by its most severe answer from its first event to a day after its campaign\'s last event; a benign one by its most severe answer at any checkpoint (a false positive at any time counts, poisoning and hub convictions likewise). They are the WORST over seeds (lowest TPR, specificity and explained share; highest FPR, hub and poisoned counts, times). The figures at the end of the replay are in each seed\'s `end`.',
  "TPR (and TPR with suspicious) comes from the victims' view: each malicious indicator looked up with the lookup key of every tenant that saw it, counted per indicator-tenant pair. FPR, IP specificity and hub convictions come from the global view: every labelled indicator looked up with the key of an observer tenant that sends no telemetry.",
  "poisoned_convictions counts poisoned indicators answered malicious in the global view or to any tenant other than the attacker (every other tenant's key looks each one up).",
  'Only indicators the stream named at least once are scored (malicious ones with no event are left out); a benign indicator in the victims\' view is looked up with the key of the first tenant that saw it.',
  "explained_share: over every non-unknown answer at the end (all views), the share carrying at least one reason.",
  "Time to conviction: simulated hours from the first event naming a malicious indicator to the first checkpoint where the victims' view answered malicious (per indicator-tenant pair; checkpoints every checkpoint_hours, so this is rounded up to them). convicted_while_active_share: pairs convicted at a checkpoint no later than their campaign's last event, over all pairs.",
  "The baseline is the naive reference scorer computed in process from the same scenario: any detection by any engine, gateway, DNS firewall or sandbox naming an indicator as its subject convicts it, for everyone, for ever (no retraction, no propagation). Ratios are figure / baseline.",
  'The pipeline runs on a virtual clock (Date.now of the bench process follows the replay), so evidence ages as in the simulated week; see shared/simulator/README.md.',
];

/** Combines the seeds into the bench JSON: worst-over-seeds figures, the baseline, ratios and goals. */
export function buildQualityBench(seeds: SeedQuality[], config: Record<string, unknown>): QualityBench {
  const figures = headline(seeds.map((s) => ({ global: s.over_time.global, victims: s.over_time.victims, explained: s.end.explained_share, poisoned: s.over_time.poisoned_successes, time: s.time.victims })));
  const baseline = headline(seeds.map((s) => ({ global: s.reference.global, victims: s.reference.victims, explained: s.reference.explained_share, poisoned: s.reference.poisoned_successes, time: s.time.reference })));
  const ratios = Object.fromEntries(Object.keys(figures).map((k) => {
    const f = figures[k as keyof QualityFigures];
    const b = baseline[k as keyof QualityFigures];
    return [k, f === null || b === null || b === 0 ? null : Math.round((f / b) * 1000) / 1000];
  })) as QualityBench['ratios'];
  const met = Object.fromEntries(Object.entries(QUALITY_GOALS).map(([name, goal]) => {
    const v = figures[name as GoalName];
    return [name, v !== null && ('min' in goal ? v >= goal.min : v <= goal.max)];
  })) as Record<GoalName, boolean>;
  return { bench: 'quality', measured_at: new Date().toISOString(), config, notes: QUALITY_NOTES, figures, baseline, ratios, goals: QUALITY_GOALS, met, seeds };
}

const pct = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toFixed(2)}%`);

/** The headline table: per kind TPR, TPR with suspicious, FPR, the baseline's, the goal and whether it is met. */
export function renderQualityTable(b: QualityBench): string {
  const f = b.figures;
  const base = b.baseline;
  const yes = (...names: GoalName[]) => (names.every((n) => b.met[n]) ? 'yes' : 'NO');
  const rows: string[][] = [
    ['file', pct(f.file_tpr), pct(f.file_tpr_with_suspicious), pct(f.file_fpr), pct(base.file_tpr), pct(base.file_fpr), 'TPR>=95% FPR<=0.1%', yes('file_tpr', 'file_fpr')],
    ['url', pct(f.url_tpr), pct(f.url_tpr_with_suspicious), pct(f.url_fpr), pct(base.url_tpr), pct(base.url_fpr), 'TPR>=94% FPR<=0.1%', yes('url_tpr', 'url_fpr')],
    ['domain', pct(f.domain_tpr), pct(f.domain_tpr_with_suspicious), pct(f.domain_fpr), pct(base.domain_tpr), pct(base.domain_fpr), 'TPR>=94% FPR<=0.1%', yes('domain_tpr', 'domain_fpr')],
    ['ip', pct(f.ip_tpr), pct(f.ip_tpr_with_suspicious), pct(f.ip_fpr), pct(base.ip_tpr), pct(base.ip_fpr), `specificity>=99.9% (${pct(f.ip_specificity)})`, yes('ip_specificity')],
    ['hub convictions', String(f.hub_convictions), '', '', '', String(base.hub_convictions), '0', yes('hub_convictions')],
    ['poisoned convictions', String(f.poisoned_convictions), '', '', '', String(base.poisoned_convictions), '0', yes('poisoned_convictions')],
    ['explained share', pct(f.explained_share), '', '', '', '', '100%', yes('explained_share')],
  ];
  const header = ['kind', 'TPR', 'TPR+susp', 'FPR', 'base TPR', 'base FPR', 'goal', 'met?'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i >= 6 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const time = `time to conviction (victims' view): median ${f.time_to_conviction_median_h ?? '-'} h, p90 ${f.time_to_conviction_p90_h ?? '-'} h (baseline ${base.time_to_conviction_median_h ?? '-'} / ${base.time_to_conviction_p90_h ?? '-'} h); convicted while the campaign was active: ${pct(f.convicted_while_active_share)} (baseline ${pct(base.convicted_while_active_share)})`;
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), '', time, `worst over seeds ${b.seeds.map((s) => s.seed).join(', ')}; TPR in the victims' view, FPR/hubs/poisoning in the global view, as verdicts stood over time (end of replay in each seed's \`end\`)`].join('\n');
}
