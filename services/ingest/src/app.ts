import type { FastifyInstance } from 'fastify';
import type { Bus } from '@repute/bus';
import type { KeyStore } from '@repute/auth';
import { observabilityPlugin, problemPlugin } from '@repute/http';
import type { IngestConfig } from './config.ts';
import busPlugin from './plugins/bus.ts';
import authPlugin from './plugins/auth.ts';
import telemetryRoutes from './routes/telemetry/index.ts';

export interface IngestAppOptions {
  config: IngestConfig;
  /** Share a bus with other services in one process; created from config when absent. */
  bus?: Bus;
  /** Share a key store; created from config when absent. */
  keys?: KeyStore;
}

/** The ingest service as a plugin: mountable alone (server.ts) or beside others (the launcher). */
export default async function app(fastify: FastifyInstance, opts: IngestAppOptions): Promise<void> {
  const { config } = opts;
  // Both skip themselves when the launcher registered them already.
  await fastify.register(problemPlugin);
  await fastify.register(observabilityPlugin, { defaultLabels: { service: 'ingest' } });

  await fastify.register(busPlugin, { config, ...(opts.bus === undefined ? {} : { bus: opts.bus }) });
  await fastify.register(authPlugin, { config, ...(opts.keys === undefined ? {} : { keys: opts.keys }) });

  await fastify.register(telemetryRoutes, { config });
}
