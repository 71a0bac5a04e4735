import Type from 'typebox';

/**
 * Shared configuration fragments. Each service spreads the ones it needs into its own schema,
 * so a variable means the same thing everywhere. Names are the environment variables.
 */

export const httpConfig = {
  HOST: Type.String({ default: '127.0.0.1', description: 'Address the HTTP server listens on.' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'TCP port of the HTTP server (0 picks a free one).' }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), {
    default: 'info',
    description: 'pino log level.',
  }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 1_048_576, description: 'Largest request body accepted, in bytes.' }),
  SHUTDOWN_DRAIN_MS: Type.Integer({ minimum: 0, default: 10_000, description: 'How long a stopping server waits for requests in flight.' }),
};

export const redisConfig = {
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379', description: 'Redis connection URL (single server or a replica set entry point).' }),
  REDIS_CLUSTER_NODES: Type.String({ default: '', description: 'Comma-separated host:port seeds of a Redis Cluster; when set, REDIS_URL is ignored.' }),
  REDIS_KEY_PREFIX: Type.String({ default: '', maxLength: 64, description: 'Prefix of every key this deployment writes, so several can share one Redis.' }),
  REDIS_PASSWORD: Type.String({ default: '', secret: true, description: 'Redis password (ACL), when the server requires one.' }),
};

export const busConfig = {
  BUS_KIND: Type.Union([Type.Literal('redis'), Type.Literal('kafka')], {
    default: 'redis',
    description: 'Telemetry bus: Redis Streams on one machine, Apache Kafka across machines.',
  }),
  KAFKA_BROKERS: Type.String({ default: '127.0.0.1:9092', description: 'Comma-separated Kafka bootstrap brokers (host:port).' }),
  KAFKA_CLIENT_ID: Type.String({ default: 'repute', description: 'Kafka client id.' }),
  KAFKA_COMPRESSION: Type.Union([Type.Literal('zstd'), Type.Literal('gzip'), Type.Literal('none')], {
    default: 'zstd',
    description: 'Compression of produced Kafka batches. zstd costs less CPU than gzip for a similar ratio; none saves CPU when brokers are on the same machine (measured in bench:ingest).',
  }),
  KAFKA_TOPIC_PARTITIONS: Type.Integer({ minimum: 1, default: 6, description: 'Partitions of telemetry.v1 when the service creates it.' }),
  KAFKA_REPLICATION_FACTOR: Type.Integer({ minimum: 1, default: 1, description: 'Replication factor of telemetry.v1 when the service creates it.' }),
  KAFKA_MIN_INSYNC_REPLICAS: Type.Integer({ minimum: 1, default: 1, description: 'min.insync.replicas of telemetry.v1 (and its dead-letter topic), set when the service creates it and raised on an existing topic with a lower one (never lowered, never above its replica count): with acks=all, a publish fails unless this many replicas have it. At most KAFKA_REPLICATION_FACTOR; 2 with a replication factor of 3.' }),
  TELEMETRY_TOPIC: Type.String({ default: 'telemetry.v1', pattern: '^[a-zA-Z0-9._-]{1,200}$', description: 'Topic (Kafka) or stream (Redis) of telemetry events.' }),
};

export const clickhouseConfig = {
  CLICKHOUSE_URL: Type.String({ default: '', description: 'ClickHouse server URL (http://host:8123); empty runs the engine embedded (chDB) on disk.' }),
  CLICKHOUSE_DATABASE: Type.String({ default: 'repute', pattern: '^[a-zA-Z_][a-zA-Z0-9_]{0,63}$', description: 'Database holding the analytics tables.' }),
  CLICKHOUSE_USER: Type.String({ default: 'default', description: 'ClickHouse user (server only).' }),
  CLICKHOUSE_PASSWORD: Type.String({ default: '', secret: true, description: 'ClickHouse password (server only).' }),
  CLICKHOUSE_DATA_DIR: Type.String({ default: './var/clickhouse', description: 'Folder of the embedded engine’s data.' }),
  CLICKHOUSE_RETENTION_DAYS: Type.Integer({ minimum: 1, default: 90, description: 'Days of raw telemetry kept.' }),
};

export const dataConfig = {
  REPUTE_DATA_DIR: Type.String({ default: './var', description: 'Folder for the one-machine deployment’s data (Redis, ClickHouse, keys).' }),
};
