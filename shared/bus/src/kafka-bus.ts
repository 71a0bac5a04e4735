import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import type { Admin, Consumer, Kafka as KafkaClient, Message, Producer } from 'kafkajs';
import { BusError } from './errors.ts';
import { abortableDelay, deadLetterUndecodable, deliver, type DeliveryHooks } from './deliver.ts';
import { compressionType, type KafkaCompression } from './kafka-compression.ts';
import { decodeRecord } from './kafka-record.ts';
import { provisionTopic } from './kafka-topic.ts';
import { keyPartitioner } from './key-partitioner.ts';
import type { BusLogger } from './log.ts';
import type { Bus, BusMessage, OutgoingMessage, SubscribeOptions, Subscription } from './types.ts';
import type { Undecodable } from './undecodable.ts';

const { Kafka, logLevel } = kafkajs;

export interface KafkaBusOptions {
  brokers: string[];
  clientId?: string;
  /** Partitions of topics this bus creates (default 6). */
  partitions?: number;
  /** Replication factor of topics this bus creates (default 1; 3 on a real cluster). */
  replicationFactor?: number;
  /**
   * min.insync.replicas of topics this bus creates, and the least it leaves on an existing
   * topic (default 1): with acks=all a write needs this many in-sync replicas, so 2 with
   * replication factor 3 survives one broker lost without acknowledging writes only one
   * broker holds.
   */
  minInSyncReplicas?: number;
  /** A publish that is not acknowledged within this time fails (default 10 s). */
  publishTimeoutMs?: number;
  /** Consumer session timeout (default 10 s): how long a dead consumer holds its partitions. */
  sessionTimeoutMs?: number;
  /**
   * Record batch compression of published messages (default none); consumers read any. With
   * broker and service on one 2-core host, compression costs more CPU than the bytes it saves:
   * HTTP ingest of 1,000-event batches measured 113k events/s uncompressed (9.2 µs CPU per
   * event), 89k with zstd (10.7 µs), 73k with gzip (13.5 µs), and consumers read 243k/s against
   * 120k (bench/ingest.ts in services/ingest). Across a real network zstd is the choice.
   */
  compression?: KafkaCompression;
  log: BusLogger;
}

interface Pending {
  topic: string;
  messages: Message[];
  /** Key, value and header bytes of the messages (before compression). */
  bytes: number;
  resolve(): void;
  reject(err: unknown): void;
}

// Publishes from concurrent requests are coalesced into one produce request while the previous
// one is in flight: batching without adding linger latency. A produce request stays under this
// many bytes of keys, values and headers, so that no partition's record batch can reach the
// broker's message.max.bytes (1 MiB by default), which uncompressed 20,000-event batches did
// (MESSAGE_TOO_LARGE). It also keeps kafkajs' per-partition grouping, whose cost grows with the
// batch, cheap: 5.6 µs of CPU per event at 2,000 events per request, 8.0 µs at 10,000.
const MAX_PRODUCE_BYTES = 512 * 1024;
// Allowance per record for its framing (length, attributes, deltas, header counts).
const RECORD_OVERHEAD_BYTES = 24;

function sizeOf(message: OutgoingMessage): number {
  let bytes = RECORD_OVERHEAD_BYTES + Buffer.byteLength(message.key) + (typeof message.value === 'string' ? Buffer.byteLength(message.value) : message.value.length);
  if (message.headers !== undefined) {
    for (const name in message.headers) bytes += 8 + Buffer.byteLength(name) + Buffer.byteLength(message.headers[name]!);
  }
  return bytes;
}

/** Whether a kafkajs error (or one it wraps) says the topic does not exist. */
function unknownTopic(err: unknown): boolean {
  for (let e = err as { type?: unknown; cause?: unknown } | undefined, depth = 0; e !== undefined && e !== null && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
  }
  return false;
}

