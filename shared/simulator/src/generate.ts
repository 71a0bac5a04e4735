import { addBenignActivity } from './benign.ts';
import { addCampaigns } from './campaigns.ts';
import { EventStream } from './event-stream.ts';
import { createFleet } from './fleet.ts';
import { DEFAULT_DATA_DIR, loadIndicatorPool } from './indicator-pool.ts';
import { createRng } from './rng.ts';
import type { Scenario, SimEvent } from './types.ts';

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
  /** Folder with the public indicator lists; `null` generates every indicator. */
  dataDir?: string | null;
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
  const system = addBenignActivity(rng.fork('benign'), stream, fleet, pool, {
    signedApps: options.signedApps ?? Math.max(10, Math.round(40 * Math.sqrt(scale))),
    unsignedTools: options.unsignedTools ?? Math.max(5, Math.round(30 * Math.sqrt(scale))),
    falseDetectionRate: options.falseDetectionRate ?? 0.06,
    visitsPerHost: Math.max(1, Math.round(8 * scale)),
  });
  const campaigns = addCampaigns(rng.fork('campaigns'), stream, fleet, pool, system, options.campaigns ?? 8);
  const { events, truth } = stream.finish(`sim${seed.toString(36)}`);
  const firstOf = new Map<string, number>();
  for (const e of events) if (e.campaign !== undefined && !firstOf.has(e.campaign)) firstOf.set(e.campaign, e.event.time);
  for (const c of campaigns) c.start = firstOf.get(c.id) ?? c.start;
  return {
    seed,
    window: { start: stream.start, end: stream.end },
    tenants: fleet.tenants.map((t) => t.tenant),
    sensors,
    events,
    truth,
    campaigns,
    indicatorSource: pool.source,
  };
}

/** The stream as NDJSON, one `{tenant, event}` a line: what the determinism test compares. */
export function streamNdjson(events: readonly SimEvent[]): string {
  let out = '';
  for (const e of events) out += `${JSON.stringify({ tenant: e.tenant, event: e.event })}\n`;
  return out;
}
