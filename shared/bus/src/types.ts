/** One message to publish. */
export interface OutgoingMessage {
  /** Partition key (Kafka) and ordering hint; for telemetry the primary indicator's digest. */
  key: string;
  value: Buffer | string;
  headers?: Record<string, string>;
}

/** One message as a consumer receives it. */
export interface BusMessage {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  /** Position in the topic: the stream entry id (Redis) or `<partition>:<offset>` (Kafka). */
  id: string;
}

/** A message its handler refuses for good, with the reason an operator reads in the dead letter. */
export interface RejectedMessage {
  message: BusMessage;
  reason: string;
}

export interface SubscribeOptions {
  topic: string;
  group: string;
  /** Consumer name within the group; unique per process when absent. */
  consumer?: string;
  /** Largest batch handed to the handler (default 500). */
  batchSize?: number;
  /**
   * Called with each batch. The batch is acknowledged (XACK / offset commit) only after this
   * resolves; a rejection retries the batch with back-off, then dead-letters it. Messages that
   * can never be handled (invalid content) are returned instead of failing the batch: they are
   * dead-lettered one by one with their reasons and the rest of the batch is acknowledged, so
   * one bad message neither holds back nor takes down its neighbours.
   */
  handler(batch: BusMessage[]): Promise<void | RejectedMessage[]>;
  /**
   * Batches whose handlers may run at once (default 1). Above 1 the next batch is fetched and
   * its handler started while earlier ones still run, so a handler that waits on one service
   * overlaps the next batch's work on another; batches are still acknowledged in order, each
   * once its own handler finished and every earlier batch was acknowledged, so a crash
   * redelivers only what is not. Handlers must then tolerate running concurrently. On Kafka
   * the order and the bound are per partition: up to this many batches of each partition,
   * their offsets committed in order.
   */
  maxBatchesInFlight?: number;
  /**
   * Messages of the batches in flight together at most (default unbounded): many small batches
   * may be in flight under a trickle, only a few large ones under a backlog. On Redis Streams a
   * read asks only for what the budget leaves; on Kafka a batch waits to start until it fits.
   */
  maxMessagesInFlight?: number;
  /** Attempts before a batch is dead-lettered (default 5). */
  maxAttempts?: number;
  /** Where failed batches go (default `<topic>.dlq`). */
  deadLetterTopic?: string;
  /** First retry delay; doubles per attempt up to 30 s (default 200 ms). */
  retryBackoffMs?: number;
}

export interface Subscription {
  /** Stops fetching, lets the batch in hand finish and be acknowledged, then leaves. */
  close(): Promise<void>;
  /**
   * Stops at once as a crashed process would: the batch in hand is never acknowledged, so it
   * is delivered again (to this group's other or next consumer).
   */
  abort(): Promise<void>;
}

/**
 * The bus. Delivery is at least once: a message is acknowledged only after its handler
 * finished, so a crash redelivers it, and consumers deduplicate by event id.
 */
export interface Bus {
  readonly kind: 'redis' | 'kafka';
  /** Resolves once the broker acknowledged every message; rejects with a BusError otherwise. */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Messages of `topic` not yet acknowledged by `group`. */
  lag(topic: string, group: string): Promise<number>;
  /** Whether the broker answers now. */
  ready(): Promise<boolean>;
  /** Reads (without consuming) the messages of a topic from its start, for tools such as the DLQ CLI. */
  read(topic: string, options?: { from?: string; limit?: number }): Promise<BusMessage[]>;
  close(): Promise<void>;
}

/** Headers the bus sets on a dead-lettered message. */
export const DLQ_HEADERS = {
  reason: 'x-dlq-reason',
  sourceTopic: 'x-dlq-source-topic',
  sourceGroup: 'x-dlq-source-group',
  sourceId: 'x-dlq-source-id',
  /** Handler attempts before it was dead-lettered; 0 when the bus could not decode it at all. */
  attempts: 'x-dlq-attempts',
  failedAt: 'x-dlq-failed-at',
  /**
   * Set on a message the bus could not decode: JSON of the source's fields as the broker held
   * them (Redis: the stream entry's fields other than `v`; Kafka: `key`, `headers`, and
   * `value: null` when it had none). A value
   * that is not UTF-8 is given as `{ "base64": … }`, an absent one as null. The dead letter's
   * value is the source's value bytes (empty when it had none).
   */
  raw: 'x-dlq-raw',
} as const;
