import type { Registry } from 'prom-client';
import { BusError } from './errors.ts';
import { KafkaBus } from './kafka-bus.ts';
import type { KafkaCompression } from './kafka-compression.ts';
import { silentLogger, type BusLogger } from './log.ts';
import { instrumentBus } from './metrics.ts';
import { RedisBus } from './redis-bus.ts';
import type { Bus } from './types.ts';

/** Bus settings, named as the environment variables they come from. */
export interface BusConfig {
  BUS_KIND: 'redis' | 'kafka';
  REDIS_URL?: string;
  REDIS_KEY_PREFIX?: string;
  REDIS_PASSWORD?: string;
  /** Comma-separated or a list. */
  KAFKA_BROKERS?: string | string[];
  KAFKA_CLIENT_ID?: string;
  KAFKA_TOPIC_PARTITIONS?: number;
  KAFKA_REPLICATION_FACTOR?: number;
  /** min.insync.replicas of topics the bus creates; at most KAFKA_REPLICATION_FACTOR. */
  KAFKA_MIN_INSYNC_REPLICAS?: number;
  /** Compression of published record batches: none, gzip or zstd (default none). */
  KAFKA_COMPRESSION?: KafkaCompression;
  /** Redis Streams: length above which acknowledged entries are trimmed. */
  BUS_STREAM_MAX_LENGTH?: number;
  /** Redis Streams: idle time after which another consumer claims a pending message. */
  BUS_CLAIM_MIN_IDLE_MS?: number;
  BUS_PUBLISH_TIMEOUT_MS?: number;
}

export interface CreateBusOptions {
  /** Registry for the bus metrics (publish latency, errors, consumer lag). */
  registry?: Registry;
}

/** Creates the bus that BUS_KIND names. Connections open lazily, on first use. */
export function createBus(config: BusConfig, log: BusLogger = silentLogger, options: CreateBusOptions = {}): Bus {
  let bus: Bus;
  if (config.BUS_KIND === 'kafka') {
    const brokers = typeof config.KAFKA_BROKERS === 'string' ? config.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean) : (config.KAFKA_BROKERS ?? []);
    if (brokers.length === 0) throw new BusError('REPUTE_BUS_CONFIG', 'BUS_KIND=kafka needs KAFKA_BROKERS', { retriable: false });
    // A topic whose min.insync.replicas exceeds its replicas refuses every acks=all publish
    // (NOT_ENOUGH_REPLICAS): better to refuse to start than to start and accept nothing.
    const replicas = config.KAFKA_REPLICATION_FACTOR ?? 1;
    const minInSync = config.KAFKA_MIN_INSYNC_REPLICAS ?? 1;
    if (minInSync > replicas) {
      throw new BusError('REPUTE_BUS_CONFIG', `KAFKA_MIN_INSYNC_REPLICAS (${minInSync}) must not exceed KAFKA_REPLICATION_FACTOR (${replicas})`, { retriable: false });
    }
    bus = new KafkaBus({
      brokers,
      log,
      ...(config.KAFKA_CLIENT_ID === undefined ? {} : { clientId: config.KAFKA_CLIENT_ID }),
      ...(config.KAFKA_TOPIC_PARTITIONS === undefined ? {} : { partitions: config.KAFKA_TOPIC_PARTITIONS }),
      ...(config.KAFKA_REPLICATION_FACTOR === undefined ? {} : { replicationFactor: config.KAFKA_REPLICATION_FACTOR }),
      ...(config.KAFKA_MIN_INSYNC_REPLICAS === undefined ? {} : { minInSyncReplicas: config.KAFKA_MIN_INSYNC_REPLICAS }),
      ...(config.KAFKA_COMPRESSION === undefined ? {} : { compression: config.KAFKA_COMPRESSION }),
      ...(config.BUS_PUBLISH_TIMEOUT_MS === undefined ? {} : { publishTimeoutMs: config.BUS_PUBLISH_TIMEOUT_MS }),
    });
  } else if (config.BUS_KIND === 'redis') {
    if (config.REDIS_URL === undefined || config.REDIS_URL === '') throw new BusError('REPUTE_BUS_CONFIG', 'BUS_KIND=redis needs REDIS_URL', { retriable: false });
    bus = new RedisBus({
      url: config.REDIS_URL,
      log,
      ...(config.REDIS_KEY_PREFIX === undefined ? {} : { keyPrefix: config.REDIS_KEY_PREFIX }),
      ...(config.REDIS_PASSWORD === undefined ? {} : { password: config.REDIS_PASSWORD }),
      ...(config.BUS_STREAM_MAX_LENGTH === undefined ? {} : { maxLength: config.BUS_STREAM_MAX_LENGTH }),
      ...(config.BUS_CLAIM_MIN_IDLE_MS === undefined ? {} : { claimMinIdleMs: config.BUS_CLAIM_MIN_IDLE_MS }),
      ...(config.BUS_PUBLISH_TIMEOUT_MS === undefined ? {} : { publishTimeoutMs: config.BUS_PUBLISH_TIMEOUT_MS }),
    });
  } else {
    throw new BusError('REPUTE_BUS_CONFIG', `unknown BUS_KIND ${String(config.BUS_KIND)}`, { retriable: false });
  }
  return options.registry === undefined ? bus : instrumentBus(bus, options.registry);
}
