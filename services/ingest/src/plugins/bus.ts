import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createBus, failFastWhileDown, instrumentBus, type Bus } from '@repute/bus';
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

/**
 * The telemetry bus: created (or taken), instrumented, part of /readyz, closed with the app.
 * Once the bus is known down, telemetry is refused at once (503) rather than after the publish
 * timeout, and taken again as soon as a background probe finds the bus back.
 */
async function busPlugin(fastify: FastifyInstance, options: IngestBusOptions): Promise<void> {
  const { config } = options;
  const owned = options.bus === undefined;
  const raw = options.bus ?? createBus(config, fastify.log, {});
  // The probing ends with the app; a bus the launcher shares stays open for the others.
  const probing = new AbortController();
  const bus = instrumentBus(failFastWhileDown(raw, { log: fastify.log, signal: probing.signal }), fastify.metrics);
  fastify.decorate('ingest', { bus, config });
  fastify.readiness.add('ingest-bus', () => bus.ready());
  fastify.addHook('onClose', async () => {
    probing.abort();
    if (owned) await bus.close();
  });
}

export default fp(busPlugin, { name: 'repute-ingest-bus', fastify: '5.x', dependencies: ['repute-observability'] });
