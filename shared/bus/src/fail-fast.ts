import { setTimeout as delay } from 'node:timers/promises';
import { BusError, isBusError } from './errors.ts';
import { silentLogger, type BusLogger } from './log.ts';
import type { Bus } from './types.ts';

export interface FailFastOptions {
  /** First pause between probes once the bus is down (default 100 ms); it doubles per probe. */
  minProbeIntervalMs?: number;
  /** Longest pause between probes (default 1 s). */
  maxProbeIntervalMs?: number;
  /** A probe not answered by then counts as a failure (default 2 s). */
  probeTimeoutMs?: number;
  /** Ends the probing without closing the bus: for a bus its caller shares with others. */
  signal?: AbortSignal;
  log?: BusLogger;
}

/**
 * Wraps a bus so that, once it is known down, publishes are refused at once instead of each
 * waiting out the publish timeout. It is known down after a publish failed as unavailable
 * (REPUTE_BUS_UNAVAILABLE) or `ready()` said false; from then on `publish` throws a retriable
 * REPUTE_BUS_UNAVAILABLE without touching the broker and `ready()` answers false, while a
 * probe asks the broker (`ready()` of the wrapped bus) with a back-off doubling up to
 * `maxProbeIntervalMs`, and marks it up again when it answers.
 *
 * Only publishes not yet begun are refused: one already handed to the broker runs to its end,
 * and its caller hears how it ended. Subscriptions, `lag` and `read` pass through.
 */
export function failFastWhileDown(bus: Bus, options: FailFastOptions = {}): Bus {
  const minPause = options.minProbeIntervalMs ?? 100;
  const maxPause = options.maxProbeIntervalMs ?? 1_000;
  const probeTimeout = options.probeTimeoutMs ?? 2_000;
  const log = options.log ?? silentLogger;
  const closed = new AbortController();
  const stopped = options.signal === undefined ? closed.signal : AbortSignal.any([closed.signal, options.signal]);
  let down: { since: number; reason: unknown } | undefined;

  // Unreferenced timers: probing alone does not keep a process alive.
  const answers = async (): Promise<boolean> => {
    const late = new AbortController();
    try {
      return await Promise.race([bus.ready().catch(() => false), delay(probeTimeout, false, { signal: late.signal, ref: false })]);
    } finally {
      late.abort();
    }
  };
  let probing = false;
  const probe = async (): Promise<void> => {
    if (probing) return;
    probing = true;
    try {
      for (let wait = minPause; down !== undefined && !stopped.aborted; wait = Math.min(wait * 2, maxPause)) {
        await delay(wait, undefined, { signal: stopped, ref: false }).catch(() => {});
        if (!stopped.aborted && await answers()) markUp();
      }
    } finally {
      probing = false;
    }
  };
  const markDown = (reason: unknown): void => {
    if (down !== undefined || stopped.aborted) return;
    down = { since: Date.now(), reason };
    log.warn({ err: reason }, 'bus unavailable: publishes are refused at once until it answers again');
    void probe();
  };
  const markUp = (): void => {
    if (down === undefined) return;
    log.info({ downForMs: Date.now() - down.since }, 'bus available again');
    down = undefined;
  };

  return {
    kind: bus.kind,
    async publish(topic, messages) {
      if (down !== undefined && messages.length > 0) {
        throw new BusError('REPUTE_BUS_UNAVAILABLE', `the ${bus.kind} bus has been unavailable for ${Date.now() - down.since} ms; nothing was sent`, { cause: down.reason });
      }
      try {
        await bus.publish(topic, messages);
      } catch (err) {
        // A refusal (REPUTE_BUS_PUBLISH_FAILED) comes from a broker that answers: not an outage.
        if (isBusError(err) && err.code === 'REPUTE_BUS_UNAVAILABLE') markDown(err);
        throw err;
      }
      // A publish begun before an outage was noticed that still got through: the broker is back.
      markUp();
    },
    subscribe: (options) => bus.subscribe(options),
    lag: (topic, group) => bus.lag(topic, group),
    async ready() {
      if (down !== undefined) return false;
      const ready = await bus.ready();
      if (!ready) markDown(new Error('the bus did not answer its health probe'));
      return ready;
    },
    read: (topic, options) => bus.read(topic, options),
    async close() {
      closed.abort();
      await bus.close();
    },
  };
}
