import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate, SCORED_KINDS, type Evaluation } from './evaluate.ts';
import { generateScenario, type ScenarioOptions } from './generate.ts';
import { ReputeHttp, waitFor, type EdgeAnswer, type Verdict } from './http-client.ts';
import type { IndicatorSource } from './indicator-pool.ts';
import { renderSvg } from './report-svg.ts';
import { renderText } from './report-text.ts';
import type { CampaignInfo, SimEvent, TruthEntry } from './types.ts';

/** Options of `runSimulation`: the scenario plus where and how to send it. */
export interface SimulationOptions extends ScenarioOptions {
  /** Base URL of the deployment serving the edge, and ingest unless `ingestUrl` says otherwise (e.g. http://127.0.0.1:8080). */
  url: string;
  /** Base URL of ingest when it is served apart from the edge. */
  ingestUrl?: string;
  /** A key with the `lookup` scope; also the ingest key of tenants without one of their own. */
  key: string;
  /**
   * Ingest keys, one per simulated tenant (tenant i sends with `ingestKeys[i % length]`). The
   * tenant is taken from the key, so fewer keys than tenants merge tenants together.
   */
  ingestKeys?: readonly string[];
  /** Folder for report.json, quality.svg and report.txt; nothing is written when absent. */
  outDir?: string;
  /** Events per ingest round (split by tenant, sent concurrently). */
  batchSize?: number;
  /**
   * Simulated ms per wall-clock ms: 720 plays a 6-hour window in 30 s. Absent, events are sent
   * as fast as ingest accepts them (times to conviction then mostly measure the pipeline).
   */
  speedup?: number;
  /** How often the edge is polled for campaign convictions, ms. */
  pollIntervalMs?: number;
  /** Settling: verdicts must stay unchanged for `quietMs`, within `timeoutMs`. */
  settle?: { quietMs?: number; timeoutMs?: number };
  /** The pipeline's lag (e.g. the correlator's consumer lag); when given, settling first waits for 0. */
  lag?: () => Promise<number>;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Called after every ingest round with the events sent so far and the total (for a progress bar). */
  onSent?: (sent: number, total: number) => void;
}

/** A campaign's outcome. Times are wall-clock ms from the moment its first event was sent. */
export interface CampaignResult extends CampaignInfo {
  timeToSuspiciousMs: number | null;
  timeToMaliciousMs: number | null;
  /** Simulated time between the campaign's first event and the newest event sent when it was convicted. */
  virtualTimeToMaliciousMs: number | null;
  finalVerdict: Verdict | 'invalid';
  indicators: { total: number; malicious: number; severe: number };
}

/** What a run measured; also written as report.json. */
export interface SimulationReport {
  seed: number;
  indicatorSource: IndicatorSource;
  window: { start: string; end: string };
  tenants: { simulated: number; keys: number };
  sensors: number;
  events: { generated: number; accepted: number; rejected: number; sendMs: number; perSecond: number; rejections: { reason: string; field: string; detail: string }[] };
  settle: { settled: boolean; ms: number; lagZero: boolean | null };
  truth: { scored: number; malicious: number; benign: number; email: number };
  evaluation: Evaluation;
  campaigns: CampaignResult[];
  files: { json?: string; svg?: string; text?: string };
}

const SEVERE = new Set<string>(['malicious', 'suspicious']);

