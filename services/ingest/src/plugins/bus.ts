import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createBus, instrumentBus, type Bus } from '@repute/bus';
import type { IngestConfig } from '../config.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** What the ingest service mounted: its bus (instrumented) and settings. */
    ingest: { bus: Bus; config: IngestConfig };
  }
}

export interface IngestBusOptions {
  config: IngestConfig;
  /** A bus owned by the caller (a launcher sharing one); otherwise one is created from config and closed on close. */
  bus?: Bus;
}

/** The telemetry bus: created (or taken), instrumented, part of /readyz, closed with the app. */
async function busPlugin(fastify: FastifyInstance, options: IngestBusOptions): Promise<void> {
  const { config } = options;
  const owned = options.bus === undefined;
  const raw = options.bus ?? createBus(config, fastify.log, {});
  const bus = instrumentBus(raw, fastify.metrics);
  fastify.decorate('ingest', { bus, config });
  fastify.readiness.add('ingest-bus', () => bus.ready());
  if (owned) fastify.addHook('onClose', async () => { await bus.close(); });
}

export default fp(busPlugin, { name: 'repute-ingest-bus', fastify: '5.x', dependencies: ['repute-observability'] });
