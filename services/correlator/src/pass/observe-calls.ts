import { isCluster, type RedisClient } from '@repute/store';
import { stateKeys, wordField } from '@repute/verdicts';
import { OBSERVE_BATCH_SCRIPT } from '../state/observe-script.ts';
import type { IndicatorEvents } from './by-indicator.ts';

/** Width of the dedup sets, in event time. */
const DEDUP_BUCKET_MS = 60_000;
// Events per script call: a call holds Redis for its duration, and the edge's lookups wait
// behind it; 1000 events is about a millisecond of server time.
export const CHUNK_EVENTS = 1000;

interface ObserveCommands {
  reputeObserveBatch(...args: (string | number)[]): Promise<unknown>;
}

export interface ScriptCall {
  keys: string[];
  /** Per indicator, in the script's ARGV[1] layout. */
  indicators: (string | number | number[])[][];
  items: IndicatorEvents[];
  events: number;
}

/** The state script's calls: its KEYS and ARGV layout and its replies are known here alone. */
export interface ObserveCalls {
  pack(entries: IndicatorEvents[]): ScriptCall[];
  /** Per call, one reply per indicator of it (see `readReply`). */
  run(calls: ScriptCall[]): Promise<unknown[][]>;
}

export function observeCalls(redis: RedisClient, prefix: string, ttlSeconds: number, now: () => number): ObserveCalls {
  redis.defineCommand('reputeObserveBatch', { lua: OBSERVE_BATCH_SCRIPT });
  const commands = redis as unknown as ObserveCommands;
  return {
    pack(entries) {
      const nowS = Math.floor(now() / 1000);
      const calls: ScriptCall[] = [];
      let call: ScriptCall | undefined;
      // On a cluster every indicator is its own call: its keys share one hash tag, hence one slot.
      const perIndicator = isCluster(redis);
      for (const entry of entries) {
        if (call === undefined || call.events >= CHUNK_EVENTS || perIndicator) {
          call = { keys: [], indicators: [], items: [], events: 0 };
          calls.push(call);
        }
        const k = stateKeys(prefix, entry.ref.key);
        const minutes = new Map<number, number>();
        const expireAts: number[] = [];
        const packed: (string | number | number[])[] = [entry.ref.value, expireAts];
        for (const { o, subject, detected, hash } of entry.events) {
          const minute = Math.floor(o.time / DEDUP_BUCKET_MS);
          let set = minutes.get(minute);
          if (set === undefined) minutes.set(minute, (set = minutes.size + 1));
          const d = detected ? o.detection : undefined;
          // Sensors are the tenant's own names: counted within their tenant, so one tenant's
          // invented sensor ids are never somebody else's.
          packed.push(set, hash, `${o.tenant}/${o.sensor}`, o.tenant, String(o.time), subject && o.signed ? 1 : 0,
            d === undefined ? '' : wordField(d.source, o.tenant, d.engine),
            d === undefined ? '' : `${d.category}|${o.trusted ? 1 : 0}`);
        }
        call.keys.push(k.state, k.sensors, k.tenants);
        // A set outlives its minute by the dedup window, counted from now for old events.
        for (const minute of minutes.keys()) {
          call.keys.push(k.dedup(minute));
          expireAts.push(Math.max(Math.ceil(((minute + 1) * DEDUP_BUCKET_MS) / 1000), nowS) + ttlSeconds);
        }
        call.indicators.push(packed);
        call.items.push(entry);
        call.events += entry.events.length;
      }
      return calls;
    },

    async run(calls) {
      const observeBatch = (c: ScriptCall, on: ObserveCommands) =>
        on.reputeObserveBatch(c.keys.length, ...c.keys, JSON.stringify(c.indicators));
      if (isCluster(redis)) return await Promise.all(calls.map((c) => observeBatch(c, commands) as Promise<unknown[]>));
      const pipeline = redis.pipeline() as unknown as ObserveCommands & {
        exec(): Promise<[Error | null, unknown][] | null>;
      };
      for (const c of calls) void observeBatch(c, pipeline);
      const replies = (await pipeline.exec()) ?? [];
      return replies.map(([err, reply]) => {
        if (err !== null) throw err;
        return reply as unknown[];
      });
    },
  };
}

/**
 * Marks an indicator's events applied (new) or refused from its reply, and returns the state
 * the script left (HGETALL, as written): the reply carries it so the pass needs no second read.
 */
export function readReply(entry: IndicatorEvents, reply: unknown): unknown {
  const r = reply as unknown[];
  const flags = String(r[0]);
  entry.events.forEach((e, j) => {
    if (flags[j] === '1') e.o.applied = true;
    else if (flags[j] === 'x') {
      e.o.refused = `the state script refused its values for ${entry.ref.kind} ${entry.ref.digest}`;
    }
  });
  return r[1];
}
