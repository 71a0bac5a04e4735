import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { observabilityPlugin, problemPlugin } from '@repute/http';
import type { DnsAppConfig } from './config.ts';
import listenersPlugin from './plugins/listeners.ts';
import metricsPlugin from './plugins/metrics.ts';
import recordsPlugin from './plugins/records.ts';
import redisPlugin from './plugins/redis.ts';

export interface DnsAppOptions {
  config: DnsAppConfig;
  /** Serve without DNS when its port is taken, instead of failing (the one-machine launcher). */
  optionalBind?: boolean;
  /**
   * Whether /readyz checks this service's Redis connection (default true). The launcher turns it
   * off: there every service talks to the one Redis server its own `redis` check already reports.
   */
  redisReadiness?: boolean;
}

/**
 * The DNSBL/URIBL front end as a plugin: its HTTP side is only the shared health, readiness
 * and metrics; its answers go out over UDP and TCP on DNS_PORT. Its decorators are all `dns*`,
 * so a launcher can mount it beside the edge; they are visible to the parent (`dnsListening`
 * says where it listens, for the launcher's banner and for tests).
 */
async function dnsApp(fastify: FastifyInstance, opts: DnsAppOptions): Promise<void> {
  const { config } = opts;
  // Shared plugins.
  if (!fastify.hasPlugin('repute-problem')) await fastify.register(problemPlugin);
  if (!fastify.hasPlugin('repute-observability')) await fastify.register(observabilityPlugin);

  // Infra clients and the records answers come from.
  await fastify.register(metricsPlugin);
  await fastify.register(redisPlugin, { config, readiness: opts.redisReadiness ?? true });
  await fastify.register(recordsPlugin, { config });

  // The DNS listeners.
  await fastify.register(listenersPlugin, { config, ...(opts.optionalBind !== undefined ? { optionalBind: opts.optionalBind } : {}) });
}

export default fp(dnsApp, { name: 'repute-dns' });
