import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { createKeyStore, type KeyStore } from '@repute/auth';
import { createBus, type Bus } from '@repute/bus';
import { testRedisUrl, uniqueName } from '@repute/infra/testkit';
import app from '../src/app.ts';
import { loadIngestConfig, type IngestConfig } from '../src/config.ts';

export interface Harness {
  app: FastifyInstance;
  config: IngestConfig;
  keys: KeyStore;
  /** The bus the app publishes to. */
  bus: Bus;
  /** A key with the ingest scope for tenant `tenant-a`. */
  key: string;
  redis: Redis;
  close(): Promise<void>;
}

/** `before` runs on the server ahead of the app, as the launcher registers its docs plugin. */
export async function startIngest(env: Record<string, string> = {}, bus?: Bus, before?: (fastify: FastifyInstance) => Promise<void>): Promise<Harness> {
  const url = await testRedisUrl();
  const config = loadIngestConfig({
    env: { REDIS_URL: url, REDIS_KEY_PREFIX: `${uniqueName('ingest')}:`, BUS_KIND: 'redis', LOG_LEVEL: 'silent', BUS_PUBLISH_TIMEOUT_MS: '1000', ...env },
  });
  const redis = new Redis(url);
  const keys = createKeyStore(redis, { prefix: config.REDIS_KEY_PREFIX });
  const { key } = await keys.create({ tenant: 'tenant-a', scopes: ['ingest'] });
  const fastify = Fastify({ logger: false });
  const ownBus = bus === undefined;
  const theBus = bus ?? createBus(config);
  await before?.(fastify);
  await fastify.register(app, { config, keys, bus: theBus });
  await fastify.ready();
  return {
    app: fastify,
    config,
    keys,
    bus: theBus,
    key,
    redis,
    close: async () => {
      await fastify.close();
      if (ownBus) await theBus.close();
      redis.disconnect();
    },
  };
}

export const SHA = (n: number): string => n.toString(16).padStart(64, '0');

export function event(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: `evt-${i}`, sensor: 'sensor-1', host: 'host-1', time: Date.now() - 1000, type: 'file_seen', file: { sha256: SHA(i + 1).toUpperCase(), name: `f${i}.exe` }, ...extra };
}
