import { busConfig, clickhouseConfig, httpConfig, redisConfig, Type, type Static } from '@repute/config';

/** The correlator's configuration: shared fragments plus its own variables. */
export const correlatorConfig = {
  ...httpConfig,
  ...redisConfig,
  ...busConfig,
  ...clickhouseConfig,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9464, description: 'Port of the admin server (health, readiness, metrics).' }),
  CORRELATOR_GROUP: Type.String({ default: 'correlator', description: 'Consumer group on the telemetry topic.' }),
  CORRELATOR_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 50_000, default: 10_000, description: 'Largest batch taken from the bus at once. Batches are whatever is waiting, so a large bound costs no latency when traffic is light; under a backlog a larger batch costs less per event (an indicator seen twice in it is one script entry, a ClickHouse insert has a cost of its own).' }),
  CORRELATOR_BATCHES_IN_FLIGHT: Type.Integer({ minimum: 1, maximum: 1024, default: 256, description: 'Batches handled at once. Their Redis work takes turns and their ClickHouse inserts are shared, so under a trickle many small batches wait on one insert without holding up the records of the next. On Kafka, up to this many of each partition, committed in order.' }),
  CORRELATOR_EVENTS_IN_FLIGHT: Type.Integer({ minimum: 1, default: 80_000, description: 'Events of the batches in flight together at most, which bounds memory when a backlog makes every batch full.' }),
  CORRELATOR_INSERT_INTERVAL_MS: Type.Integer({ minimum: 0, maximum: 5000, default: 200, description: 'ClickHouse inserts of a table start at most this often; the rows of the batches that arrive meanwhile go in one insert. An embedded ClickHouse insert costs 15–30 ms of CPU whatever its size. Records are written before and do not wait; acknowledgements do.' }),
  CORRELATOR_POLICY_FILE: Type.String({ default: '', description: 'Policy file; empty uses the shipped policy/default.json. Reloaded on SIGHUP and on change.' }),
  CORRELATOR_RELIABILITY_INTERVAL_S: Type.Integer({ minimum: 0, default: 600, description: "How often each evidence source's detection and false-positive rates are estimated again from its agreement with the other sources (in ClickHouse, over the last 30 days), seconds; 0 keeps the policy's configured rates." }),
  BUS_CLAIM_MIN_IDLE_MS: Type.Integer({ minimum: 100, default: 30_000, description: 'Redis Streams: idle time after which a live correlator claims the batch a dead one left unacknowledged.' }),
  CORRELATOR_DEDUP_TTL_S: Type.Integer({ minimum: 1, default: 300, description: 'How long past its minute an event id is remembered for deduplication, seconds. It must cover redelivery (claim idle time or session timeout plus retries) and sensor resends; memory is about events/s × (60 + this) × 50 bytes.' }),
};

export type CorrelatorConfig = Static<ReturnType<typeof Type.Object<typeof correlatorConfig>>>;
