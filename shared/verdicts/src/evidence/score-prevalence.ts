import type { PolicyRule } from '../policy/policy-schema.ts';
import type { Tally } from './score.ts';
import type { GraphEvidence, IndicatorState } from './types.ts';

const HOUR = 3_600_000;

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
export function bystanderShare(state: IndicatorState, graph: readonly GraphEvidence[]): number | undefined {
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
export function bystanderScale(state: IndicatorState, share: number | undefined, r: PolicyRule | undefined): { share: number; factor: number } | undefined {
  if (r === undefined || r.minShare === undefined || share === undefined || state.sensors < (r.minSensors ?? 0)) return undefined;
  const factor = share / r.minShare;
  return factor >= 1 ? undefined : { share, factor };
}

/**
 * Prevalence, evidence about the prior: new and rare raises it, widespread lowers it, unless
 * its accusers explain its sightings. Whether it counts as widespread, and the share of its
 * sightings its accusers explain (for the graph evidence).
 */
export function scorePrevalence(t: Tally, now: number, allowListed: boolean): { widespread: boolean; share: number | undefined } {
  const { state, rule, add } = t;
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
  return { widespread, share };
}
