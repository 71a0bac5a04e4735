import type { TObject } from 'typebox';
import { busConfig, httpConfig, loadConfig, redisConfig, Type, type LoadConfigOptions, type Static } from '@repute/config';

/** The ingest service's settings, named as their environment variables. */
export const ingestConfigSchema = {
  ...httpConfig,
  ...redisConfig,
  ...busConfig,
  INGEST_MAX_BODY_BYTES: Type.Integer({ minimum: 1024, default: 4 * 1024 * 1024, description: 'Largest telemetry request body as sent (compressed or not), in bytes; larger gets 413.' }),
  INGEST_MAX_DECOMPRESSED_BYTES: Type.Integer({ minimum: 1024, default: 16 * 1024 * 1024, description: 'Largest telemetry body after gzip decompression, in bytes; a gzip bomb stops here with 413.' }),
  INGEST_MAX_EVENTS: Type.Integer({ minimum: 1, maximum: 100_000, default: 5_000, description: 'Most events in one request; more gets 413.' }),
  INGEST_MAX_FUTURE_SKEW_MS: Type.Integer({ minimum: 0, default: 3_600_000, description: 'How far ahead of the server clock an event time may be.' }),
  INGEST_MAX_EVENT_AGE_MS: Type.Integer({ minimum: 60_000, default: 30 * 24 * 3_600_000, description: 'How old an event may be.' }),
  INGEST_SORT_THREADS: Type.Integer({ minimum: 0, maximum: 64, default: 1, description: 'Threads that read, validate and encode telemetry bodies off the event loop; 0 reads them on the event loop.' }),
  INGEST_RETRY_AFTER_SECONDS: Type.Integer({ minimum: 1, default: 5, description: 'Retry-After sent with 503 when the bus is unavailable.' }),
  INGEST_RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, default: 6_000, description: 'Requests per minute per API key when the key sets no limit of its own.' }),
  BUS_PUBLISH_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5_000, description: 'A publish the bus has not acknowledged by then fails (503).' }),
  BUS_STREAM_MAX_LENGTH: Type.Integer({ minimum: 1_000, default: 1_000_000, description: 'Redis Streams: length above which entries every group acknowledged are trimmed.' }),
  BUS_CLAIM_MIN_IDLE_MS: Type.Integer({ minimum: 100, default: 30_000, description: 'Redis Streams: idle time after which a live consumer claims what a dead one left pending.' }),
};

export type IngestConfig = Static<TObject<typeof ingestConfigSchema>>;

/** Reads and checks the configuration; throws ConfigError listing every problem. */
export function loadIngestConfig(options: LoadConfigOptions<typeof ingestConfigSchema> = {}): IngestConfig {
  return loadConfig(ingestConfigSchema, {
    ...options,
    refine: (c) =>
      c.INGEST_MAX_DECOMPRESSED_BYTES < c.INGEST_MAX_BODY_BYTES
        ? [{ variable: 'INGEST_MAX_DECOMPRESSED_BYTES', reason: 'must be at least INGEST_MAX_BODY_BYTES' }]
        : [],
  });
}
