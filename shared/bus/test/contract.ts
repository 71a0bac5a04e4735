import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { waitFor } from '@repute/infra';
import { uniqueName } from '@repute/infra/testkit';
import { DLQ_HEADERS, type Bus, type BusMessage } from '../src/index.ts';

export interface ContractTarget {
  name: string;
  /** A bus tuned for quick tests (short idle/claim times). */
  makeBus(): Promise<Bus>;
  timeoutMs: number;
  /**
   * How the adapter runs handlers of several batches at once (`maxBatchesInFlight`): any
   * batches (`batches`), or only batches of different partitions, each partition in order
   * (`partitions`, read from a message's id by `partitionOf`).
   */
  overlaps: 'batches' | 'partitions';
  partitionOf?: (m: BusMessage) => string;
  /**
   * Writes onto `topic`, past the bus (as another program could), records this adapter cannot
   * decode; returns, per record, a pattern its dead letter's reason must match.
   */
  writeUndecodable(bus: Bus, topic: string): Promise<RegExp[]>;
}

function messages(n: number, label: string): { key: string; value: string; headers: Record<string, string> }[] {
  return Array.from({ length: n }, (_, i) => ({ key: `k${i % 7}`, value: JSON.stringify({ id: `${label}-${i}` }), headers: { 'x-seq': String(i) } }));
}

const idOf = (m: BusMessage): string => (JSON.parse(m.value.toString()) as { id: string }).id;

