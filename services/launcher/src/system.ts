import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { analystDocsPlugin, analystTaxiiBasicAuthPlugin } from '@repute/analyst';
import { authPlugin, createKeyStore } from '@repute/auth';
import { createBus, type Bus } from '@repute/bus';
import { loggerOptions, observabilityPlugin, problemPlugin, SERVER_OPTIONS } from '@repute/http';
import { createRedis, type RedisClient } from '@repute/store';
import { ensureAdminKey } from './admin-key.ts';
import type { LauncherConfig } from './config.ts';
import { startCorrelatorProcess, type CorrelatorProcess } from './correlator-child.ts';
import { startPrivateRedis, type PrivateRedis } from './private-redis.ts';
import { SERVICES, type MountedService } from './services.ts';

/** The whole system running in this process. */
export interface RunningSystem {
  app: FastifyInstance;
  /** `http://host:port` every public API is served on. */
  url: string;
  redisUrl: string;
  /** The private redis-server, when this process started one. */
  redisServer: PrivateRedis | undefined;
  /** The correlator's own process (with the embedded ClickHouse engine), when it runs in one. */
  correlator: CorrelatorProcess | undefined;
  /** Set on the first start only: the admin key, shown once. */
  adminKey: { id: string; key: string } | undefined;
  services: readonly MountedService[];
  /**
   * Stops in order: not ready, drain, close the services, stop the correlator's process (it
   * finishes and acknowledges its batch), close the shared clients, stop the private redis-server.
   */
  close(): Promise<void>;
}

export interface StartSystemOptions {
  /** Progress lines for a person (redis-server started, and so on). */
  note?: (line: string) => void;
  services?: readonly MountedService[];
  /**
   * The private redis-server died and could not be started again; the system cannot serve
   * until something outside restarts it, so the owner should stop it and exit non-zero.
   */
  onRedisLost?: (err: Error) => void;
  /** The correlator's process died and could not be started again; as for `onRedisLost`. */
  onCorrelatorLost?: (err: Error) => void;
}

/** Starts Redis (unless external), then every service mounted in one Fastify instance on one port. */
export async function startSystem(config: LauncherConfig, options: StartSystemOptions = {}): Promise<RunningSystem> {
  const note = options.note ?? (() => {});
  const services = options.services ?? SERVICES;
  const external = config.REDIS_URL !== '' || config.REDIS_CLUSTER_NODES !== '';
  const onRedisLost = options.onRedisLost ?? ((err: Error) => note(`redis-server lost: ${err.message}`));
  const redisServer = external ? undefined : await startPrivateRedis({ dataDir: config.REPUTE_DATA_DIR, port: config.REPUTE_REDIS_PORT, log: note, onLost: onRedisLost });
  const redisUrl = redisServer?.url ?? config.REDIS_URL;
  const effective: LauncherConfig = { ...config, REDIS_URL: redisUrl };
  const onCorrelatorLost = options.onCorrelatorLost ?? ((err: Error) => note(`correlator process lost: ${err.message}`));
  // Before the services: the analyst's ClickHouse calls go to the engine this process owns.
  let correlator: CorrelatorProcess | undefined;
  try {
    correlator = config.REPUTE_CORRELATOR_PROCESS ? await startCorrelatorProcess({ config: effective, log: note, onLost: onCorrelatorLost }) : undefined;
  } catch (err) {
    await redisServer?.stop();
    throw err;
  }

  const app = Fastify({
    logger: loggerOptions(config.LOG_LEVEL),
    bodyLimit: config.BODY_LIMIT_BYTES,
    ...SERVER_OPTIONS,
    // A line per lookup would drown everything else; debug and trace bring them back.
    logController: new LogController({ disableRequestLogging: config.LOG_LEVEL !== 'debug' && config.LOG_LEVEL !== 'trace' }),
  });
  let redis: RedisClient | undefined;
  let bus: Bus | undefined;
  const closeShared = async (): Promise<void> => {
    await bus?.close().catch(() => undefined);
    redis?.disconnect();
  };
  try {
    // One Redis connection for the key store (admin writes, verifying keys not yet cached); the
    // edge keeps its own, whose short timeouts suit lookups and not key creation.
    redis = createRedis(effective, { name: 'repute-launcher', offlineQueue: true, commandTimeoutMs: 5000, log: app.log });
    const keys = createKeyStore(redis, { prefix: config.REDIS_KEY_PREFIX });
    bus = createBus(effective, app.log);

    // Registered once at the root so that every service sees them: one error format, one
    // metrics registry with one /healthz, /readyz and /metrics, one key cache.
    await app.register(problemPlugin);
    await app.register(observabilityPlugin);
    // Before any route, so every service's routes land in the one OpenAPI document.
    await app.register(analystDocsPlugin);
    // Before the auth hook: it turns TAXII clients' Basic credentials into the Bearer key.
    await app.register(analystTaxiiBasicAuthPlugin);
    await app.register(authPlugin, {
      keys,
      defaultRateLimitPerMinute: config.EDGE_RATE_LIMIT_PER_MINUTE,
      // The edge tails the update stream and hands revocations to the shared key cache.
      tailRevocations: false,
    });
    for (const service of services) await service.mount(app, { config: effective, keys, bus, correlator });
    await app.ready();
    const adminKey = await ensureAdminKey(keys, config.REPUTE_ADMIN_TENANT);
    await app.listen({ host: config.HOST, port: config.PORT });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.PORT;
    const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;

    let closing: Promise<void> | undefined;
    return {
      app,
      url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
      redisUrl,
      redisServer,
      correlator,
      adminKey,
      services,
      close() {
        closing ??= (async () => {
          app.readiness.markShuttingDown();
          if (config.SHUTDOWN_DRAIN_MS > 0) await new Promise((r) => setTimeout(r, config.SHUTDOWN_DRAIN_MS));
          try {
            await app.close();
          } finally {
            await correlator?.stop();
            await closeShared();
            await redisServer?.stop();
          }
        })();
        return closing;
      },
    };
  } catch (err) {
    await app.close().catch(() => undefined);
    await correlator?.stop();
    await closeShared();
    await redisServer?.stop();
    throw err;
  }
}
