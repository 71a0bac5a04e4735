import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SliceScheduler, wholeLoop } from '../src/lookup/slice-scheduler.ts';

/** Records the ranges a loop ran, and checks they cover [0, n) once, in order. */
function ranges(): { work: (from: number, to: number) => void; covered: (n: number) => void; seen: [number, number][] } {
  const seen: [number, number][] = [];
  return {
    seen,
    work: (from, to) => { seen.push([from, to]); },
    covered: (n) => {
      let next = 0;
      for (const [from, to] of seen) {
        assert.equal(from, next);
        assert.ok(to > from);
        next = to;
      }
      assert.equal(next, n);
    },
  };
}

test('a loop that fits one slice runs at once, in chunks, without a promise', () => {
  const scheduler = new SliceScheduler({ sliceMs: 1000, chunkItems: 10 });
  const r = ranges();
  assert.equal(scheduler.slicer()(25, r.work), undefined);
  assert.deepEqual(r.seen, [[0, 10], [10, 20], [20, 25]]);
  assert.equal(wholeLoop(25, (from, to) => assert.deepEqual([from, to], [0, 25])), undefined);
});

test('a long loop hands the event loop back between slices', async () => {
  const scheduler = new SliceScheduler({ sliceMs: 0, chunkItems: 10 });
  const r = ranges();
  let turnsBetween = 0;
  const other = (): void => {
    turnsBetween++;
    if (r.seen.length < 10) setImmediate(other);
  };
  setImmediate(other);
  const done = scheduler.slicer()(100, r.work);
  assert.ok(done instanceof Promise);
  // The first chunk ran at once (nothing was queued); the rest, one chunk per turn.
  assert.deepEqual(r.seen, [[0, 10]]);
  await done;
  r.covered(100);
  assert.ok(turnsBetween >= 5, `other callbacks ran between slices (${turnsBetween})`);
  assert.equal(scheduler.waiting, 0);
});

test("the older request's loops run first, even a loop it starts after a newer one queued", async () => {
  const scheduler = new SliceScheduler({ sliceMs: 0, chunkItems: 1 });
  const older = scheduler.slicer();
  const newer = scheduler.slicer();
  const log: string[] = [];
  const first = older(3, (from) => { log.push(`older-a ${from}`); });
  const second = newer(3, (from) => { log.push(`newer ${from}`); });
  assert.equal(scheduler.waiting, 2);
  // The older request's next loop (its answer after the preparation, say) goes before the newer's.
  const third = first!.then(() => older(2, (from) => { log.push(`older-b ${from}`); }));
  await Promise.all([first, second, third]);
  assert.deepEqual(log, ['older-a 0', 'older-a 1', 'older-a 2', 'older-b 0', 'older-b 1', 'newer 0', 'newer 1', 'newer 2']);
});

test('a loop queues behind waiting loops instead of running at once', async () => {
  const scheduler = new SliceScheduler({ sliceMs: 0, chunkItems: 1 });
  const long = scheduler.slicer()(2, () => {});
  // With a loop waiting, even a short one waits for its turn.
  let ran = false;
  const short = scheduler.slicer()(1, () => { ran = true; });
  assert.ok(short instanceof Promise);
  assert.equal(ran, false);
  await Promise.all([long, short]);
  assert.equal(ran, true);
  assert.equal(scheduler.slicer()(1, () => {}), undefined);
});

test('an error rejects its loop only; the others still run', async () => {
  const scheduler = new SliceScheduler({ sliceMs: 0, chunkItems: 1 });
  const r = ranges();
  const failing = scheduler.slicer()(5, (from) => {
    if (from === 2) throw new Error('item 2');
  });
  const fine = scheduler.slicer()(4, r.work);
  await assert.rejects(failing!, /item 2/);
  await fine;
  r.covered(4);
  assert.throws(() => scheduler.slicer()(1, () => { throw new Error('at once'); }), /at once/);
});
