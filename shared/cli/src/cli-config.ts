import { resolve } from 'node:path';
import { busConfig, ConfigError, dataConfig, loadConfig, redisConfig, Type, type Static } from '@repute/config';
import { readRedisPort, readRuntimeState } from '@repute/runtime-state';
import { CliError, EXIT } from './cli-error.ts';

/** The command's settings, named as the environment variables (or REPUTE_CONFIG_FILE entries). */
export const cliConfigSchema = {
  ...redisConfig,
  ...busConfig,
  ...dataConfig,
  REDIS_URL: Type.String({ default: '', description: 'Redis of the deployment; empty: the private redis-server `npm start` runs for REPUTE_DATA_DIR.' }),
  REPUTE_API_URL: Type.String({ default: '', description: 'Base URL of the HTTP API; empty: the running launcher’s, else http://127.0.0.1:8080.' }),
  REPUTE_API_KEY: Type.String({ default: '', secret: true, description: 'API key for lookups and ingest (--key wins).' }),
  CORRELATOR_GROUP: Type.String({ default: 'correlator', description: 'Consumer group whose lag `status` reports.' }),
  EDGE_FILTER_CAPACITY: Type.Integer({ minimum: 1000, default: 1_000_000, description: 'Indicators per kind the bloom filters are sized for (as the edge’s).' }),
  EDGE_FILTER_FPR: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 0.5, default: 0.001, description: 'Target false-positive rate of the bloom filters (as the edge’s).' }),
};

export type CliConfig = Static<ReturnType<typeof Type.Object<typeof cliConfigSchema>>>;

/** Reads the configuration; a problem is a usage error listing every variable at fault. */
export function loadCliConfig(env: Record<string, string | undefined> = process.env): CliConfig {
  try {
    const config = loadConfig(cliConfigSchema, { env });
    return { ...config, REPUTE_DATA_DIR: resolve(config.REPUTE_DATA_DIR) };
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.problems.map((p) => `config: ${p.variable} ${p.reason}`).join('\n'), EXIT.usage);
    throw err;
  }
}

/** The Redis to use: REDIS_URL, else the one the launcher runs for the data folder. */
export function redisUrlOf(config: CliConfig): string {
  if (config.REDIS_URL !== '' || config.REDIS_CLUSTER_NODES !== '') return config.REDIS_URL;
  const running = readRuntimeState(config.REPUTE_DATA_DIR);
  if (running !== undefined) return running.redisUrl;
  const port = readRedisPort(config.REPUTE_DATA_DIR);
  if (port !== undefined) return `redis://127.0.0.1:${port}`;
  throw new CliError(`no Redis known: start the system with \`npm start\` (data in ${config.REPUTE_DATA_DIR}), or set REDIS_URL (or REPUTE_DATA_DIR to the launcher's data folder)`);
}

/** The HTTP API's base URL: --url, REPUTE_API_URL, the running launcher's, or the default port. */
export function apiUrlOf(config: CliConfig, flag: string | undefined): string {
  const url = flag ?? (config.REPUTE_API_URL !== '' ? config.REPUTE_API_URL : readRuntimeState(config.REPUTE_DATA_DIR)?.url ?? 'http://127.0.0.1:8080');
  return url.replace(/\/+$/, '');
}

/** The API key: --key, else REPUTE_API_KEY. */
export function apiKeyOf(config: CliConfig, flag: string | undefined): string {
  const key = flag ?? config.REPUTE_API_KEY;
  if (key === '') throw new CliError('an API key is needed: pass --key or set REPUTE_API_KEY (create one with `repute keys create`)', EXIT.usage);
  return key;
}
