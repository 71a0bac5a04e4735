import { createHash } from 'node:crypto';
import { timed, type RunContext } from '../context.ts';
import { percentiles, type Latency } from '../latency.ts';
import { runPhase, type Phase } from '../run-phase.ts';
import { decidingPost, telemetryPosts } from '../telemetry-events.ts';
import { EVENTS_PER_POST, waitForDrain } from './ingest.ts';

const PROBE_TIMEOUT_MS = 10_000;
const POLL_MS = 2;

export interface FreshnessResults {
  idle: { samples: number[]; latency: Latency; timeouts: number };
  loaded: { samples: number[]; latency: Latency; timeouts: number; ingest: Phase; eventsPerS: number; backlogAfter: boolean };
}

/**
 * One probe: post a file's deciding evidence through the ingest API, then ask the edge every
 * 2 ms until it answers malicious; the time from the post to that answer is the freshness.
 */
async function probe(url: string, key: string, n: number, run: string): Promise<number | undefined> {
  const sha256 = createHash('sha256').update(`${run}-fresh-${n}`).digest('hex');
  const auth = { authorization: `Bearer ${key}` };
  const started = performance.now();
  const res = await fetch(`${url}/v1/telemetry`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: decidingPost(sha256, n) });
  await res.arrayBuffer();
  if (res.status !== 202) return undefined;
  while (performance.now() - started < PROBE_TIMEOUT_MS) {
    const answer = await fetch(`${url}/v1/reputation/file/${sha256}`, { headers: auth });
    const body = (await answer.json()) as { verdict?: string };
    if (body.verdict === 'malicious') return performance.now() - started;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return undefined;
}

async function probes(ctx: RunContext, run: string, until: () => boolean, max: number, from: number): Promise<{ samples: number[]; timeouts: number }> {
  const samples: number[] = [];
  let timeouts = 0;
  for (let n = from; n < from + max && until(); n++) {
    const ms = await probe(ctx.target.url, ctx.target.key, n, run);
    if (ms === undefined) timeouts++;
    else samples.push(ms);
    // Probes are spaced so each one meets the pipeline as the background load leaves it.
    await new Promise((r) => setTimeout(r, 50));
  }
  return { samples, timeouts };
}

/**
 * Freshness with the system idle (the floor), then while ingest runs at a constant half of
 * the rate the pipeline sustains end to end.
 */
export async function freshnessScenario(ctx: RunContext, run: string, sustainedEventsPerS: number): Promise<FreshnessResults> {
  const { target, durations: d, say } = ctx;
  await waitForDrain(target.url, d.drainS);
  const idle = await timed(ctx, 'freshness', 'idle', () => probes(ctx, run, () => true, d.idleProbes, 0));
  say(`  freshness, idle: ${idle.samples.length} probes, p50 ${percentiles(idle.samples).p50} ms, p99 ${percentiles(idle.samples).p99} ms, timeouts ${idle.timeouts}`);

  const eventsPerS = Math.max(EVENTS_PER_POST, sustainedEventsPerS / 2);
  const headers = { authorization: `Bearer ${target.key}`, 'content-type': 'application/json' };
  const posts = telemetryPosts(ctx.sets, 200, EVENTS_PER_POST, `${run}-bg`);
  let loading = true;
  const background = timed(ctx, 'freshness', 'loaded', () => runPhase({ name: `ingest ½ sustained (${Math.round(eventsPerS)} events/s), constant rate`, scenario: 'ingest', itemsPerRequest: EVENTS_PER_POST, spec: { url: target.url, connections: 8, durationS: d.freshnessS, requests: posts, headers, rate: eventsPerS / EVENTS_PER_POST }, ...(target.pid !== undefined ? { serverPid: target.pid } : {}), say }).finally(() => { loading = false; }));
  // The first second lets the background rate settle before the clock starts.
  await new Promise((r) => setTimeout(r, 1000));
  const loaded = await probes(ctx, run, () => loading, 10_000, 1000);
  const ingest = await background;
  const backlogAfter = !(await waitForDrain(target.url, 0.2));
  say(`  freshness, ingest at ${Math.round(eventsPerS)} events/s: ${loaded.samples.length} probes, p50 ${percentiles(loaded.samples).p50} ms, p99 ${percentiles(loaded.samples).p99} ms, timeouts ${loaded.timeouts}${backlogAfter ? ', correlator behind at the end' : ''}`);
  return {
    idle: { ...idle, latency: percentiles(idle.samples) },
    loaded: { ...loaded, latency: percentiles(loaded.samples), ingest, eventsPerS, backlogAfter },
  };
}
