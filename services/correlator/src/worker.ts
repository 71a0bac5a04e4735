import { watch, type FSWatcher } from 'node:fs';
import { createClickHouse, migrate, type ClickHouseClient } from '@repute/analytics';
import { createBus, type Bus, type Subscription } from '@repute/bus';
import { createRedis, createReputationStore, type RedisClient } from '@repute/store';
import { TELEMETRY_TOPIC } from '@repute/telemetry';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { CorrelatorConfig } from './config.ts';
import { createCorrelator, type Correlator, type CorrelatorLog } from './correlator.ts';
import { DEFAULT_POLICY_PATH, loadPolicy, reliabilityOf, type Policy } from '@repute/verdicts';
import { polymorphicScanner } from './propagation/polymorphic-downloads.ts';
import { propagateOnce } from './propagation/propagate.ts';
import { startReliabilityJob, type ReliabilityJob } from './reliability/reliability-job.ts';
import { migrateStateLayout } from './state/migrate-layout.ts';

export interface WorkerLog extends CorrelatorLog {
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** A running correlator: bus consumer, propagation loop, policy reloads. */
export interface CorrelatorWorker {
  correlator: Correlator;
  redis: RedisClient;
  clickhouse: ClickHouseClient;
  bus: Bus;
  policy(): Policy;
  reloadPolicy(): void;
  ready(): Promise<boolean>;
  /** Stops fetching, finishes and acknowledges the batch in hand, then closes the clients. */
  close(): Promise<void>;
  /**
   * Stops at once as a crash would: the batch in hand is neither finished nor acknowledged, so
   * the group delivers it again to the next consumer.
   */
  abort(): Promise<void>;
}

/**
 * Starts the correlator: applies the ClickHouse migrations, loads the policy, brings Redis state
 * of an earlier layout into the current one, subscribes to the telemetry topic and runs
 * propagation on the policy's interval.
 */
export async function startWorker(config: CorrelatorConfig, log: WorkerLog, registry?: Registry): Promise<CorrelatorWorker> {
  const policyPath = config.CORRELATOR_POLICY_FILE !== '' ? config.CORRELATOR_POLICY_FILE : DEFAULT_POLICY_PATH;
  let policy = loadPolicy(policyPath);
  const clickhouse = createClickHouse(config);
  await migrate(clickhouse, { database: config.CLICKHOUSE_DATABASE, retentionDays: config.CLICKHOUSE_RETENTION_DAYS });
  const redis = createRedis(config, { name: 'correlator', offlineQueue: true, commandTimeoutMs: 5000, log });
  const prefix = config.REDIS_KEY_PREFIX;
  const store = createReputationStore(redis, { prefix });
  const events = registry && new Counter({ name: 'repute_correlator_events_total', help: 'Telemetry events processed.', labelNames: ['outcome'], registers: [registry] });
  const changes = registry && new Counter({ name: 'repute_correlator_verdict_changes_total', help: 'Verdict changes written.', labelNames: ['source', 'verdict'], registers: [registry] });
  const batchSeconds = registry && new Histogram({ name: 'repute_correlator_batch_seconds', help: 'Time to process one bus batch.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5], registers: [registry] });
  // Measured rates of the evidence sources, the configured ones as their priors; until the
  // first estimate (or with the job off) the configured rates stand.
  const reliability: ReliabilityJob | undefined = config.CORRELATOR_RELIABILITY_INTERVAL_S === 0 ? undefined : await startReliabilityJob({
    clickhouse, database: config.CLICKHOUSE_DATABASE, redis, prefix, log,
    intervalMs: config.CORRELATOR_RELIABILITY_INTERVAL_S * 1000,
    priors: (source, engine) => reliabilityOf(policy, undefined, source, engine),
  });
  const correlator = createCorrelator({
    redis, store, clickhouse, database: config.CLICKHOUSE_DATABASE, policy: () => policy, prefix,
    ...(reliability !== undefined ? { reliability: () => reliability.current() } : {}),
    dedupTtlSeconds: config.CORRELATOR_DEDUP_TTL_S, insertIntervalMs: config.CORRELATOR_INSERT_INTERVAL_MS, log,
    onVerdict: (c) => changes?.inc({ source: c.source, verdict: c.record.verdict }),
  });
  const moved = await migrateStateLayout(redis, prefix);
  if (moved.overrides + moved.graph > 0) log.info(moved, 'state of the earlier layout moved into the state hashes');
  const bus = createBus(config, log, registry ? { registry } : {});
  const subscription: Subscription = await bus.subscribe({
    topic: config.TELEMETRY_TOPIC || TELEMETRY_TOPIC,
    group: config.CORRELATOR_GROUP,
    batchSize: config.CORRELATOR_BATCH_SIZE,
    maxBatchesInFlight: config.CORRELATOR_BATCHES_IN_FLIGHT,
    maxMessagesInFlight: config.CORRELATOR_EVENTS_IN_FLIGHT,
    handler: async (batch) => {
      const end = batchSeconds?.startTimer();
      const r = await correlator.handle(batch);
      events?.inc({ outcome: 'new' }, r.events - r.duplicates);
      events?.inc({ outcome: 'duplicate' }, r.duplicates);
      events?.inc({ outcome: 'invalid' }, r.invalid);
      end?.();
      // Dead-lettered one by one by the bus, the rest of the batch acknowledged.
      return r.rejected;
    },
  });

  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const scanPolymorphic = polymorphicScanner({ redis, clickhouse, database: config.CLICKHOUSE_DATABASE, prefix, correlator });
  const tick = () => {
    if (stopped) return;
    running = scanPolymorphic(policy)
      .catch((err: unknown) => log.error({ err }, 'polymorphic download scan failed'))
      .then(() => propagateOnce({ redis, clickhouse, database: config.CLICKHOUSE_DATABASE, correlator, policy: () => policy, prefix }))
      .catch((err: unknown) => log.error({ err }, 'propagation round failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, policy.doc.propagation.intervalMs);
      });
  };
  let timer = setTimeout(tick, policy.doc.propagation.intervalMs);

  const reloadPolicy = () => {
    try {
      policy = loadPolicy(policyPath);
      log.info({ version: policy.version }, 'policy reloaded');
    } catch (err) {
      // A bad edit keeps the policy in force rather than stopping the worker.
      log.error({ err }, 'policy reload refused');
    }
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(policyPath, () => reloadPolicy());
  } catch (err) {
    log.warn({ err }, 'policy file not watched; SIGHUP still reloads it');
  }

  return {
    correlator, redis, clickhouse, bus,
    policy: () => policy,
    reloadPolicy,
    async ready() {
      return (await bus.ready()) && redis.status === 'ready';
    },
    async abort() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      watcher?.close();
      await reliability?.close();
      // Cutting Redis first fails whatever the abandoned handler still had to write.
      redis.disconnect();
      await subscription.abort();
      await running;
      await bus.close();
      await clickhouse.close();
    },
    async close() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      watcher?.close();
      await reliability?.close();
      await subscription.close();
      await running;
      await bus.close();
      await clickhouse.close();
      redis.disconnect();
    },
  };
}
