import { resolve } from 'node:path';
import { analystConfigSchema } from '@repute/analyst';
import { correlatorConfig } from '@repute/correlator';
import { dataConfig, loadConfig, Type, type LoadConfigOptions, type Static } from '@repute/config';
import { dnsBindingProblems, dnsOwnConfigSchema } from '@repute/dns';
import { edgeConfigSchema } from '@repute/edge';
import { ingestConfigSchema } from '@repute/ingest';

/**
 * Every variable of every mounted service (one process reads them once), with the defaults
 * that differ on one machine: one port for everything, a private redis-server unless REDIS_URL
 * names one, the embedded ClickHouse under the data folder, and a short drain (no load
 * balancer in front).
 */
export const launcherConfigSchema = {
  ...correlatorConfig,
  ...ingestConfigSchema,
  ...edgeConfigSchema,
  ...analystConfigSchema,
  ...dnsOwnConfigSchema,
  ...dataConfig,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'The one port every public API is served on (0 picks a free one).' }),
  REDIS_URL: Type.String({ default: '', description: 'An external Redis; empty starts a private redis-server with its data under REPUTE_DATA_DIR/redis.' }),
  REPUTE_REDIS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 0, description: 'Loopback port of the private redis-server; 0 picks a free one on first start and reuses it afterwards (recorded in REPUTE_DATA_DIR/redis/port).' }),
  CLICKHOUSE_DATA_DIR: Type.String({ default: '', description: 'Folder of the embedded ClickHouse engine; empty means REPUTE_DATA_DIR/clickhouse.' }),
  SHUTDOWN_DRAIN_MS: Type.Integer({ minimum: 0, default: 500, description: 'How long a stopping launcher answers not-ready before closing (no load balancer on one machine).' }),
  // In the launcher's process (REPUTE_CORRELATOR_PROCESS=false) the correlator shares the event
  // loop with the edge, and a batch (Redis script, chDB insert, decoding) runs without yielding:
  // 5,000-event batches stalled lookups for 170-200 ms in the load-test profile
  // (docs/performance/profile.md). Smaller batches bound that stall; in its own process they
  // still share the machine's cores with the lookups, so the default stays.
  CORRELATOR_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000, description: 'Largest batch the correlator takes from the bus at once; smaller than on its own deployment because on one machine it shares the cores (and with REPUTE_CORRELATOR_PROCESS=false the event loop) with the lookups.' }),
  REPUTE_CORRELATOR_PROCESS: Type.Boolean({ default: true, description: 'Run the correlator, and the embedded ClickHouse engine it writes, in a child process of the launcher, restarted when it dies, so that its batches do not hold up lookups; false runs it in the launcher\'s own process.' }),
  REPUTE_ADMIN_TENANT: Type.String({ default: 'admin', minLength: 1, maxLength: 128, description: 'Tenant of the admin API key created on first start.' }),
};

export type LauncherConfig = Static<ReturnType<typeof Type.Object<typeof launcherConfigSchema>>>;

/** Parses the launcher configuration (environment, then REPUTE_CONFIG_FILE), listing every problem at once. */
export function loadLauncherConfig(options: LoadConfigOptions<typeof launcherConfigSchema> = {}): LauncherConfig {
  const config = loadConfig(launcherConfigSchema, {
    ...options,
    refine: (c) => [
      ...(c.INGEST_MAX_DECOMPRESSED_BYTES < c.INGEST_MAX_BODY_BYTES
        ? [{ variable: 'INGEST_MAX_DECOMPRESSED_BYTES', reason: 'must be at least INGEST_MAX_BODY_BYTES' }]
        : []),
      ...dnsBindingProblems(c),
    ],
  });
  const dataDir = resolve(config.REPUTE_DATA_DIR);
  return {
    ...config,
    REPUTE_DATA_DIR: dataDir,
    CLICKHOUSE_DATA_DIR: config.CLICKHOUSE_DATA_DIR !== '' ? resolve(config.CLICKHOUSE_DATA_DIR) : resolve(dataDir, 'clickhouse'),
  };
}