/** The one suite both adapters must pass. */
export function busContract(target: ContractTarget): void {
  const { name, makeBus, timeoutMs, overlaps } = target;
  const wait = <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => waitFor(what, probe, timeoutMs, 25);
  /** A bus closed after the test, a topic of its own and a group on it. */
  const fresh = async (t: TestContext, label: string): Promise<{ bus: Bus; topic: string; group: string }> => {
    const bus = await makeBus();
    t.after(() => bus.close());
    return { bus, topic: uniqueName(label), group: uniqueName('g') };
  };

  test(`${name}: publish resolves after the broker has every message, and a group consumes them all in bounded batches`, async (t) => {
    const { bus, topic, group } = await fresh(t, 'contract');
    await bus.publish(topic, messages(250, 'a'));
    assert.equal(await bus.lag(topic, group), 250, 'a group that never consumed lags by everything');
    const seen: BusMessage[] = [];
    let largest = 0;
    const sub = await bus.subscribe({
      topic,
      group,
      batchSize: 40,
      handler: async (batch) => {
        largest = Math.max(largest, batch.length);
        seen.push(...batch);
      },
    });
    t.after(() => sub.close());
    await wait('all messages consumed', async () => (seen.length >= 250 ? true : undefined));
    assert.ok(largest <= 40, `batches are at most batchSize (largest ${largest})`);
    assert.deepEqual(new Set(seen.map(idOf)).size, 250);
    const first = seen.find((m) => idOf(m) === 'a-3')!;
    assert.equal(first.key, 'k3');
    assert.equal(first.headers['x-seq'], '3');
    assert.equal(first.topic, topic);
    await wait('lag back to zero', async () => ((await bus.lag(topic, group)) === 0 ? true : undefined));
  });

  test(`${name}: a failing handler is retried and nothing is acknowledged before it succeeds`, async (t) => {
    const { bus, topic, group } = await fresh(t, 'retry');
    await bus.publish(topic, messages(20, 'r'));
    let calls = 0;
    const done = new Set<string>();
    const sub = await bus.subscribe({
      topic,
      group,
      retryBackoffMs: 20,
      maxAttempts: 3,
      handler: async (batch) => {
        calls++;
        if (calls === 1) {
          assert.equal(await bus.lag(topic, group), 20, 'nothing acknowledged while the handler runs');
          throw new Error('transient');
        }
        for (const m of batch) done.add(idOf(m));
      },
    });
    t.after(() => sub.close());
    await wait('retried batch handled', async () => (done.size === 20 ? true : undefined));
    assert.ok(calls >= 2);
    await wait('lag back to zero', async () => ((await bus.lag(topic, group)) === 0 ? true : undefined));
  });

  test(`${name}: a batch that keeps failing is parked on the dead-letter topic with its reason`, async (t) => {
    const { bus, topic, group } = await fresh(t, 'poison');
    const dlq = `${topic}.dlq`;
    await bus.publish(topic, messages(5, 'p'));
    let attempts = 0;
    const sub = await bus.subscribe({
      topic,
      group,
      maxAttempts: 2,
      retryBackoffMs: 10,
      handler: async () => {
        attempts++;
        throw Object.assign(new Error('cannot parse'), { code: 'REPUTE_TEST_POISON' });
      },
    });
    t.after(() => sub.close());
    await wait('source acknowledged after dead-lettering', async () => ((await bus.lag(topic, group)) === 0 ? true : undefined));
    const dead = await wait('dead letters readable', async () => {
      const got = await bus.read(dlq);
      return got.length >= 5 ? got : undefined;
    });
    assert.equal(dead.length, 5);
    assert.ok(attempts >= 2);
    assert.deepEqual(new Set(dead.map(idOf)), new Set(['p-0', 'p-1', 'p-2', 'p-3', 'p-4']));
    for (const m of dead) {
      assert.match(m.headers[DLQ_HEADERS.reason] ?? '', /REPUTE_TEST_POISON: cannot parse/);
      assert.equal(m.headers[DLQ_HEADERS.sourceTopic], topic);
      assert.equal(m.headers[DLQ_HEADERS.sourceGroup], group);
      assert.equal(m.headers[DLQ_HEADERS.attempts], '2');
      assert.equal(m.headers['x-seq'] !== undefined, true, 'original headers are kept');
    }
  });

  test(`${name}: a consumer killed mid-batch loses nothing; its batch is redelivered to the next one`, async (t) => {
    const { bus, topic, group } = await fresh(t, 'kill');
    const total = 300;
    await bus.publish(topic, messages(total, 'x'));
    const completed = new Map<string, number>();
    let inFlight: string[] = [];
    let killedMidBatch!: () => void;
    const killedNow = new Promise<void>((resolve) => (killedMidBatch = resolve));
    let batches = 0;
    const first = await bus.subscribe({
      topic,
      group,
      consumer: 'first',
      batchSize: 50,
      handler: async (batch) => {
        batches++;
        if (batches === 3) {
          inFlight = batch.map(idOf);
          killedMidBatch();
          // The process "dies" here: this handler never finishes.
          await new Promise(() => {});
        }
        for (const m of batch) completed.set(idOf(m), (completed.get(idOf(m)) ?? 0) + 1);
      },
    });
    await killedNow;
    await first.abort();
    assert.ok(inFlight.length > 0);
    assert.ok(inFlight.every((id) => !completed.has(id)), 'the killed batch was not completed');
    const second = await bus.subscribe({
      topic,
      group,
      consumer: 'second',
      batchSize: 50,
      handler: async (batch) => {
        for (const m of batch) completed.set(idOf(m), (completed.get(idOf(m)) ?? 0) + 1);
      },
    });
    t.after(() => second.close());
    await wait('every message consumed after the restart', async () => (completed.size === total ? true : undefined));
    for (const id of inFlight) assert.ok(completed.has(id), `${id} from the killed batch was redelivered`);
    const duplicates = [...completed.values()].reduce((n, c) => n + c - 1, 0);
    t.diagnostic(`${name}: ${total} messages, killed batch of ${inFlight.length}, duplicates ${duplicates}`);
    await wait('lag back to zero', async () => ((await bus.lag(topic, group)) === 0 ? true : undefined));
  });

  if (overlaps === 'partitions') {
    test(`${name}: with two batches in flight a partition runs two at once, started in order, and everything is acknowledged`, async (t) => {
      const partitionOf = target.partitionOf!;
      const { bus, topic, group } = await fresh(t, 'inflight');
      const total = 300;
      await bus.publish(topic, messages(total, 'f'));
      const handled = new Set<string>();
      const running = new Map<string, number>();
      const lastSeq = new Map<string, number>();
      let mostOfOnePartition = 0;
      let outOfOrder = false;
      const sub = await bus.subscribe({
        topic,
        group,
        batchSize: 20,
        maxBatchesInFlight: 2,
        handler: async (batch) => {
          const partition = partitionOf(batch[0]!);
          running.set(partition, (running.get(partition) ?? 0) + 1);
          mostOfOnePartition = Math.max(mostOfOnePartition, running.get(partition)!);
          for (const m of batch) {
            const seq = Number(m.headers['x-seq']);
            if (seq < (lastSeq.get(partitionOf(m)) ?? -1)) outOfOrder = true;
            lastSeq.set(partitionOf(m), seq);
          }
          // Long enough that a second batch, were it started, would overlap this one.
          await new Promise((resolve) => setTimeout(resolve, 20));
          for (const m of batch) handled.add(idOf(m));
          running.set(partition, running.get(partition)! - 1);
        },
      });
      t.after(() => sub.close());
      await wait('every message handled', async () => (handled.size === total ? true : undefined));
      await wait('lag back to zero', async () => ((await bus.lag(topic, group)) === 0 ? true : undefined));
      assert.equal(mostOfOnePartition, 2, 'a partition had two batches in flight, and never more');
      assert.equal(outOfOrder, false, 'each partition\'s batches started in publish order');
    });

    test(`${name}: a batch still running holds back the commits of the batches after it, not their handling`, async (t) => {
      const { bus, topic, group } = await fresh(t, 'held');
      // One key, one partition: 60 messages in three batches of 20.
      await bus.publish(topic, Array.from({ length: 60 }, (_, i) => ({ key: 'one', value: JSON.stringify({ id: `h-${i}` }), headers: { 'x-seq': String(i) } })));
      const handled = new Set<string>();
      let releaseFirst!: () => void;
      const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
      let calls = 0;
      const sub = await bus.subscribe({
        topic,
        group,
        batchSize: 20,
        maxBatchesInFlight: 2,
        handler: async (batch) => {
          calls += 1;
          if (batch.some((m) => idOf(m) === 'h-0')) await firstHeld;
          for (const m of batch) handled.add(idOf(m));
        },
      });
      t.after(() => sub.close());
      await wait('the second batch handled while the first is held', async () => (handled.has('h-20') ? true : undefined));
      assert.equal(await bus.lag(topic, group), 60, 'nothing is committed past the held batch');
      releaseFirst();
      await wait('every message handled', async () => (handled.size === 60 ? true : undefined));
      await wait('lag back to zero', async () => ((await bus.lag(topic, group)) === 0 ? true : undefined));
      assert.ok(calls >= 3);
    });
  }

  if (overlaps === 'batches') test(`${name}: a message budget bounds what is in flight, whatever the batch count allows`, async (t) => {
    const { bus, topic, group } = await fresh(t, 'budget');
    const total = 400;
    await bus.publish(topic, messages(total, 'b'));
    const handled = new Set<string>();
    let running = 0;
    let mostMessages = 0;
    let mostBatches = 0;
    let batches = 0;
    const sub = await bus.subscribe({
      topic,
      group,
      batchSize: 50,
      maxBatchesInFlight: 8,
      maxMessagesInFlight: 120,
      handler: async (batch) => {
        running += batch.length;
        batches += 1;
        mostMessages = Math.max(mostMessages, running);
        mostBatches = Math.max(mostBatches, batches);
        // Long enough that further batches, were they read, would overlap this one.
        await new Promise((resolve) => setTimeout(resolve, 30));
        for (const m of batch) handled.add(idOf(m));
        running -= batch.length;
        batches -= 1;
      },
    });
    t.after(() => sub.close());
    await wait('every message handled', async () => (handled.size === total ? true : undefined));
    await wait('lag back to zero', async () => ((await bus.lag(topic, group)) === 0 ? true : undefined));
    assert.ok(mostMessages <= 120, `at most 120 messages in flight, saw ${mostMessages}`);
    assert.ok(mostMessages > 50, `more than one batch in flight, saw ${mostMessages} messages at once`);
    assert.ok(mostBatches <= 3, `the budget, not the batch count, bounded the batches: saw ${mostBatches}`);
  });

  if (overlaps === 'batches') test(`${name}: with two batches in flight, acknowledgements stay in order and a crash redelivers only unacknowledged batches`, async (t) => {
    const { bus, topic, group } = await fresh(t, 'inflight');
    const total = 300;
    await bus.publish(topic, messages(total, 'f'));
    const handled = new Map<string, number>();
    const batchIds: string[][] = [];
    let running = 0;
    let mostAtOnce = 0;
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = await bus.subscribe({
      topic,
      group,
      consumer: 'first',
      batchSize: 50,
      maxBatchesInFlight: 2,
      handler: async (batch) => {
        const n = batchIds.push(batch.map(idOf));
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        // Batch 1 waits for the test; batch 3 never finishes, as in a crash.
        if (n === 1) await firstHeld;
        if (n === 3) await new Promise(() => {});
        for (const m of batch) handled.set(idOf(m), (handled.get(idOf(m)) ?? 0) + 1);
        running--;
      },
    });
    await wait('batch 2 handled while batch 1 runs', async () => (batchIds.length >= 2 && handled.size === 50 ? true : undefined));
    assert.ok(batchIds[0]!.every((id) => !handled.has(id)), 'batch 1 is still running');
    assert.equal(await bus.lag(topic, group), total, 'batch 2 is not acknowledged before batch 1');
    assert.equal(batchIds.length, 2, 'no third batch while two are in flight');
    releaseFirst();
    await wait('batches 1 and 2 acknowledged', async () => ((await bus.lag(topic, group)) === total - 100 ? true : undefined));
    await wait('batch 4 handled while batch 3 hangs', async () => (batchIds.length >= 4 && batchIds[3]!.every((id) => handled.has(id)) ? true : undefined));
    assert.equal(await bus.lag(topic, group), total - 100, 'batch 4 is not acknowledged before batch 3');
    await first.abort();
    assert.equal(mostAtOnce, 2);

    const redelivered = new Set<string>();
    const second = await bus.subscribe({
      topic,
      group,
      consumer: 'second',
      batchSize: 50,
      maxBatchesInFlight: 2,
      handler: async (batch) => {
        for (const m of batch) {
          redelivered.add(idOf(m));
          handled.set(idOf(m), (handled.get(idOf(m)) ?? 0) + 1);
        }
      },
    });
    t.after(() => second.close());
    await wait('every message handled after the crash', async () => (handled.size === total ? true : undefined));
    await wait('lag back to zero', async () => ((await bus.lag(topic, group)) === 0 ? true : undefined));
    for (const id of [...batchIds[0]!, ...batchIds[1]!]) assert.ok(!redelivered.has(id), `${id} was acknowledged and must not come again`);
    for (const id of [...batchIds[2]!, ...batchIds[3]!]) assert.ok(redelivered.has(id), `${id} was not acknowledged and must come again`);
  });

  test(`${name}: two consumers of one group share the messages; two groups each get all`, async (t) => {
    const bus = await makeBus();
    t.after(() => bus.close());
    const topic = uniqueName('share');
    const groupA = uniqueName('ga');
    const groupB = uniqueName('gb');
    const byConsumer = new Map<string, Set<string>>();
    const groupBSeen = new Set<string>();
    const subs = await Promise.all(
      ['one', 'two'].map((consumer) =>
        bus.subscribe({
          topic,
          group: groupA,
          consumer,
          batchSize: 20,
          handler: async (batch) => {
            const mine = byConsumer.get(consumer) ?? new Set<string>();
            for (const m of batch) mine.add(idOf(m));
            byConsumer.set(consumer, mine);
          },
        }),
      ),
    );
    subs.push(await bus.subscribe({ topic, group: groupB, handler: async (batch) => { for (const m of batch) groupBSeen.add(idOf(m)); } }));
    t.after(() => Promise.all(subs.map((s) => s.close())));
    await bus.publish(topic, messages(200, 's'));
    const union = (): Set<string> => new Set([...byConsumer.values()].flatMap((s) => [...s]));
    await wait('group A consumed everything', async () => (union().size === 200 ? true : undefined));
    await wait('group B consumed everything', async () => (groupBSeen.size === 200 ? true : undefined));
    const sizes = [...byConsumer.values()].map((s) => s.size);
    const overlap = sizes.reduce((a, b) => a + b, 0) - 200;
    t.diagnostic(`${name}: group A split ${sizes.join('/')} (overlap ${overlap})`);
    assert.equal(overlap, 0, 'without failures a message goes to one consumer of a group');
  });

  test(`${name}: ready() answers true while the broker is up`, async (t) => {
    const bus = await makeBus();
    t.after(() => bus.close());
    assert.equal(await bus.ready(), true);
  });

  test(`${name}: a record the bus cannot decode is dead-lettered with its reason and raw fields, and everything after it is delivered and acknowledged`, async (t) => {
    const { bus, topic, group } = await fresh(t, 'undecodable');
    const dlq = `${topic}.dlq`;
    await bus.publish(topic, messages(3, 'before'));
    const reasons = await target.writeUndecodable(bus, topic);
    await bus.publish(topic, messages(3, 'after'));
    const seen = new Map<string, number>();
    const sub = await bus.subscribe({
      topic,
      group,
      batchSize: 4,
      retryBackoffMs: 10,
      handler: async (batch) => {
        for (const m of batch) seen.set(idOf(m), (seen.get(idOf(m)) ?? 0) + 1);
      },
    });
    t.after(() => sub.close());
    await wait('the valid messages on both sides delivered', async () => (seen.size === 6 ? true : undefined));
    await wait('everything acknowledged, the undecodable records too', async () => ((await bus.lag(topic, group)) === 0 ? true : undefined));
    assert.deepEqual([...seen.keys()].sort(), ['after-0', 'after-1', 'after-2', 'before-0', 'before-1', 'before-2']);
    assert.ok([...seen.values()].every((n) => n === 1), 'nothing was delivered twice');
    const dead = await wait('the undecodable records dead-lettered', async () => {
      const got = await bus.read(dlq);
      return got.length >= reasons.length ? got : undefined;
    });
    assert.equal(dead.length, reasons.length, 'each undecodable record dead-lettered once');
    const got = dead.map((m) => m.headers[DLQ_HEADERS.reason] ?? '');
    for (const pattern of reasons) assert.ok(got.some((r) => pattern.test(r)), `a dead letter's reason matches ${pattern}: ${JSON.stringify(got)}`);
    for (const m of dead) {
      assert.equal(m.headers[DLQ_HEADERS.sourceTopic], topic);
      assert.equal(m.headers[DLQ_HEADERS.sourceGroup], group);
      assert.equal(m.headers[DLQ_HEADERS.attempts], '0', 'never handed to the handler');
      assert.ok(m.headers[DLQ_HEADERS.sourceId], 'names its position in the source');
      const raw = JSON.parse(m.headers[DLQ_HEADERS.raw] ?? 'null') as unknown;
      assert.equal(typeof raw, 'object', 'the raw fields are kept');
      assert.notEqual(raw, null);
    }
  });

  test(`${name}: messages the handler rejects are dead-lettered one by one with their reasons; the rest of the batch is acknowledged`, async (t) => {
    const { bus, topic, group } = await fresh(t, 'rejects');
    const dlq = `${topic}.dlq`;
    await bus.publish(topic, messages(10, 'j'));
    const handled = new Map<string, number>();
    const sub = await bus.subscribe({
      topic,
      group,
      handler: async (batch) => {
        for (const m of batch) handled.set(idOf(m), (handled.get(idOf(m)) ?? 0) + 1);
        return batch.filter((m) => idOf(m) === 'j-3' || idOf(m) === 'j-7').map((message) => ({ message, reason: `invalid_field /time: ${idOf(message)}` }));
      },
    });
    t.after(() => sub.close());
    await wait('everything acknowledged', async () => (handled.size === 10 && (await bus.lag(topic, group)) === 0 ? true : undefined));
    const dead = await wait('the rejected messages dead-lettered', async () => {
      const got = await bus.read(dlq);
      return got.length >= 2 ? got : undefined;
    });
    assert.deepEqual(dead.map((m) => [idOf(m), m.headers[DLQ_HEADERS.reason], m.headers[DLQ_HEADERS.attempts]]).sort(), [
      ['j-3', 'invalid_field /time: j-3', '1'],
      ['j-7', 'invalid_field /time: j-7', '1'],
    ]);
    assert.equal(dead[0]!.headers['x-seq'] !== undefined, true, 'original headers are kept');
    assert.ok([...handled.values()].every((n) => n === 1), 'the batch was not retried');
  });

  test(`${name}: reading a topic nobody wrote to returns nothing`, async (t) => {
    const bus = await makeBus();
    t.after(() => bus.close());
    assert.deepEqual(await bus.read(uniqueName('never-written')), []);
  });
}
