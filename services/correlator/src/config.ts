import { busConfig, clickhouseConfig, httpConfig, redisConfig, Type, type Static } from '@repute/config';

/** The correlator's configuration: shared fragments plus its own variables. */
export const correlatorConfig = {
  ...httpConfig,
  ...redisConfig,
  ...busConfig,
  ...clickhouseConfig,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9464, description: 'Port of the admin server (health, readiness, metrics).' }),
  CORRELATOR_GROUP: Type.String({ default: 'correlator', description: 'Consumer group on the telemetry topic.' }),
  CORRELATOR_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 50_000, default: 10_000, description: 'Largest batch taken from the bus at once. Batches are whatever is waiting, so a large bound costs no latency when traffic is light; under a backlog a larger batch costs less a event (an indicator seen twice in it is one script entry, a ClickHouse insert has a cost of its own).' }),
  CORRELATOR_BATCHES_IN_FLIGHT: Type.Integer({ minimum: 1, maximum: 4, default: 2, description: 'Batches handled at once: with 2 the next batch\'s Redis work overlaps this one\'s ClickHouse insert (state phases still take turns, acknowledgements stay in order). On Kafka, batches of different partitions; a partition\'s own go one after another.' }),
  CORRELATOR_POLICY_FILE: Type.String({ default: '', description: 'Policy file; empty uses the shipped policy/default.json. Reloaded on SIGHUP and on change.' }),
  BUS_CLAIM_MIN_IDLE_MS: Type.Integer({ minimum: 100, default: 30_000, description: 'Redis Streams: idle time after which a live correlator claims the batch a dead one left unacknowledged.' }),
  CORRELATOR_DEDUP_TTL_S: Type.Integer({ minimum: 1, default: 300, description: 'How long past its minute an event id is remembered for deduplication, seconds. It must cover redelivery (claim idle time or session timeout plus retries) and sensor resends; memory is about events/s × (60 + this) × 50 bytes.' }),
};

export type CorrelatorConfig = Static<ReturnType<typeof Type.Object<typeof correlatorConfig>>>;
