import { describeExit, type RedisExit, type RedisProcess } from './redis-process.ts';

export interface RedisSupervisorOptions<P extends RedisProcess = RedisProcess> {
  /** Starts the server; rejects when it does not come up. */
  start(): Promise<P>;
  log(line: string): void;
  /** Called once when the server cannot be kept running; the owner should stop and exit non-zero. */
  onGiveUp(err: Error): void;
  /** The wait before each restart in a row; their number is the restarts tried before giving up. */
  restartDelaysMs?: readonly number[];
  /** How long a restarted server must run before its restarts stop counting as a row. */
  stableMs?: number;
  /** What the log lines call the process (the correlator's process is kept running the same way). */
  name?: string;
}

export interface RedisSupervisor<P extends RedisProcess = RedisProcess> {
  /** The running server; undefined while it is being restarted or after giving up. */
  current(): P | undefined;
  /** Stops supervising and stops the server; no restart follows. */
  stop(): Promise<void>;
}

// The server's data is on disk (AOF, fsync every second) and it starts in well under a second,
// so the first restart comes quickly; five failures in a row (about 8 s of waiting) mean it
// will not come back by itself, and an outer supervisor (systemd, a container runtime) is
// better placed to act than a launcher that would stay up answering not-ready.
const RESTART_DELAYS_MS = [250, 500, 1000, 2000, 4000];
// A server that runs this long was not crash-looping; the next failure starts a new row.
const STABLE_MS = 30_000;

/**
 * Keeps a redis-server running: started once (a failure there is the caller's), then started
 * again on the same port and data whenever it ends without `stop()`, with growing waits; after
 * a row of failed restarts it gives up and says so through `onGiveUp`.
 */
export async function superviseRedis<P extends RedisProcess = RedisProcess>(options: RedisSupervisorOptions<P>): Promise<RedisSupervisor<P>> {
  const delays = options.restartDelaysMs ?? RESTART_DELAYS_MS;
  const stableMs = options.stableMs ?? STABLE_MS;
  const name = options.name ?? 'redis-server';
  let server: P | undefined = await options.start();
  let upSince = Date.now();
  let failures = 0;
  let stopping = false;
  let restarting: Promise<void> | undefined;
  let cancelWait: (() => void) | undefined;

  const wait = async (ms: number): Promise<void> => {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      cancelWait = () => { clearTimeout(timer); resolve(); };
    });
    cancelWait = undefined;
  };

  const restart = async (exit: RedisExit): Promise<void> => {
    if (Date.now() - upSince >= stableMs) failures = 0;
    options.log(`${name} exited (${describeExit(exit)}); restarting it on the same data`);
    let lastError: Error = new Error(`${name} exited (${describeExit(exit)})`);
    while (!stopping) {
      if (failures >= delays.length) {
        options.log(`${name} could not be kept running (${failures} restarts in a row); giving up`);
        options.onGiveUp(lastError);
        return;
      }
      await wait(delays[failures]!);
      failures += 1;
      if (stopping) return;
      let next: P;
      try {
        next = await options.start();
      } catch (err) {
        lastError = err as Error;
        options.log(`${name} restart ${failures} of ${delays.length} failed: ${lastError.message}`);
        continue;
      }
      if (stopping) {
        await next.stop();
        return;
      }
      server = next;
      upSince = Date.now();
      watch(next);
      options.log(`${name} running again (pid ${next.pid})`);
      return;
    }
  };

  const watch = (proc: P): void => {
    void proc.exited.then((exit) => {
      if (stopping || server !== proc) return;
      server = undefined;
      restarting = restart(exit).finally(() => { restarting = undefined; });
    });
  };
  watch(server);

  return {
    current: () => server,
    async stop() {
      stopping = true;
      cancelWait?.();
      await restarting;
      await server?.stop();
      server = undefined;
    },
  };
}
