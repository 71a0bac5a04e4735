import { clickhouseConfig, httpConfig, loadConfig, redisConfig, Type, type LoadConfigOptions, type Static } from '@repute/config';

/** The analyst service's configuration: shared fragments plus its own variables. */
export const analystConfigSchema = {
  ...httpConfig,
  ...redisConfig,
  ...clickhouseConfig,
  ANALYST_K_ANONYMITY: Type.Integer({ minimum: 1, default: 5, description: 'Cross-tenant counts are shown only when at least this many distinct tenants contributed; below it the answer says "fewer than k".' }),
  ANALYST_QUERY_TIMEOUT_S: Type.Integer({ minimum: 1, maximum: 300, default: 10, description: 'max_execution_time of every analytics query, seconds.' }),
  ANALYST_MAX_RESULT_ROWS: Type.Integer({ minimum: 100, default: 100_000, description: 'max_result_rows of every analytics query (a backstop behind each query’s own LIMIT).' }),
  ANALYST_PAGE_MAX: Type.Integer({ minimum: 10, maximum: 10_000, default: 1000, description: 'Largest page any list endpoint returns.' }),
  ANALYST_RELATIONS_MAX_EDGES: Type.Integer({ minimum: 10, maximum: 100_000, default: 2000, description: 'Edges a relations walk reads at most, over all hops.' }),
  ANALYST_POLICY_FILE: Type.String({ default: '', description: 'Verdict policy used when an override re-scores an indicator; empty uses the shipped one (@repute/verdicts).' }),
  ANALYST_WATCHLIST_MAX_INDICATORS: Type.Integer({ minimum: 1, default: 10_000, description: 'Indicators one watchlist may hold.' }),
  ANALYST_TENANT_MAX_WATCHLISTS: Type.Integer({ minimum: 1, default: 50, description: 'Watchlists one tenant may hold.' }),
  ANALYST_TENANT_MAX_WATCHED: Type.Integer({ minimum: 1, default: 50_000, description: 'Indicators one tenant may watch over all its watchlists.' }),
  ANALYST_TENANT_MAX_OPEN_DISPUTES: Type.Integer({ minimum: 1, default: 100, description: 'Open disputes one tenant may hold; more wait until some are decided.' }),
  ANALYST_WEBHOOK_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 20, default: 6, description: 'Attempts per webhook delivery before it is dropped.' }),
  ANALYST_WEBHOOK_BASE_DELAY_MS: Type.Integer({ minimum: 10, default: 500, description: 'First retry delay of a webhook; doubles per attempt (with jitter), capped at 60 s.' }),
  ANALYST_WEBHOOK_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5000, description: 'Time a webhook receiver has to answer one attempt.' }),
  ANALYST_WEBHOOK_MAX_PENDING: Type.Integer({ minimum: 1, default: 10_000, description: 'Webhook deliveries held in memory at once; past it new ones are dropped and counted.' }),
  ANALYST_WEBHOOK_ALLOW_PRIVATE: Type.Boolean({ default: false, description: 'Accept webhook URLs on loopback or private addresses (tests, single-machine setups).' }),
};

export type AnalystConfig = Static<ReturnType<typeof Type.Object<typeof analystConfigSchema>>>;

/** Parses the analyst configuration, listing every problem at once. */
export function loadAnalystConfig(options: LoadConfigOptions<typeof analystConfigSchema> = {}): AnalystConfig {
  return loadConfig(analystConfigSchema, options);
}
