import { ReputeHttp, waitFor, type EdgeAnswer } from './http-client.ts';
import { CODE, codeOf, NOT_LIVE, type CheckpointVerdicts } from './quality-metrics.ts';
import { planQuality, type QualityPlan, type ViewLookup } from './quality-plan.ts';
import type { Scenario, SimEvent } from './types.ts';

const HOUR = 3_600_000;

/** Options of `runQualityReplay`: a scenario, a deployment's URLs and keys, and the pacing. */
export interface QualityReplayOptions {
  scenario: Scenario;
  edgeUrl: string;
  ingestUrl: string;
  /** Ingest key per scenario tenant (the attacker's included). */
  ingestKeys: ReadonlyMap<string, string>;
  /** Lookup key per scenario tenant: the tenant-local views. */
  lookupKeys: ReadonlyMap<string, string>;
  /** Lookup key of a tenant that sends nothing: the global view. */
  observerKey: string;
  /** Messages the correlator has not acknowledged yet. */
  lag: () => Promise<number>;
  /** The deployment's clock, moved to each round's newest event (see virtual-clock.ts). */
  clock?: { advanceTo(time: number): void };
  /** Simulated time between checkpoints, ms (default 6 hours); the end of the window is the last. */
  checkpointMs?: number;
  /** Events per ingest round, split by tenant (default 500). */
  roundSize?: number;
  /**
   * Sending pauses while the correlator lags more than this many messages (default 2000), so
   * evidence is scored close to its simulated time.
   */
  maxLag?: number;
  /** At a checkpoint, verdicts must stay unchanged for `quietMs` after the lag drains (propagation runs on its own interval). */
  settle?: { quietMs?: number; timeoutMs?: number };
  log?: (line: string) => void;
}

/** What a replay observed: the verdicts at every checkpoint and the full answers at the end. */
export interface QualityReplay {
  plan: QualityPlan;
  checkpoints: CheckpointVerdicts[];
  /** The end's answers, aligned with `plan.items`, `plan.victims` and `plan.poison`. */
  final: { global: EdgeAnswer[]; victims: EdgeAnswer[]; poison: EdgeAnswer[] };
  events: { generated: number; accepted: number; rejected: number; rejections: { reason: string; field: string; detail: string }[] };
  /** Wall-clock duration of the replay, checkpoints included, ms. */
  replayMs: number;
  /** Checkpoints whose verdicts did not settle within the timeout. */
  unsettled: number;
}

/**
 * Replays a scenario through a live deployment in virtual-time order, each tenant's events
 * with its own ingest key, and scores verdicts as they stood over time: at every checkpoint it
 * stops sending, waits for the correlator's lag to drain and the verdicts to settle, and looks
 * up every labelled indicator seen so far through POST /v1/reputation/batch, in the global view
 * and in the tenant views (see QualityPlan).
 */
