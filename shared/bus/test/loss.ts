import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { waitFor } from '@repute/infra';
import { uniqueName } from '@repute/infra/testkit';
import type { Bus, BusMessage } from '../src/index.ts';

export interface LossScenario {
  total: number;
  /**
   * Started once, about a third into publishing, and run alongside it: takes the broker down,
   * calls `down()` once it is (the rest is published into the outage), waits until publishing
   * has failed and brings the broker back.
   */
  disrupt?: (progress: { publishFailures(): number; down(): void }) => Promise<void>;
  timeoutMs: number;
}

const idOf = (m: BusMessage): string => (JSON.parse(m.value.toString()) as { id: string }).id;

/**
 * Publishes `total` messages in batches the way ingest does (a batch counts as accepted only
 * once publish resolved; a failed batch is retried with the same ids, as a client would) while
 * the first consumer is killed mid-batch and replaced, and optionally while the broker restarts.
 * Asserts that every accepted id was consumed at least once and reports duplicates.
 */
export async function runLossScenario(t: TestContext, bus: Bus, scenario: LossScenario): Promise<void> {
  const topic = uniqueName('loss');
  const group = uniqueName('g');
  const batchSize = 50;
  const accepted = new Set<string>();
  const completed = new Map<string, number>();
  let publishFailures = 0;
  const record = (batch: BusMessage[]): void => {
    for (const m of batch) completed.set(idOf(m), (completed.get(idOf(m)) ?? 0) + 1);
  };

  let handled = 0;
  let killed!: () => void;
  const killedNow = new Promise<void>((resolve) => (killed = resolve));
  const first = await bus.subscribe({
    topic,
    group,
    consumer: 'doomed',
    batchSize: 40,
    handler: async (batch) => {
      if (++handled === 4) {
        killed();
        await new Promise(() => {});
      }
      record(batch);
    },
  });
  let second: Awaited<ReturnType<Bus['subscribe']>> | undefined;
  const restartConsumer = killedNow.then(async () => {
    await first.abort();
    second = await bus.subscribe({ topic, group, consumer: 'successor', batchSize: 40, handler: async (b) => record(b) });
  });

  let disruption: Promise<void> | undefined;
  for (let start = 0, batchNo = 0; start < scenario.total; start += batchSize, batchNo++) {
    const batch = Array.from({ length: Math.min(batchSize, scenario.total - start) }, (_, i) => {
      const id = `e-${start + i}`;
      return { key: `k${(start + i) % 13}`, value: JSON.stringify({ id }) };
    });
    if (batchNo === Math.floor(scenario.total / batchSize / 3) && scenario.disrupt !== undefined) {
      let markDown!: () => void;
      const down = new Promise<void>((resolve) => (markDown = resolve));
      disruption = scenario.disrupt({ publishFailures: () => publishFailures, down: markDown });
      // The rest is published into the outage, so some publishes do fail and are retried.
      await Promise.race([down, disruption]);
    }
    for (;;) {
      try {
        await bus.publish(topic, batch);
        for (const m of batch) accepted.add((JSON.parse(m.value) as { id: string }).id);
        break;
      } catch {
        // The client saw a 503: it retries the same events.
        publishFailures++;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  await disruption;
  await restartConsumer;
  t.after(() => second?.close());
  await waitFor('every accepted message consumed', async () => ([...accepted].every((id) => completed.has(id)) ? true : undefined), scenario.timeoutMs, 50);
  const missing = [...accepted].filter((id) => !completed.has(id));
  assert.deepEqual(missing, []);
  assert.equal(accepted.size, scenario.total);
  const duplicates = [...completed.values()].reduce((n, c) => n + c - 1, 0);
  t.diagnostic(`${bus.kind}: accepted ${accepted.size}, consumed ${completed.size} distinct, duplicates ${duplicates}, failed publish attempts ${publishFailures}`);
}
