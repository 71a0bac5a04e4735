import { startHello } from '../baselines.ts';
import { timed, type RunContext } from '../context.ts';
import { batchLookups, describeMix, mixSequence, singleLookups } from '../lookup-mix.ts';
import { runPhase, type Phase } from '../run-phase.ts';

export const LOOKUP_CONNECTIONS = 50;
const BATCH_SIZE = 100;
const BATCH_CONNECTIONS = 10;

export interface LookupResults {
  phases: Phase[];
  hello: Phase;
  singleMax: Phase;
  singleHalf: Phase;
  batchMax: Phase;
  batchHalf: Phase;
  /** Per pair, lookup req/s over hello-world req/s. */
  pairRatios: number[];
  mix: Record<string, number>;
}

/**
 * The lookup mix, single and batch: the maximum rate first (closed loop, pairs with the
 * hello-world baseline back to back so a neighbour's burst on the shared box hits both), then
 * half of it at a constant rate (open loop) for the latency figures.
 */
export async function lookupScenario(ctx: RunContext): Promise<LookupResults> {
  const { target, durations: d, say } = ctx;
  const headers = { authorization: `Bearer ${target.key}` };
  const sequence = mixSequence(ctx.sets, 20_000);
  const single = singleLookups(sequence);
  const batches = batchLookups(sequence, BATCH_SIZE);
  const hello = await startHello();
  const phases: Phase[] = [];
  const pairs: { hello: Phase; single: Phase }[] = [];
  try {
    // Warm-up: JIT, record cache and connections, not measured.
    await runPhase({ name: 'warm-up', scenario: 'warm-up', spec: { url: target.url, connections: LOOKUP_CONNECTIONS, durationS: 2, requests: single, headers } });
    for (let p = 1; p <= d.pairs; p++) {
      const h = await runPhase({ name: `hello-world baseline #${p}`, scenario: 'baseline', spec: { url: hello.url, connections: LOOKUP_CONNECTIONS, durationS: d.closedS, requests: [{ method: 'GET', path: '/' }], headers: {} }, serverPid: hello.pid, say });
      const s = await timed(ctx, 'lookup', `single max #${p}`, () => runPhase({ name: `lookup single, max #${p}`, scenario: 'lookup-single', spec: { url: target.url, connections: LOOKUP_CONNECTIONS, durationS: d.closedS, requests: single, headers }, ...(target.pid !== undefined ? { serverPid: target.pid } : {}), say }));
      pairs.push({ hello: h, single: s });
      phases.push(h, s);
    }
  } finally {
    await hello.stop();
  }
  const ratio = (x: { hello: Phase; single: Phase }): number => (x.hello.rps > 0 ? x.single.rps / x.hello.rps : 0);
  const median = [...pairs].sort((a, b) => ratio(a) - ratio(b))[Math.floor(pairs.length / 2)]!;
  const onTarget = target.pid !== undefined ? { serverPid: target.pid } : {};
  const batchMax = await timed(ctx, 'lookup', 'batch max', () => runPhase({ name: `lookup batch ×${BATCH_SIZE}, max`, scenario: 'lookup-batch', itemsPerRequest: BATCH_SIZE, spec: { url: target.url, connections: BATCH_CONNECTIONS, durationS: d.closedS, requests: batches, headers }, ...onTarget, say }));
  const singleHalf = await timed(ctx, 'lookup', 'single half', () => runPhase({ name: 'lookup single, ½ max, constant rate', scenario: 'lookup-single', spec: { url: target.url, connections: LOOKUP_CONNECTIONS, durationS: d.openS, requests: single, headers, rate: Math.max(1, Math.round(median.single.rps / 2)) }, ...onTarget, say }));
  const batchHalf = await timed(ctx, 'lookup', 'batch half', () => runPhase({ name: `lookup batch ×${BATCH_SIZE}, ½ max, constant rate`, scenario: 'lookup-batch', itemsPerRequest: BATCH_SIZE, spec: { url: target.url, connections: BATCH_CONNECTIONS, durationS: d.openS, requests: batches, headers, rate: Math.max(1, Math.round(batchMax.rps / 2)) }, ...onTarget, say }));
  phases.push(batchMax, singleHalf, batchHalf);
  return { phases, hello: median.hello, singleMax: median.single, singleHalf, batchMax, batchHalf, pairRatios: pairs.map((x) => Math.round(ratio(x) * 1000) / 1000), mix: describeMix(sequence) };
}
