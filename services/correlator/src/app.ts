import type { FastifyInstance } from 'fastify';
import { observabilityPlugin, problemPlugin } from '@repute/http';
import type { CorrelatorConfig } from './config.ts';
import { startWorker } from './worker.ts';

export interface CorrelatorAppOptions {
  config: CorrelatorConfig;
}

/**
 * The correlator as a Fastify plugin: the worker starts with the app and stops in onClose, and
 * the admin routes (/healthz, /readyz, /metrics) come from the observability plugin. A launcher
 * mounting several services registers this next to them.
 */
export default async function app(fastify: FastifyInstance, opts: CorrelatorAppOptions): Promise<void> {
  await fastify.register(problemPlugin);
  if (!fastify.hasDecorator('metrics')) await fastify.register(observabilityPlugin, { defaultLabels: { service: 'correlator' } });
  const worker = await startWorker(opts.config, fastify.log, fastify.metrics);
  fastify.readiness.add('correlator', () => worker.ready());
  const onHup = () => worker.reloadPolicy();
  process.on('SIGHUP', onHup);
  fastify.addHook('onClose', async () => {
    process.off('SIGHUP', onHup);
    await worker.close();
  });
}