// Right after a broker (re)starts, group coordinators answer "loading" for a moment.
async function retriable<T>(fn: () => Promise<T>, attempts = 20, worthRetrying: (err: unknown) => boolean = () => true): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || (err as { retriable?: unknown }).retriable !== true || !worthRetrying(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * i, 1_000)));
    }
  }
}

/**
 * The bus on Apache Kafka through kafkajs: an idempotent producer with acks=all (kafkajs then
 * sends one produce request per broker at a time, whatever maxInFlightRequests says, which
 * keeps each partition in order), optional zstd or gzip compression, messages keyed by the primary
 * indicator's digest, consumer groups that commit an offset only after the handler finished.
 */
export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  readonly #kafka: KafkaClient;
  readonly #opts: Required<Omit<KafkaBusOptions, 'log' | 'clientId'>> & { log: BusLogger };
  #producer: Producer;
  #producerReady: Promise<void> | undefined;
  #admin: Admin | undefined;
  #adminReady: Promise<Admin> | undefined;
  readonly #topics = new Map<string, Promise<void>>();
  readonly #queue: Pending[] = [];
  #sending = false;
  readonly #subscriptions = new Set<Subscription>();
  #closed = false;
  readonly #compression: number;

  constructor(options: KafkaBusOptions) {
    this.#opts = {
      partitions: 6,
      replicationFactor: 1,
      minInSyncReplicas: 1,
      publishTimeoutMs: 10_000,
      sessionTimeoutMs: 10_000,
      compression: 'none',
      ...options,
    };
    this.#compression = compressionType(this.#opts.compression);
    const log = options.log;
    this.#kafka = new Kafka({
      clientId: options.clientId ?? 'repute',
      brokers: options.brokers,
      connectionTimeout: 3_000,
      logLevel: logLevel.WARN,
      logCreator: () => ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        if (level <= logLevel.ERROR) log.warn({ kafka: rest }, String(message));
        else log.debug({ kafka: rest }, String(message));
      },
      retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 5 },
    });
    this.#producer = this.#newProducer();
  }

  #newProducer(): Producer {
    return this.#kafka.producer({
      idempotent: true,
      // kafkajs keeps ordering with the idempotent producer only with one request in flight.
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Same partition choice as kafkajs' DefaultPartitioner (Java-compatible murmur2), at a
      // fraction of its CPU: see key-partitioner.ts.
      createPartitioner: keyPartitioner,
      // Finite retries so that a dead broker becomes a 503 instead of a request that never ends;
      // a retried publish may duplicate, which the event-id dedup downstream absorbs.
      retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
    });
  }

  get #log(): BusLogger {
    return this.#opts.log;
  }

  #check(): void {
    if (this.#closed) throw new BusError('REPUTE_BUS_CLOSED', 'the bus is closed', { retriable: false });
  }

  async #adminClient(): Promise<Admin> {
    this.#adminReady ??= (async () => {
      const admin = this.#kafka.admin({ retry: { retries: 2, initialRetryTime: 100 } });
      this.#admin = admin;
      await admin.connect();
      return admin;
    })().catch((err: unknown) => {
      this.#adminReady = undefined;
      throw err;
    });
    return await this.#adminReady;
  }

  /**
   * Creates the topic (configured partitions, replication factor, min ISR) when it does not
   * exist; raises the min ISR of an existing one to the configured value (see kafka-topic.ts).
   */
  async ensureTopic(topic: string): Promise<void> {
    let done = this.#topics.get(topic);
    if (done === undefined) {
      done = (async () => {
        const spec = { partitions: this.#opts.partitions, replicationFactor: this.#opts.replicationFactor, minInSyncReplicas: this.#opts.minInSyncReplicas };
        await provisionTopic(await this.#adminClient(), topic, spec, this.#log);
      })();
      this.#topics.set(topic, done);
      done.catch(() => this.#topics.delete(topic));
    }
    await done;
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.#check();
    if (messages.length === 0) return;
    // An OutgoingMessage is already a kafkajs Message (key, value, headers); kafkajs reads it
    // without changing it, so no per-message copy. A publish larger than one produce request
    // goes as several, in order; it resolves once every one of them was acknowledged.
    const parts: Promise<void>[] = [];
    let start = 0;
    let bytes = 0;
    const queue = (end: number): void => {
      const part: Message[] = messages.slice(start, end);
      const size = bytes;
      parts.push(new Promise<void>((resolve, reject) => this.#queue.push({ topic, messages: part, bytes: size, resolve, reject })));
      start = end;
      bytes = 0;
    };
    for (let i = 0; i < messages.length; i++) {
      const size = sizeOf(messages[i]!);
      if (i > start && bytes + size > MAX_PRODUCE_BYTES) queue(i);
      bytes += size;
    }
    queue(messages.length);
    this.#pump();
    const sent = parts.length === 1 ? parts[0]! : Promise.all(parts);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BusError('REPUTE_BUS_UNAVAILABLE', `kafka publish not acknowledged within ${this.#opts.publishTimeoutMs} ms`)), this.#opts.publishTimeoutMs);
    });
    try {
      await Promise.race([sent, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #pump(): void {
    if (this.#sending || this.#queue.length === 0) return;
    this.#sending = true;
    const batch: Pending[] = [];
    let bytes = 0;
    while (this.#queue.length > 0 && (batch.length === 0 || bytes + this.#queue[0]!.bytes <= MAX_PRODUCE_BYTES)) {
      const next = this.#queue.shift()!;
      bytes += next.bytes;
      batch.push(next);
    }
    this.#send(batch)
      .then(
        () => { for (const p of batch) p.resolve(); },
        (err: unknown) => {
          const wrapped = err instanceof BusError ? err : new BusError('REPUTE_BUS_UNAVAILABLE', 'kafka did not acknowledge the publish', { cause: err });
          for (const p of batch) p.reject(wrapped);
        },
      )
      .finally(() => {
        this.#sending = false;
        this.#pump();
      });
  }

  async #send(batch: Pending[]): Promise<void> {
    const producer = this.#producer;
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BusError('REPUTE_BUS_UNAVAILABLE', 'kafka produce request stuck')), this.#opts.publishTimeoutMs * 2);
    });
    try {
      await Promise.race([this.#sendWith(producer, batch), stuck]);
    } catch (err) {
      // A produce request that never settles (seen across broker restarts) would block every
      // later publish behind it: drop that producer and start a fresh one.
      if (err instanceof BusError && this.#producer === producer) {
        this.#log.warn({}, 'replacing a stuck kafka producer');
        this.#producer = this.#newProducer();
        this.#producerReady = undefined;
        void producer.disconnect().catch(() => {});
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async #sendWith(producer: Producer, batch: Pending[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) {
      const list = byTopic.get(p.topic);
      if (list === undefined) byTopic.set(p.topic, p.messages.slice());
      else for (const m of p.messages) list.push(m);
    }
    await Promise.all([...byTopic.keys()].map((t) => this.ensureTopic(t)));
    this.#producerReady ??= producer.connect().catch((err: unknown) => {
      this.#producerReady = undefined;
      throw err;
    });
    await this.#producerReady;
    await producer.sendBatch({
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      acks: -1,
      compression: this.#compression,
      timeout: this.#opts.publishTimeoutMs,
    });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.#check();
    await this.ensureTopic(options.topic);
    const consumer: Consumer = this.#kafka.consumer({
      groupId: options.group,
      sessionTimeout: this.#opts.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(this.#opts.sessionTimeoutMs / 5)),
      rebalanceTimeout: this.#opts.sessionTimeoutMs * 2,
      // A fetch waits up to 25 ms for 256 KB: a trickle then comes in a few batches a second of
      // a partition instead of one per message, each with its fixed costs (a commit, a
      // round of scripts, a share of an insert), for at most 25 ms of latency.
      minBytes: 256 * 1024,
      maxWaitTimeInMs: 25,
      // kafkajs's 1 MB a partition caps a fetch at a few thousand telemetry events, well under
      // the batch a handler asks for; a backlog is then worked off in many small batches, each
      // with its fixed costs (a ClickHouse insert, a round of scripts).
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      allowAutoTopicCreation: false,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
    const batchSize = options.batchSize ?? 500;
    const depth = Math.max(1, options.maxBatchesInFlight ?? 1);
    const budget = Math.max(1, options.maxMessagesInFlight ?? Number.POSITIVE_INFINITY);
    const stop = new AbortController();
    const killed = new AbortController();
    let aborted = false;
    const log = this.#opts.log;
    // Per partition: the batches in flight and the end of its chain of commits. A batch's offset
    // is resolved as soon as its handler starts, so kafkajs fetches on while it runs; commits
    // follow the handlers in offset order, so a crash redelivers only what no commit covers.
    const lanes = new Map<number, { running: Set<Promise<void>>; committed: Promise<void>; newest: object }>();
    const everything = new Set<Promise<void>>();
    let messagesInFlight = 0;
    const ABORTED = Symbol('aborted');
    await consumer.connect();
    await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: depth,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        let lane = lanes.get(batch.partition);
        if (lane === undefined) lanes.set(batch.partition, (lane = { running: new Set(), committed: Promise.resolve(), newest: {} }));
        const all = batch.messages;
        for (let start = 0; start < all.length; start += batchSize) {
          const slice = all.slice(start, start + batchSize);
          // Back-pressure: this partition's batches in flight, and the messages of all of them.
          while ((lane.running.size >= depth || (messagesInFlight > 0 && messagesInFlight + slice.length > budget)) && everything.size > 0) {
            await Promise.race(lane.running.size >= depth ? lane.running : everything);
          }
          if (aborted || stop.signal.aborted || !isRunning() || isStale()) return;
          const messages: BusMessage[] = [];
          const undecodable: Undecodable[] = [];
          for (const m of slice) {
            const decoded = decodeRecord(batch.topic, batch.partition, m);
            if ('reason' in decoded) undecodable.push(decoded);
            else messages.push(decoded);
          }
          const last = slice.at(-1)!.offset;
          const hooks: DeliveryHooks = {
            wait: async (ms) => {
              await heartbeat().catch(() => {});
              return await abortableDelay(ms, stop.signal);
            },
            aborted: () => aborted,
            abortSignal: killed.signal,
            deadLetter: (topic, dead) => this.publish(topic, dead),
            log,
          };
          // A record that cannot be decoded is dead-lettered and committed with the rest.
          const handled = (async () => {
            await deadLetterUndecodable(undecodable, options, hooks);
            return messages.length > 0 ? await deliver(messages, options, hooks) : 'handled';
          })();
          const previous = lane.committed;
          const mine = {};
          lane.newest = mine;
          const committed = (async () => {
            if ((await handled) === 'aborted') throw ABORTED;
            // An aborted batch before this one breaks the chain: nothing after it is committed.
            await previous;
            // A later batch of the partition is queued behind this one and commits past it.
            if (lane.newest !== mine) return;
            try {
              // The committed offset is the next one to read.
              await commitOffsetsIfNecessary({
                topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] }],
              });
            } catch (err) {
              // The handler did finish: a later commit covers this batch, or a rebalance
              // hands the partition on from the last commit that did land.
              log.warn({ err, topic: batch.topic, partition: batch.partition }, 'kafka offset commit failed');
            }
          })();
          lane.committed = committed;
          const settled = committed.then(() => {}, () => {});
          const running = lane.running;
          running.add(settled);
          everything.add(settled);
          messagesInFlight += slice.length;
          void settled.then(() => {
            running.delete(settled);
            everything.delete(settled);
            messagesInFlight -= slice.length;
          });
          resolveOffset(last);
        }
        await heartbeat();
      },
    });
    const leave = async (): Promise<void> => {
      // With the broker gone, leaving the group can wait forever; the session timeout frees
      // the partitions anyway.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        consumer.disconnect().catch((err: unknown) => log.warn({ err }, 'kafka consumer disconnect failed')),
        new Promise<void>((resolve) => { timer = setTimeout(resolve, this.#opts.sessionTimeoutMs); }),
      ]);
      clearTimeout(timer);
      this.#subscriptions.delete(subscription);
    };
    const subscription: Subscription = {
      close: async () => {
        stop.abort();
        // The batches in hand finish and are committed before the group is left.
        await Promise.allSettled([...everything]);
        await leave();
      },
      abort: async () => {
        aborted = true;
        killed.abort();
        stop.abort();
        await Promise.allSettled([...everything]);
        await leave();
      },
    };
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async lag(topic: string, group: string): Promise<number> {
    const admin = await this.#adminClient();
    let ends: Awaited<ReturnType<Admin['fetchTopicOffsets']>>;
    let committed: Awaited<ReturnType<Admin['fetchOffsets']>>;
    try {
      [ends, committed] = await retriable(async () => {
        // Both settle before this returns: a request left running after one failed would go on
        // retrying, and reconnect, after the bus was closed.
        const [e, c] = await Promise.allSettled([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: group, topics: [topic] })]);
        if (e.status === 'rejected') throw e.reason;
        if (c.status === 'rejected') throw c.reason;
        return [e.value, c.value] as const;
      }, 20, (err) => !unknownTopic(err));
    } catch (err) {
      // As on Redis Streams, a topic nobody wrote to has nothing left to consume.
      if (unknownTopic(err)) return 0;
      throw err;
    }
    const done = new Map<number, bigint>();
    for (const t of committed) for (const p of t.partitions) done.set(p.partition, BigInt(p.offset));
    let lag = 0n;
    for (const end of ends) {
      // What lies below the low watermark was deleted (retention, deleteRecords) and will never
      // be read: a group committed below it, or not at all, has only [low, high) left.
      const low = BigInt(end.low);
      const at = done.get(end.partition) ?? -1n;
      const behind = BigInt(end.high) - (at > low ? at : low);
      if (behind > 0n) lag += behind;
    }
    return Number(lag);
  }

  async ready(): Promise<boolean> {
    if (this.#closed) return false;
    try {
      const admin = await this.#adminClient();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), 2_000);
      });
      try {
        const cluster = await Promise.race([admin.describeCluster(), timeout]);
        return cluster.brokers.length > 0;
      } finally {
        clearTimeout(timer);
      }
    } catch {
      return false;
    }
  }

  async read(topic: string, options: { from?: string; limit?: number } = {}): Promise<BusMessage[]> {
    const limit = options.limit ?? 1000;
    const admin = await this.#adminClient();
    let ends: Awaited<ReturnType<Admin['fetchTopicOffsets']>>;
    try {
      ends = await admin.fetchTopicOffsets(topic);
    } catch (err) {
      // As on Redis Streams, a topic nobody wrote to yet reads as empty.
      if (unknownTopic(err)) return [];
      throw err;
    }
    const remaining = new Map(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]));
    if (remaining.size === 0) return [];
    // A throwaway group reads from the start without touching any real group's offsets.
    const groupId = `repute-read-${randomBytes(6).toString('hex')}`;
    const consumer = this.#kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
    const out: BusMessage[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => resolve(), 15_000);
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const end = remaining.get(partition);
              if (end === undefined || out.length >= limit) return;
              const m = decodeRecord(topic, partition, message);
              // A tool reading the topic sees an undecodable record too, with what could be read of it.
              out.push('reason' in m ? { topic, id: m.id, key: m.key, value: m.value, headers: {} } : m);
              if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
              if (remaining.size === 0 || out.length >= limit) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => {});
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : 1)).slice(0, limit);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await Promise.allSettled([...this.#subscriptions].map((s) => s.close()));
    this.#closed = true;
    await Promise.allSettled([this.#producer.disconnect(), this.#admin?.disconnect()]);
  }
}
