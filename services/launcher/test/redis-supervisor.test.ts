import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RedisExit, RedisProcess } from '../src/redis-process.ts';
import { superviseRedis } from '../src/redis-supervisor.ts';

/** A redis-server run the test ends at will. */
interface FakeProcess extends RedisProcess {
  die(exit?: Partial<RedisExit>): void;
  stopped: boolean;
}

let nextPid = 1000;
function fakeProcess(): FakeProcess {
  let end!: (exit: RedisExit) => void;
  const exited = new Promise<RedisExit>((resolve) => { end = resolve; });
  const proc: FakeProcess = {
    pid: nextPid++,
    exited,
    stopped: false,
    die: (exit = {}) => end({ code: null, signal: 'SIGKILL', output: '', ...exit }),
    stop: async () => {
      proc.stopped = true;
      end({ code: 0, signal: null, output: '' });
      await exited;
    },
  };
  return proc;
}

/** Starts that succeed or fail in the order given; `true` is a server that comes up. */
function starts(plan: boolean[]): { start: () => Promise<RedisProcess>; started: FakeProcess[]; calls: () => number } {
  const started: FakeProcess[] = [];
  let calls = 0;
  return {
    started,
    calls: () => calls,
    start: async () => {
      const ok = plan[calls++] ?? true;
      if (!ok) throw new Error('redis-server ended (exit code 1: Invalid AOF manifest file format)');
      const proc = fakeProcess();
      started.push(proc);
      return proc;
    },
  };
}

async function until(probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 1));
  }
}

test('a server that dies is started again, and a later death starts a new row once it ran long enough', async () => {
  const plan = starts([true, true, true]);
  const lines: string[] = [];
  let gaveUp = false;
  const supervisor = await superviseRedis({ start: plan.start, log: (l) => lines.push(l), onGiveUp: () => { gaveUp = true; }, restartDelaysMs: [1], stableMs: 0 });
  const first = supervisor.current()!;
  plan.started[0]!.die();
  await until(() => supervisor.current() !== undefined && supervisor.current() !== first);
  // One delay only, yet a second death restarts again: the first restart ran "long enough".
  plan.started[1]!.die();
  await until(() => plan.started.length === 3 && supervisor.current() === plan.started[2]);
  assert.equal(gaveUp, false);
  assert.match(lines[0]!, /redis-server exited \(killed by SIGKILL\); restarting/);
  await supervisor.stop();
  assert.equal(plan.started[2]!.stopped, true);
  assert.equal(supervisor.current(), undefined);
});

test('a row of failed restarts gives up once, with the last reason', async () => {
  const plan = starts([true, false, false, false]);
  const lines: string[] = [];
  const reasons: Error[] = [];
  const supervisor = await superviseRedis({ start: plan.start, log: (l) => lines.push(l), onGiveUp: (err) => reasons.push(err), restartDelaysMs: [1, 1, 1] });
  plan.started[0]!.die();
  await until(() => reasons.length > 0);
  assert.equal(plan.calls(), 4, 'the first start and three restarts');
  assert.equal(reasons.length, 1);
  assert.match(reasons[0]!.message, /Invalid AOF manifest/);
  assert.match(lines.at(-1)!, /could not be kept running \(3 restarts in a row\); giving up/);
  assert.equal(supervisor.current(), undefined);
  await supervisor.stop();
});

test('a server that keeps dying soon after each restart is a row of failures too', async () => {
  const plan = starts([true, true, true, true]);
  let gaveUp = false;
  await superviseRedis({ start: plan.start, log: () => {}, onGiveUp: () => { gaveUp = true; }, restartDelaysMs: [1, 1, 1], stableMs: 60_000 });
  for (let i = 0; i < 4; i++) {
    await until(() => plan.started.length > i);
    plan.started[i]!.die();
  }
  await until(() => gaveUp);
  assert.equal(plan.calls(), 4);
});

test('stop() during the wait before a restart starts nothing more and stops cleanly', async () => {
  const plan = starts([true, true]);
  let gaveUp = false;
  const lines: string[] = [];
  const supervisor = await superviseRedis({ start: plan.start, log: (l) => lines.push(l), onGiveUp: () => { gaveUp = true; }, restartDelaysMs: [60_000] });
  plan.started[0]!.die();
  await until(() => lines.length > 0);
  await supervisor.stop();
  assert.equal(plan.calls(), 1);
  assert.equal(gaveUp, false);
});

test('stop() is not a death: the stopped server is not started again', async () => {
  const plan = starts([true, true]);
  const supervisor = await superviseRedis({ start: plan.start, log: () => {}, onGiveUp: () => {}, restartDelaysMs: [1] });
  await supervisor.stop();
  await new Promise((r) => setImmediate(r));
  assert.equal(plan.calls(), 1);
  assert.equal(plan.started[0]!.stopped, true);
});
