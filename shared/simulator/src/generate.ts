import { addBenignActivity } from './benign.ts';
import { addCampaigns } from './campaigns.ts';
import { addSiteTraffic, createSites, labelCompromisedSites } from './compromised-sites.ts';
import { addEngineNoise } from './engine-noise.ts';
import { EventStream } from './event-stream.ts';
import { addDnsFirewalls, createFleet } from './fleet.ts';
import { DEFAULT_DATA_DIR, loadIndicatorPool, type IndicatorPool } from './indicator-pool.ts';
import { addInfrastructureTraffic, createInfrastructure, HUB_DOMAINS } from './infrastructure.ts';
import { addPhishing } from './phishing.ts';
import { addPoisoning } from './poisoning.ts';
import { createRng } from './rng.ts';
import type { CampaignInfo, Scenario, SimEvent } from './types.ts';

/** The hard cases a real fleet produces (see README, "Hard cases"); every field has a default. */
export interface HardCaseOptions {
  /** Phishing campaigns (the `campaigns` are then malware only). Default 60. */
  phishingCampaigns?: number;
  /** Established sites campaigns may compromise. Default a third of all campaigns, at least 6. */
  sites?: number;
  /** Share of benign files the false-positive-prone engine flags. Default 0.02. */
  noisyEngineRate?: number;
  /** Share of benign files flagged and retracted later. Default 0.03. */
  retractionRate?: number;
  /** Whether an attacker tenant poisons popular indicators. Default true. */
  poisoning?: boolean;
}

/** What a scenario is made of. Same options (seed and `now` included) ⇒ the same stream, byte for byte. */
export interface ScenarioOptions {
  seed: number;
  tenants?: number;
  /** Endpoint sensors over all tenants. */
  sensors?: number;
  campaigns?: number;
  /** Length of the simulated window, ms; events carry times inside it. */
  durationMs?: number;
  /** Approximate number of events wanted: scales benign activity (overrides the per-host defaults). */
  events?: number;
  /** End of the window (epoch ms); defaults to now. Fix it to replay a stream exactly. */
  now?: number;
  signedApps?: number;
  unsignedTools?: number;
  /** Share of benign files that some engine falsely detects. */
  falseDetectionRate?: number;
  /**
   * Folder with the public indicator lists (default `../shared/data` beside the checkout). Where
   * it holds none, benign indicators come from the warning lists the verdict policy ships and
   * malicious ones are made up (`shipped`); `null` makes up every indicator (`generated`).
   */
  dataDir?: string | null;
  /**
   * Adds the hard cases: shared infrastructure used by benign software and malware, compromised
   * sites, phishing at volume with detections over hours, a false-positive-prone engine and
   * retractions, a poisoning tenant. Off (the default), the scenario is the basic one, unchanged.
   */
  hardCases?: boolean | HardCaseOptions;
}

const HOUR = 3_600_000;