/**
 * Runs a seeded simulation against a live deployment through its public APIs: sends the
 * scenario's telemetry to POST /v1/telemetry as fast as ingest accepts it (event times are
 * virtual, spread over the scenario's window), polls the edge for each campaign's primary
 * indicator meanwhile, waits for verdicts to settle, then scores every labelled indicator via
 * POST /v1/reputation/batch. Writes report.json, quality.svg and report.txt to `outDir`.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const log = options.log ?? (() => {});
  const scenario = generateScenario(options);
  const keys = options.ingestKeys !== undefined && options.ingestKeys.length > 0 ? options.ingestKeys : [options.key];
  const keyOf = new Map(scenario.tenants.map((t, i) => [t, keys[i % keys.length]!]));
  const http = new ReputeHttp(options.url, options.ingestUrl ?? options.url, options.key, (t) => keyOf.get(t) ?? options.key);
  log(`seed ${scenario.seed}: ${scenario.events.length} events, ${scenario.tenants.length} tenants (${new Set(keys).size} ingest keys), ${scenario.sensors} sensors, ${scenario.campaigns.length} campaigns, indicators from ${scenario.indicatorSource}`);

  const scored = scenario.truth.filter((t) => (SCORED_KINDS as readonly string[]).includes(t.kind));
  const state = scenario.campaigns.map((c) => ({ info: c, sentAt: null as number | null, suspiciousAt: null as number | null, maliciousAt: null as number | null, virtualAtConviction: null as number | null }));
  let newestSent = scenario.window.start;

  // The watcher: polls the campaigns' primary indicators while events flow and settle.
  let watching = true;
  const stopWatch = new AbortController();
  const pollMs = options.pollIntervalMs ?? 250;
  const watchOnce = async () => {
    const pending = state.filter((s) => s.sentAt !== null && s.maliciousAt === null);
    if (pending.length === 0) return;
    const answers = await http.lookup(pending.map((s) => s.info.primary));
    const now = Date.now();
    pending.forEach((s, i) => {
      const v = answers[i]?.verdict;
      if (v !== undefined && SEVERE.has(v)) s.suspiciousAt ??= now;
      if (v === 'malicious') {
        s.maliciousAt = now;
        s.virtualAtConviction = newestSent;
      }
    });
  };
  const watcher = (async () => {
    while (watching) {
      await watchOnce();
      await waitFor(pollMs, stopWatch.signal);
    }
  })();

  // Sending: rounds of `batchSize` events in time order, each round split by tenant.
  // Paced runs send smaller rounds so that an event leaves close to its simulated time.
  const batchSize = options.batchSize ?? (options.speedup !== undefined ? 100 : 500);
  const sendStart = Date.now();
  let accepted = 0;
  let rejected = 0;
  const rejections: SimulationReport['events']['rejections'] = [];
  try {
    for (let i = 0; i < scenario.events.length; i += batchSize) {
      const round = scenario.events.slice(i, i + batchSize);
      if (options.speedup !== undefined && options.speedup > 0) {
        const due = sendStart + (round[0]!.event.time - scenario.window.start) / options.speedup;
        if (due > Date.now()) await waitFor(due - Date.now());
      }
      const byTenant = new Map<string, SimEvent[]>();
      const sentAt = Date.now();
      for (const e of round) {
        const list = byTenant.get(e.tenant) ?? [];
        list.push(e);
        byTenant.set(e.tenant, list);
        if (e.campaign !== undefined) {
          const s = state.find((x) => x.info.id === e.campaign);
          if (s !== undefined) s.sentAt ??= sentAt;
        }
      }
      const results = await Promise.all([...byTenant].map(([tenant, events]) => http.send(tenant, events)));
      for (const r of results) {
        accepted += r.accepted;
        rejected += r.rejected;
        for (const x of r.rejections) if (rejections.length < 10) rejections.push({ reason: x.reason, field: x.field, detail: x.detail });
      }
      newestSent = round.at(-1)!.event.time;
      options.onSent?.(Math.min(i + batchSize, scenario.events.length), scenario.events.length);
      if ((i / batchSize) % 10 === 0) log(`sent ${Math.min(i + batchSize, scenario.events.length)}/${scenario.events.length}`);
    }
  } catch (err) {
    watching = false;
    stopWatch.abort();
    await watcher.catch(() => {});
    throw err;
  }
  const sendMs = Date.now() - sendStart;
  log(`sent ${accepted} accepted, ${rejected} rejected in ${sendMs} ms`);

  // Settling: the pipeline's lag to zero when it can be read, then verdicts unchanged for a while.
  const settleStart = Date.now();
  const timeoutMs = options.settle?.timeoutMs ?? 120_000;
  const quietMs = options.settle?.quietMs ?? 3_000;
  let lagZero: boolean | null = null;
  if (options.lag !== undefined) {
    lagZero = false;
    while (Date.now() - settleStart < timeoutMs) {
      if ((await options.lag()) === 0) {
        lagZero = true;
        break;
      }
      await waitFor(100);
    }
  }
  let answers: EdgeAnswer[] = await http.lookup(scored);
  let fingerprint = answers.map((a) => a.verdict[0]).join('');
  let stableSince = Date.now();
  let settled = false;
  while (Date.now() - settleStart < timeoutMs) {
    await waitFor(Math.min(1000, quietMs / 3));
    answers = await http.lookup(scored);
    const next = answers.map((a) => a.verdict[0]).join('');
    if (next !== fingerprint) {
      // What still moves, for whoever reads the log of a run that does not settle.
      const moved = scored.flatMap((t, i) => (next[i] !== fingerprint[i] ? [`${t.kind} ${t.value} ${fingerprint[i]}→${next[i]}`] : []));
      log(`still changing: ${moved.slice(0, 5).join('; ')}${moved.length > 5 ? ` (+${moved.length - 5})` : ''}`);
      fingerprint = next;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= quietMs) {
      settled = true;
      break;
    }
  }
  watching = false;
  stopWatch.abort();
  await watcher;
  await watchOnce();
  const settleMs = Date.now() - settleStart;
  log(`${settled ? 'settled' : 'not settled'} after ${settleMs} ms`);

  const evaluation = evaluate(scored, answers);
  const verdictOf = new Map(scored.map((t, i) => [`${t.kind}:${t.value}`, answers[i]?.verdict ?? 'unknown']));
  const campaigns: CampaignResult[] = state.map((s) => {
    const mine = scored.filter((t) => t.campaign === s.info.id);
    const verdicts = mine.map((t) => verdictOf.get(`${t.kind}:${t.value}`));
    return {
      ...s.info,
      timeToSuspiciousMs: s.sentAt !== null && s.suspiciousAt !== null ? s.suspiciousAt - s.sentAt : null,
      timeToMaliciousMs: s.sentAt !== null && s.maliciousAt !== null ? s.maliciousAt - s.sentAt : null,
      virtualTimeToMaliciousMs: s.virtualAtConviction !== null ? Math.max(0, s.virtualAtConviction - s.info.start) : null,
      finalVerdict: verdictOf.get(`${s.info.primary.kind}:${s.info.primary.value}`) ?? 'unknown',
      indicators: { total: mine.length, malicious: verdicts.filter((v) => v === 'malicious').length, severe: verdicts.filter((v) => v !== undefined && SEVERE.has(v)).length },
    };
  });

  const report: SimulationReport = {
    seed: scenario.seed,
    indicatorSource: scenario.indicatorSource,
    window: { start: new Date(scenario.window.start).toISOString(), end: new Date(scenario.window.end).toISOString() },
    tenants: { simulated: scenario.tenants.length, keys: new Set(keys).size },
    sensors: scenario.sensors,
    events: { generated: scenario.events.length, accepted, rejected, sendMs, perSecond: Math.round((accepted / Math.max(1, sendMs)) * 1000), rejections },
    settle: { settled, ms: settleMs, lagZero },
    truth: {
      scored: scored.length,
      malicious: scored.filter((t: TruthEntry) => t.label === 'malicious').length,
      benign: scored.filter((t: TruthEntry) => t.label === 'benign').length,
      email: scenario.truth.length - scored.length,
    },
    evaluation,
    campaigns,
    files: {},
  };
  if (options.outDir !== undefined) {
    mkdirSync(options.outDir, { recursive: true });
    report.files = { json: join(options.outDir, 'report.json'), svg: join(options.outDir, 'quality.svg'), text: join(options.outDir, 'report.txt') };
    writeFileSync(report.files.svg!, renderSvg(report));
    writeFileSync(report.files.text!, renderText(report));
    writeFileSync(report.files.json!, `${JSON.stringify(report, null, 2)}\n`);
  }
  return report;
}
