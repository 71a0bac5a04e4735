import { httpConfig, loadConfig, redisConfig, Type, type LoadConfigOptions, type Static } from '@repute/config';

/** The edge's configuration schema: shared HTTP and Redis fragments plus its own variables. */
export const edgeConfigSchema = {
  ...httpConfig,
  ...redisConfig,
  EDGE_CACHE_MAX_ENTRIES: Type.Integer({ minimum: 0, default: 100_000, description: 'Hot records kept in process (LRU); 0 turns the cache off.' }),
  EDGE_CACHE_MAX_BYTES: Type.Integer({ minimum: 0, default: 64 * 1024 * 1024, description: 'Approximate memory bound of the record cache, in bytes.' }),
  EDGE_CACHE_TTL_S: Type.Integer({ minimum: 1, default: 300, description: 'Seconds a cached record is trusted without the update stream confirming it (served stale only when Redis is away).' }),
  EDGE_FILTER_CAPACITY: Type.Integer({ minimum: 1000, default: 1_000_000, description: 'Indicators per kind the bloom filters are sized for.' }),
  EDGE_FILTER_FPR: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 0.5, default: 0.001, description: 'Target false-positive rate of the bloom filters.' }),
  EDGE_FILTER_REBUILD_INTERVAL_S: Type.Integer({ minimum: 0, default: 3600, description: 'Seconds between filter rebuilds from the records (0: never, only by CLI).' }),
  EDGE_FILTER_STALE_RATIO: Type.Number({ minimum: 0, maximum: 1, default: 0.1, description: 'Rebuild early once this share of a filter’s entries was removed (a bloom filter cannot delete).' }),
  EDGE_DEFAULT_TTL_S: Type.Integer({ minimum: 0, default: 300, description: 'TTL (seconds, mirrored in Cache-Control) of answers whose records carry none.' }),
  EDGE_K_ANONYMITY: Type.Integer({ minimum: 1, default: 5, description: 'Answers about an indicator fewer than this many tenants saw withhold its counts (prevalence, reasons’ evidence): k-anonymity, as in the analyst API.' }),
  EDGE_UNKNOWN_TTL_S: Type.Integer({ minimum: 0, default: 60, description: 'TTL of `unknown` answers.' }),
  EDGE_STREAM_MAX_LENGTH: Type.Integer({ minimum: 1000, default: 1_000_000, description: 'Approximate number of update-stream entries Redis keeps.' }),
  EDGE_REDIS_TIMEOUT_MS: Type.Integer({ minimum: 10, default: 500, description: 'Redis command timeout: past it a lookup answers degraded instead of waiting.' }),
  EDGE_RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, default: 600_000, description: 'Requests per minute per API key for keys without their own limit.' }),
};

export type EdgeConfig = Static<ReturnType<typeof Type.Object<typeof edgeConfigSchema>>>;

/** Parses the edge configuration (environment, then REPUTE_CONFIG_FILE), listing every problem at once. */
export function loadEdgeConfig(options: LoadConfigOptions<typeof edgeConfigSchema> = {}): EdgeConfig {
  return loadConfig(edgeConfigSchema, options);
}
