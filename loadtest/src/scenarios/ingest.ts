import { timed, type RunContext } from '../context.ts';
import { readMetric } from '../metrics.ts';
import { runPhase, type Phase } from '../run-phase.ts';
import { telemetryPosts } from '../telemetry-events.ts';

export const EVENTS_PER_POST = 100;
const INGEST_CONNECTIONS = 8;

export interface IngestResults {
  max: Phase;
  /** Events/s the ingest API accepted at its maximum (closed loop). */
  acceptedPerS: number;
  /** Events/s from the first accepted to the last one processed by the correlator: what the system sustains end to end. */
  sustainedPerS: number;
  /** Whether the correlator caught up within the bounded wait. */
  drained: boolean;
  drainS: number;
}

const processed = (url: string): Promise<number> => readMetric(url, 'repute_correlator_events_total');
const accepted = (url: string): Promise<number> => readMetric(url, 'repute_ingest_events_total', 'outcome="accepted"');

/** Waits, bounded, until the correlator has processed every accepted event. */
export async function waitForDrain(url: string, limitS: number): Promise<boolean> {
  const deadline = Date.now() + limitS * 1000;
  while (Date.now() < deadline) {
    if ((await processed(url)) >= (await accepted(url))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * Telemetry posts of 100 events as fast as the ingest API accepts them (closed loop), then a
 * bounded wait for the correlator to process them all: the API's rate and the rate the whole
 * pipeline sustains are both figures, and the second is what "half the maximum" is taken of.
 */
export async function ingestScenario(ctx: RunContext, run: string): Promise<IngestResults> {
  const { target, durations: d, say } = ctx;
  const headers = { authorization: `Bearer ${target.key}`, 'content-type': 'application/json' };
  const posts = telemetryPosts(ctx.sets, 200, EVENTS_PER_POST, run);
  // Warm-up, not measured; then the backlog it left is drained first.
  await runPhase({ name: 'ingest warm-up', scenario: 'warm-up', itemsPerRequest: EVENTS_PER_POST, spec: { url: target.url, connections: INGEST_CONNECTIONS, durationS: 1, requests: posts, headers } });
  await waitForDrain(target.url, d.drainS);
  const before = await processed(target.url);
  const started = performance.now();
  const max = await timed(ctx, 'ingest', 'ingest max', () => runPhase({ name: `ingest ×${EVENTS_PER_POST} events, max`, scenario: 'ingest', itemsPerRequest: EVENTS_PER_POST, spec: { url: target.url, connections: INGEST_CONNECTIONS, durationS: d.ingestS, requests: posts, headers }, ...(target.pid !== undefined ? { serverPid: target.pid } : {}), say }));
  const drained = await timed(ctx, 'correlator', 'drain', () => waitForDrain(target.url, d.drainS));
  const elapsedS = (performance.now() - started) / 1000;
  const sustainedPerS = ((await processed(target.url)) - before) / elapsedS;
  const acceptedPerS = (max.ok * EVENTS_PER_POST) / max.durationS;
  say(`  ingest: API accepted ${Math.round(acceptedPerS)} events/s; correlator ${drained ? 'caught up' : 'had not caught up'} after ${elapsedS.toFixed(1)} s: ${Math.round(sustainedPerS)} events/s end to end`);
  return { max, acceptedPerS, sustainedPerS, drained, drainS: elapsedS - max.durationS };
}
