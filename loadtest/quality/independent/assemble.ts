import type { CampaignInfo, Scenario, SimEvent } from '@repute/simulator';
import type { IndicatorKind } from './ledger.ts';
import type { SensorEvent, World } from './world.ts';

/** Every indicator an event names, including the host of each URL it carries. */
export function indicatorsOf(event: SensorEvent): [IndicatorKind, string][] {
  const out: [IndicatorKind, string][] = [];
  const url = (u: string): void => {
    out.push(['url', u]);
    const host = u.slice(u.indexOf('//') + 2).split(/[/?]/, 1)[0]!;
    out.push([/^[0-9.]+$/.test(host) || host.startsWith('[') ? 'ip' : 'domain', host.startsWith('[') ? host.slice(1, -1) : host]);
  };
  if (event.file !== undefined) out.push(['file', event.file.sha256]);
  if (event.url !== undefined) url(event.url);
  if (event.domain !== undefined) out.push(['domain', event.domain]);
  if (event.ip !== undefined) out.push(['ip', event.ip]);
  const rel = event.relations;
  if (rel !== undefined) {
    if (rel.parentFile !== undefined) out.push(['file', rel.parentFile.sha256]);
    if (rel.downloadedFrom !== undefined) url(rel.downloadedFrom);
    for (const ip of rel.resolvedIps ?? []) out.push(['ip', ip]);
    for (const u of rel.carriedUrls ?? []) url(u);
    for (const f of rel.attachments ?? []) out.push(['file', f.sha256]);
  }
  return out;
}

/**
 * Turns the queued events into the scenario: time order, ids in that order, ground truth
 * for exactly the indicators the stream names, and each campaign's span and reach as the
 * stream shows them.
 */
export function assemble(world: World, seed: number): Scenario {
  const ordered = world.pending.map((p, i) => ({ p, i })).sort((a, b) => a.p.draft.time - b.p.draft.time || a.i - b.i);
  const events: SimEvent[] = ordered.map(({ p }, n) => {
    const { time, sensor, host, type, ...rest } = p.draft;
    const event: SensorEvent = { v: 1, id: `ind${seed}-${n}`, time, sensor, host, type, ...rest };
    return p.campaign === undefined ? { tenant: p.tenant, event } : { tenant: p.tenant, campaign: p.campaign, event };
  });

  const seen = new Map<IndicatorKind, Set<string>>([['file', new Set()], ['url', new Set()], ['domain', new Set()], ['ip', new Set()]]);
  const byCampaign = new Map<string, SimEvent[]>();
  const sensors = new Set<string>();
  for (const e of events) {
    for (const [kind, value] of indicatorsOf(e.event)) seen.get(kind)!.add(value);
    sensors.add(`${e.tenant}\u0000${e.event.sensor}`);
    if (e.campaign !== undefined) {
      const list = byCampaign.get(e.campaign) ?? [];
      list.push(e);
      byCampaign.set(e.campaign, list);
    }
  }
  const truth = world.ledger.truthFor(seen);

  const campaigns: CampaignInfo[] = [];
  for (const meta of world.campaigns) {
    const list = byCampaign.get(meta.id);
    if (list === undefined || list.length === 0) continue;
    let primary = meta.primary;
    if (!seen.get(primary.kind)!.has(primary.value)) {
      // Nobody ran the planned primary (every victim blocked or never clicked): the campaign
      // is then timed by the first of its malicious files or URLs that did show up.
      const fallback = truth.find((t) => t.campaign === meta.id && (t.kind === 'file' || t.kind === 'url'));
      if (fallback === undefined) continue;
      primary = { kind: fallback.kind as 'file' | 'url', value: fallback.value };
    }
    // The sandbox appliance is not a victim; everything else of the campaign happens on one.
    const victims = new Set(list.filter((e) => e.event.type !== 'sandbox_report').map((e) => `${e.tenant}\u0000${e.event.host}`));
    campaigns.push({
      id: meta.id,
      family: meta.family,
      vector: meta.vector,
      primary,
      start: list[0]!.event.time,
      end: list[list.length - 1]!.event.time,
      victims: victims.size,
      tenants: new Set(list.map((e) => e.tenant)).size,
    });
  }

  return {
    seed,
    window: { start: world.clock.start, end: world.clock.end },
    tenants: world.fleet.tenants.map((t) => t.id),
    sensors: sensors.size,
    events,
    truth,
    campaigns,
    indicatorSource: 'generated',
    attacker: world.fleet.attacker.id,
  };
}