export async function runQualityReplay(o: QualityReplayOptions): Promise<QualityReplay> {
  const { scenario } = o;
  const log = o.log ?? (() => {});
  const plan = planQuality(scenario);
  const keyOf = (tenant: string): string => {
    const key = o.ingestKeys.get(tenant);
    if (key === undefined) throw new Error(`no ingest key for ${tenant}`);
    return key;
  };
  const sender = new ReputeHttp(o.edgeUrl, o.ingestUrl, o.observerKey, keyOf);
  const viewers = new Map<string, ReputeHttp>();
  const viewer = (key: string) => {
    let h = viewers.get(key);
    if (h === undefined) viewers.set(key, (h = new ReputeHttp(o.edgeUrl, o.ingestUrl, key, keyOf)));
    return h;
  };
  const lookupKey = (tenant: string): string => o.lookupKeys.get(tenant) ?? o.observerKey;
  const step = o.checkpointMs ?? 6 * HOUR;
  const roundSize = o.roundSize ?? 500;
  const maxLag = o.maxLag ?? 2000;
  const quietMs = o.settle?.quietMs ?? 1500;
  const timeoutMs = o.settle?.timeoutMs ?? 30_000;
  const { start, end } = scenario.window;
  const stops: number[] = [];
  for (let t = start + step; t < end; t += step) stops.push(t);
  stops.push(end);

  // Enough reasons to trace a mistake (weightless guards and caps sort last).
  const REASONS = 8;
  const lookupGlobal = async (indices: readonly number[]): Promise<EdgeAnswer[]> =>
    await viewer(o.observerKey).lookup(indices.map((i) => plan.items[i]!.entry), REASONS);
  const lookupViews = async (lookups: readonly ViewLookup[], live: (l: ViewLookup) => boolean): Promise<(EdgeAnswer | undefined)[]> => {
    const out: (EdgeAnswer | undefined)[] = new Array(lookups.length);
    const byTenant = new Map<string, number[]>();
    lookups.forEach((l, i) => {
      if (!live(l)) return;
      const list = byTenant.get(l.tenant) ?? [];
      list.push(i);
      byTenant.set(l.tenant, list);
    });
    for (const [tenant, indices] of byTenant) {
      const answers = await viewer(lookupKey(tenant)).lookup(indices.map((i) => plan.items[lookups[i]!.item]!.entry), REASONS);
      indices.forEach((i, n) => { out[i] = answers[n]; });
    }
    return out;
  };

  const untilLag = async (atMost: number) => {
    const began = performance.now();
    while ((await o.lag()) > atMost) {
      await waitFor(50);
      if (performance.now() - began > 10 * 60_000) throw new Error('the correlator did not drain its lag within 10 minutes');
    }
  };
  // Verdicts that can still move once the lag is 0: the malicious, hub and poisoned
  // indicators seen so far. Settled when two lookups `quietMs` apart agree.
  const settle = async (at: number): Promise<boolean> => {
    const watch = plan.items.flatMap((it, i) => (it.first <= at && (it.entry.label === 'malicious' || it.hub || it.poisoned) ? [i] : []));
    const began = performance.now();
    let before = (await lookupGlobal(watch)).map((a) => a.verdict).join();
    while (performance.now() - began < timeoutMs) {
      await waitFor(quietMs);
      const now = (await lookupGlobal(watch)).map((a) => a.verdict).join();
      if (now === before) return true;
      before = now;
    }
    return false;
  };

  const checkpoints: CheckpointVerdicts[] = [];
  let final: QualityReplay['final'] = { global: [], victims: [], poison: [] };
  const events = { generated: scenario.events.length, accepted: 0, rejected: 0, rejections: [] as QualityReplay['events']['rejections'] };
  let unsettled = 0;
  let next = 0;
  let rounds = 0;
  // Wall-clock durations use performance.now(): Date.now may be the virtual clock.
  const sendStarted = performance.now();

  for (const [k, stop] of stops.entries()) {
    while (next < scenario.events.length && scenario.events[next]!.event.time <= stop) {
      const round: SimEvent[] = [];
      while (round.length < roundSize && next < scenario.events.length && scenario.events[next]!.event.time <= stop) round.push(scenario.events[next++]!);
      await untilLag(maxLag);
      o.clock?.advanceTo(round.at(-1)!.event.time);
      const byTenant = new Map<string, SimEvent[]>();
      for (const e of round) {
        const list = byTenant.get(e.tenant) ?? [];
        list.push(e);
        byTenant.set(e.tenant, list);
      }
      const results = await Promise.all([...byTenant].map(([tenant, list]) => sender.send(tenant, list)));
      for (const r of results) {
        events.accepted += r.accepted;
        events.rejected += r.rejected;
        for (const x of r.rejections) if (events.rejections.length < 10) events.rejections.push({ reason: x.reason, field: x.field, detail: x.detail });
      }
      if (++rounds % 20 === 0) log(`posted ${next}/${scenario.events.length} events (simulated day ${((round.at(-1)!.event.time - start) / (24 * HOUR)).toFixed(2)})`);
    }
    o.clock?.advanceTo(stop);
    const waited = performance.now();
    await untilLag(0);
    const drained = Math.round(performance.now() - waited);
    const settled = await settle(stop);
    if (!settled) unsettled++;

    const live = (l: ViewLookup) => l.from <= stop;
    const liveItems = plan.items.flatMap((it, i) => (it.first <= stop ? [i] : []));
    const globalAnswers = await lookupGlobal(liveItems);
    const global = new Uint8Array(plan.items.length).fill(NOT_LIVE);
    liveItems.forEach((i, n) => { global[i] = codeOf(globalAnswers[n]); });
    const victimAnswers = await lookupViews(plan.victims, live);
    const poisonAnswers = await lookupViews(plan.poison, live);
    const codes = (answers: (EdgeAnswer | undefined)[]) => Uint8Array.from(answers, (a) => (a === undefined ? NOT_LIVE : codeOf(a)));
    const cp: CheckpointVerdicts = { at: stop, global, victims: codes(victimAnswers), poison: codes(poisonAnswers) };
    checkpoints.push(cp);
    if (k === stops.length - 1) {
      const none: EdgeAnswer = { status: 'unknown', verdict: 'unknown', reasons: [] };
      const position = new Map(liveItems.map((i, n) => [i, n]));
      final = {
        global: Array.from(plan.items, (_, i) => globalAnswers[position.get(i) ?? -1] ?? none),
        victims: victimAnswers.map((a) => a ?? none),
        poison: poisonAnswers.map((a) => a ?? none),
      };
    }
    const malicious = [...cp.victims].filter((c, i) => c === CODE.malicious && plan.items[plan.victims[i]!.item]!.entry.label === 'malicious').length;
    const positives = [...cp.victims].filter((c, i) => c !== NOT_LIVE && plan.items[plan.victims[i]!.item]!.entry.label === 'malicious').length;
    log(`checkpoint ${k + 1}/${stops.length} (simulated day ${((stop - start) / (24 * HOUR)).toFixed(2)}): lag drained in ${drained} ms, ${settled ? 'settled' : 'NOT settled'}; ${liveItems.length} indicators looked up; victims' view ${malicious}/${positives} malicious`);
  }
  return { plan, checkpoints, final, events, replayMs: Math.round(performance.now() - sendStarted), unsettled };
}
