import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** The Redis connection settings of `@repute/config`'s `redisConfig` fragment. */
export interface RedisConnectionConfig {
  REDIS_URL: string;
  REDIS_CLUSTER_NODES?: string;
  REDIS_PASSWORD?: string;
}

export interface CreateRedisOptions {
  /** Milliseconds after which a command fails instead of waiting (fail fast, answer degraded). */
  commandTimeoutMs?: number;
  /** Queue commands while disconnected; off by default so callers fail fast and degrade. */
  offlineQueue?: boolean;
  /** Connection name shown by CLIENT LIST. */
  name?: string;
  log?: { warn(obj: object, msg: string): void };
}

/** A single Redis or a Redis Cluster client. */
export type RedisClient = Redis | Cluster;

/** True when the client talks to a Redis Cluster. */
export function isCluster(redis: RedisClient): redis is Cluster {
  return redis instanceof Cluster;
}

/**
 * Creates the Redis client for a service: a Cluster client when REDIS_CLUSTER_NODES is set,
 * otherwise a single connection to REDIS_URL. Reconnects forever with a capped backoff.
 */
export function createRedis(config: RedisConnectionConfig, options: CreateRedisOptions = {}): RedisClient {
  const common: RedisOptions = {
    enableOfflineQueue: options.offlineQueue ?? false,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 5), 1000),
    lazyConnect: false,
    ...(options.name !== undefined ? { connectionName: options.name } : {}),
    ...(config.REDIS_PASSWORD ? { password: config.REDIS_PASSWORD } : {}),
  };
  let client: RedisClient;
  const nodes = (config.REDIS_CLUSTER_NODES ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (nodes.length > 0) {
    client = new Cluster(
      nodes.map((n) => {
        const [host, port] = n.split(':');
        return { host: host ?? '127.0.0.1', port: Number(port ?? 6379) };
      }),
      { redisOptions: common, enableOfflineQueue: common.enableOfflineQueue ?? false, clusterRetryStrategy: (attempt) => Math.min(100 * attempt, 1000) },
    );
  } else {
    client = new Redis(config.REDIS_URL, common);
  }
  // Without a listener ioredis prints every connection error; the owner reports state instead.
  let lastWarn = 0;
  client.on('error', (err: Error) => {
    const now = Date.now();
    if (options.log !== undefined && now - lastWarn > 5000) {
      lastWarn = now;
      options.log.warn({ err }, 'redis connection error');
    }
  });
  return client;
}

/**
 * A second connection for blocking reads (XREAD BLOCK): a blocked connection cannot serve
 * lookups, and the lookup client's short command timeout would cut the block short. Its
 * commands wait for the connection (offline queue): the reader's first XREAD goes out while
 * the new connection is still connecting, and failing it fast only reported a stream outage
 * that was not there.
 */
export function duplicateForBlocking(redis: RedisClient, blockMs: number): RedisClient {
  if (isCluster(redis)) {
    const dup = redis.duplicate([], { enableOfflineQueue: true, redisOptions: { ...redis.options.redisOptions, commandTimeout: blockMs + 2000 } });
    dup.on('error', () => {});
    return dup;
  }
  const dup = redis.duplicate({ commandTimeout: blockMs + 2000, enableOfflineQueue: true });
  dup.on('error', () => {});
  return dup;
}