/** Builds the scenario: fleet, benign activity, campaigns, ground truth, events in time order. */
export function generateScenario(options: ScenarioOptions): Scenario {
  const seed = options.seed >>> 0;
  const rng = createRng(seed);
  const tenants = options.tenants ?? 6;
  const sensors = Math.max(tenants, options.sensors ?? 80);
  const durationMs = options.durationMs ?? 6 * HOUR;
  // A minute of margin keeps the newest events clear of ingest's future-skew bound.
  const end = (options.now ?? Date.now()) - 60_000;
  const stream = new EventStream(end - durationMs, end);
  const pool = loadIndicatorPool(rng.fork('pool'), options.dataDir === undefined ? DEFAULT_DATA_DIR : options.dataDir);
  const fleet = createFleet(rng.fork('fleet'), tenants, sensors);

  // About 60 benign events per host at the defaults; `events` rescales the browsing and catalogue.
  const scale = options.events !== undefined ? Math.max(0.1, options.events / (sensors * 60)) : 1;
  const benign = addBenignActivity(rng.fork('benign'), stream, fleet, pool, {
    signedApps: options.signedApps ?? Math.max(10, Math.round(40 * Math.sqrt(scale))),
    unsignedTools: options.unsignedTools ?? Math.max(5, Math.round(30 * Math.sqrt(scale))),
    falseDetectionRate: options.falseDetectionRate ?? 0.06,
    visitsPerHost: Math.max(1, Math.round(8 * scale)),
  });
  const tenantNames = fleet.tenants.map((t) => t.tenant);
  let campaigns: CampaignInfo[];
  let attacker: string | undefined;
  if (options.hardCases === undefined || options.hardCases === false) {
    campaigns = addCampaigns(rng.fork('campaigns'), stream, fleet, pool, benign.system, options.campaigns ?? 8);
  } else {
    const hard = options.hardCases === true ? {} : options.hardCases;
    const phishing = hard.phishingCampaigns ?? 60;
    const malware = options.campaigns ?? 8;
    addDnsFirewalls(rng.fork('dns-firewalls'), fleet);
    const shared = withoutHubs(pool);
    const infra = createInfrastructure(rng.fork('infrastructure'), stream, shared, benign);
    addInfrastructureTraffic(rng.fork('infrastructure-traffic'), stream, fleet, shared, infra, benign);
    const sites = createSites(rng.fork('sites'), shared, hard.sites ?? Math.max(6, Math.ceil((malware + phishing) / 3)), new Set(infra.cdnSites.map((s) => s.domain)));
    addSiteTraffic(rng.fork('site-traffic'), stream, fleet, sites);
    campaigns = [
      ...addCampaigns(rng.fork('campaigns'), stream, fleet, shared, benign.system, malware, { rng: rng.fork('campaign-hard-cases'), infra, sites }),
      ...addPhishing(rng.fork('phishing'), stream, fleet, shared, infra, sites, phishing),
    ];
    labelCompromisedSites(stream, sites);
    addEngineNoise(rng.fork('engine-noise'), stream, fleet, benign, { noisyEngineRate: hard.noisyEngineRate ?? 0.02, retractionRate: hard.retractionRate ?? 0.03 });
    if (hard.poisoning !== false) {
      attacker = `tenant-${String(tenants + 1).padStart(2, '0')}`;
      tenantNames.push(attacker);
      addPoisoning(rng.fork('poisoning'), stream, shared, infra, benign, attacker);
    }
  }
  const { events, truth } = stream.finish(`sim${seed.toString(36)}`);
  const firstOf = new Map<string, number>();
  const lastOf = new Map<string, number>();
  for (const e of events) {
    if (e.campaign === undefined) continue;
    if (!firstOf.has(e.campaign)) firstOf.set(e.campaign, e.event.time);
    lastOf.set(e.campaign, e.event.time);
  }
  for (const c of campaigns) {
    c.start = firstOf.get(c.id) ?? c.start;
    c.end = lastOf.get(c.id) ?? c.start;
  }
  return {
    seed,
    window: { start: stream.start, end: stream.end },
    tenants: tenantNames,
    sensors,
    events,
    truth,
    campaigns,
    indicatorSource: pool.source,
    ...(attacker !== undefined ? { attacker } : {}),
  };
}

/** The pool without the shared services' names (a list may carry a URL on a file-sharing host). */
function withoutHubs(pool: IndicatorPool): IndicatorPool {
  const hub = (domain: string) => HUB_DOMAINS.some((h) => domain === h || domain.endsWith(`.${h}`));
  return {
    ...pool,
    downloadHosts: pool.downloadHosts.filter((d) => !hub(d.host)),
    c2Domains: pool.c2Domains.filter((d) => !hub(d)),
    phishingDomains: pool.phishingDomains.filter((d) => !hub(d)),
    topDomains: pool.topDomains.filter((d) => !hub(d)),
    tailDomains: pool.tailDomains.filter((d) => !hub(d)),
  };
}

/** The stream as NDJSON, one `{tenant, event}` a line: what the determinism test compares. */
export function streamNdjson(events: readonly SimEvent[]): string {
  let out = '';
  for (const e of events) out += `${JSON.stringify({ tenant: e.tenant, event: e.event })}\n`;
  return out;
}
