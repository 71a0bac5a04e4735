import { fork, type ChildProcess } from 'node:child_process';
import { ipcChannel, type EngineChannel } from '@repute/analytics';
import type { LauncherConfig } from './config.ts';
import { isMessage, type FromCorrelator, type ToCorrelator } from './correlator-messages.ts';
import { followChild } from './child-exit.ts';
import { describeExit, type RedisProcess } from './redis-process.ts';
import { superviseRedis } from './redis-supervisor.ts';

export interface CorrelatorProcessOptions {
  /** The launcher's configuration with its Redis filled in; the process runs on exactly this. */
  config: LauncherConfig;
  log: (line: string) => void;
  /** It died and could not be started again: the system cannot score and should stop. */
  onLost: (err: Error) => void;
  restartDelaysMs?: readonly number[];
  stableMs?: number;
}

/** The correlator and the embedded ClickHouse engine in a child process, kept running until `stop()`. */
export interface CorrelatorProcess {
  /** The channel to the engine's process now; undefined while it is being started again. */
  channel(): EngineChannel | undefined;
  /** The process's own readiness (its bus, Redis and ClickHouse), for the launcher's /readyz. */
  readiness(): Promise<{ ok: boolean; detail?: string }>;
  /** Its metrics registry in the Prometheus text format; empty while it is being started again. */
  metrics(): Promise<string>;
  pid(): number | undefined;
  /** Stops it in order (the batch in hand finished and acknowledged) for good. */
  stop(): Promise<void>;
}

/** One run of the correlator process. */
interface CorrelatorRun extends RedisProcess {
  readonly channel: EngineChannel;
  ask(message: ToCorrelator & { id: number }): Promise<FromCorrelator | undefined>;
}

// Startup runs the migrations and opens chDB, a few seconds on a cold disk.
const START_TIMEOUT_MS = 120_000;
// Within the launcher's own hard limit on stopping (SHUTDOWN_DRAIN_MS + 30 s).
const STOP_GRACE_MS = 20_000;
const ASK_TIMEOUT_MS = 2_000;
// The source tree runs the .ts entry; a built one its .js.
const ENTRY = new URL(`./correlator-process${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

let nextId = 1;

async function spawnCorrelator(config: LauncherConfig): Promise<CorrelatorRun> {
  // Detached, in a process group of its own like redis-server: a terminal's Ctrl-C reaches only
  // the launcher, which stops the correlator after the services that read its engine. The
  // advanced serialization carries Buffers (ClickHouse bodies) as bytes.
  const child: ChildProcess = fork(ENTRY, [], { detached: true, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { exited, ended } = followChild(child, 'exit', () => '');

  const waiting = new Map<number, (answer: FromCorrelator | undefined) => void>();
  child.on('message', (message: unknown) => {
    if (!isMessage<FromCorrelator>(message) || !('id' in message)) return;
    waiting.get(message.id)?.(message);
  });
  void exited.then(() => { for (const answer of waiting.values()) answer(undefined); });
  const send = (message: ToCorrelator): void => {
    if (child.connected) child.send(message, () => {});
  };
  const ask = async (message: ToCorrelator & { id: number }): Promise<FromCorrelator | undefined> => {
    if (ended() !== undefined || !child.connected) return undefined;
    return await new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), ASK_TIMEOUT_MS);
      const done = (answer: FromCorrelator | undefined): void => {
        clearTimeout(timer);
        waiting.delete(message.id);
        resolve(answer);
      };
      waiting.set(message.id, done);
      send(message);
    });
  };

  const stop = async (): Promise<void> => {
    if (ended() !== undefined) return;
    if (child.connected) send({ type: 'stop' });
    else child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  const run: CorrelatorRun = { pid: child.pid ?? 0, exited, stop, channel: ipcChannel(child), ask };
  send({ type: 'start', config });
  let failure: string | undefined;
  const started = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), START_TIMEOUT_MS);
    const onMessage = (message: unknown): void => {
      if (!isMessage<FromCorrelator>(message)) return;
      if (message.type === 'start-failed') failure = message.message;
      if (message.type === 'started' || message.type === 'start-failed') finish(message.type === 'started');
    };
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(ok);
    };
    child.on('message', onMessage);
    void exited.then(() => finish(false));
  });
  if (!started) {
    await stop();
    const end = ended();
    const exit = end !== undefined ? describeExit(end) : `no answer within ${START_TIMEOUT_MS} ms`;
    throw new Error(`the correlator process did not start${failure !== undefined ? `: ${failure}` : ` (${exit})`}`);
  }
  return run;
}

/**
 * Starts the correlator, and with the embedded ClickHouse engine the engine too, in a process of
 * its own, and starts it again when it dies, as the private redis-server is (growing waits,
 * giving up after a row of failures through `onLost`). Events it had taken but not
 * acknowledged are delivered again to the next run, so none is lost.
 */
export async function startCorrelatorProcess(options: CorrelatorProcessOptions): Promise<CorrelatorProcess> {
  const supervisor = await superviseRedis({
    start: async () => await spawnCorrelator(options.config),
    log: options.log,
    onGiveUp: options.onLost,
    name: 'correlator process',
    ...(options.restartDelaysMs !== undefined ? { restartDelaysMs: options.restartDelaysMs } : {}),
    ...(options.stableMs !== undefined ? { stableMs: options.stableMs } : {}),
  });
  options.log(`correlator running in its own process (pid ${supervisor.current()?.pid})`);
  return {
    channel: () => supervisor.current()?.channel,
    async readiness() {
      const run = supervisor.current();
      if (run === undefined) return { ok: false, detail: 'the correlator process is being started again' };
      const answer = await run.ask({ type: 'readiness', id: nextId++ });
      if (answer?.type !== 'readiness') return { ok: false, detail: 'the correlator process did not answer' };
      return answer.detail !== undefined ? { ok: answer.ready, detail: answer.detail } : { ok: answer.ready };
    },
    async metrics() {
      const answer = await supervisor.current()?.ask({ type: 'metrics', id: nextId++ });
      return answer?.type === 'metrics' ? answer.text : '';
    },
    pid: () => supervisor.current()?.pid,
    stop: async () => await supervisor.stop(),
  };
}
