import { busConfig, clickhouseConfig, httpConfig, redisConfig, Type, type Static } from '@repute/config';

/** The correlator's configuration: shared fragments plus its own variables. */
export const correlatorConfig = {
  ...httpConfig,
  ...redisConfig,
  ...busConfig,
  ...clickhouseConfig,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9464, description: 'Port of the admin server (health, readiness, metrics).' }),
  CORRELATOR_GROUP: Type.String({ default: 'correlator', description: 'Consumer group on the telemetry topic.' }),
  CORRELATOR_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000, description: 'Largest batch taken from the bus at once.' }),
  CORRELATOR_POLICY_FILE: Type.String({ default: '', description: 'Policy file; empty uses the shipped policy/default.json. Reloaded on SIGHUP and on change.' }),
  CORRELATOR_DEDUP_TTL_S: Type.Integer({ minimum: 1, default: 600, description: 'How long an event id is remembered for deduplication, seconds.' }),
};

export type CorrelatorConfig = Static<ReturnType<typeof Type.Object<typeof correlatorConfig>>>;
