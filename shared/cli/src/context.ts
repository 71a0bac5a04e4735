import { createRedis, type RedisClient } from '@repute/store';
import { redisUrlOf, type CliConfig } from './cli-config.ts';
import { CliError } from './cli-error.ts';

/** What every command gets: settings and the global flags. */
export interface CommandContext {
  config: CliConfig;
  json: boolean;
  progress: boolean;
  strict: boolean;
}

/** Writes a result: JSON (one document) with --json, else the text. */
export function emit(ctx: CommandContext, value: unknown, text: () => string): void {
  process.stdout.write(ctx.json ? `${JSON.stringify(value)}\n` : text());
}

/** Runs `fn` with a Redis connection to the deployment, failing clearly when it is not there. */
export async function withRedis<T>(config: CliConfig, fn: (redis: RedisClient, url: string) => Promise<T>): Promise<T> {
  const url = redisUrlOf(config);
  const redis = createRedis({ ...config, REDIS_URL: url }, { offlineQueue: true, commandTimeoutMs: 30_000 });
  try {
    await new Promise<void>((resolve, reject) => {
      if (redis.status === 'ready') return resolve();
      const timer = setTimeout(() => reject(new CliError(`cannot reach Redis at ${url}: is \`npm start\` running? (or set REDIS_URL)`)), 5000);
      redis.once('ready', () => { clearTimeout(timer); resolve(); });
    });
    return await fn(redis, url);
  } finally {
    redis.disconnect();
  }
}
