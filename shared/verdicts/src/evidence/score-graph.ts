import { bystanderScale } from './score-prevalence.ts';
import type { Tally } from './score.ts';
import type { GraphEvidence } from './types.ts';

const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * Graph evidence and provenance: what related indicators say of it, and the inferences that
 * make it hard evidence (a URL delivering a convicted file, a program's C2, a dedicated host).
 * Distinct neighbours counted.
 */
export function scoreGraph(t: Tally, share: number | undefined, allowListed: boolean): number {
  const { state, rule, add, guards, fade } = t;
  const bystander = rule('prevalence.bystander');
  // Graph evidence: the strongest contribution per neighbour (the node it arrives through, so a
  // relay counts once however many sources or URLs sit behind it), total capped. Nothing
  // counts by association on an allow-listed or infrastructure indicator.
  let neighbours = 0;
  const relation = rule('relation');
  if (relation !== undefined && state.graph.length > 0 && !allowListed) {
    const graph = state.graph;
    const scale = bystanderScale(state, share, bystander);
    if (scale !== undefined && graph.some((g) => !unscaled(g))) guards.push({ rule: 'prevalence.bystander', weight: 0, evidence: state.sensors, detail: `accusers seen by ${Math.round(scale.share * 100)}% of its sensors; graph evidence x${round(scale.factor)}` });
    let budget = relation.maxTotal ?? Number.POSITIVE_INFINITY;
    const counted = new Set<string>();
    for (const g of [...graph].sort((a, b) => b.weight - a.weight || a.from.key.localeCompare(b.from.key))) {
      if (counted.has(g.from.key) || budget <= 0) continue;
      counted.add(g.from.key);
      const weight = Math.min(g.weight, budget) * (unscaled(g) ? 1 : scale?.factor ?? 1) * fade;
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

  // A URL that served a build of its own to each machine, in several tenants (server-side
  // polymorphism): a dropper's distribution point. Legitimate downloads serve one file to many
  // machines, or builds each seen on many; a signed per-user installer is left out when counted.
  const polymorphic = rule('provenance.polymorphic');
  const served = state.polymorphic;
  if (polymorphic !== undefined && served !== undefined && !allowListed) {
    add({ rule: 'provenance.polymorphic', weight: polymorphic.weight * fade, evidence: served.files, detail: `${served.files} builds to ${served.machines} machines`, hard: polymorphic.hard === true, tenants: served.tenants });
  }

  // A convicted program contacting a name or an address from several machines: what its C2 is.
  // Scaled like any graph evidence on what is seen mostly apart from it, and hard only when
  // nothing scales it (a popular site a payload checks connectivity against is no C2).
  const scaled = { share, bystander };
  provenanceFromConvicted(t, 'provenance.contacted_convicted', (g) => g.rel === 'connected_to', allowListed, scaled);

  // The same inference for mail (CAMP's provenance, applied to a sender): a link or an
  // attachment a convicted sender delivered to several recipients is what the sender sends. A
  // decoy link to the brand's real page is carried too, but is seen mostly apart from the sender
  // (scaled, then soft) or sits on a listed site (no graph evidence at all).
  provenanceFromConvicted(t, 'provenance.sent_by_convicted', (g) => g.rel === 'sent_by' && g.from.kind === 'email', allowListed, scaled);

  // A host shown dedicated to the convicted URLs it serves (young, its URLs mostly accused): the
  // phishing domain behind its one phishing page.
  dedicatedTo(t, 'provenance.dedicated_host', (g) => g.rel !== 'resolves_to', allowListed);
  // An address its convicted names mostly run on (few names, mostly accused): the C2 or
  // phishing server's own address, which a name's single relation would only make suspicious.
  dedicatedTo(t, 'provenance.dedicated_address', (g) => g.rel === 'resolves_to', allowListed);
  return neighbours;
}

/** A dedication rule over one-hop evidence from a convicted neighbour shown dedicated (propagation's screening). */
function dedicatedTo(t: Tally, id: string, over: (g: GraphEvidence) => boolean, allowListed: boolean): void {
  const r = t.rule(id);
  if (r === undefined || allowListed) return;
  const g = t.state.graph.find((x) => x.dedicated === true && x.hops === 1 && x.convictedSensors !== undefined && over(x));
  if (g === undefined) return;
  t.add({ rule: id, weight: r.weight * t.fade, evidence: 1, detail: `${g.from.kind} ${g.from.value}`, hard: r.hard === true, tenants: g.tenants ?? [] });
}

/**
 * Evidence a host (over `hosted_on`) or an address (over `resolves_to`) was shown dedicated to
 * is not scaled by the bystander guard: the dedication test (its pages or names mostly accused)
 * already says that what is seen of it apart from its accusers is more of the same attack (the
 * victims resolving a phishing domain), not a popular site's other visitors. A sender's is: a
 * site's newsletter reaches far more people than the pages a filter listed, and a listing can
 * pass its dedication test before the filter is seen listing the site's home page.
 */
function unscaled(g: GraphEvidence): boolean {
  return g.dedicated === true && (g.rel === 'hosted_on' || g.rel === 'resolves_to');
}

/**
 * A provenance rule over one-hop evidence from a convicted neighbour, seen over the relation
 * `over` by at least the rule's `minSensors`: the neighbour seen by the most sensors speaks.
 * Scaled like any graph evidence on what is seen mostly apart from it, and hard only when
 * nothing scales it.
 */
function provenanceFromConvicted(
  t: Tally, id: string, over: (g: GraphEvidence) => boolean, allowListed: boolean,
  scaled: { share: number | undefined; bystander: ReturnType<Tally['rule']> },
): void {
  const r = t.rule(id);
  if (r === undefined || allowListed) return;
  const seen = (g: GraphEvidence): number => g.convictedSensors ?? 0;
  let best: GraphEvidence | undefined;
  for (const g of t.state.graph) {
    if (over(g) && g.hops === 1 && seen(g) >= (r.minSensors ?? 2) && (best === undefined || seen(g) > seen(best))) best = g;
  }
  if (best === undefined) return;
  const factor = bystanderScale(t.state, scaled.share, scaled.bystander)?.factor ?? 1;
  t.add({
    rule: id, weight: r.weight * factor * t.fade, evidence: seen(best), detail: `${best.from.kind} ${best.from.value}`,
    hard: r.hard === true && factor >= 1, tenants: best.tenants ?? [],
  });
}
