import type { FastifyInstance } from 'fastify';
import type { CorrelatorProcess } from './correlator-child.ts';
import { mergeMetricsText } from './metrics-text.ts';

/**
 * The correlator's process as seen from the launcher's one port: its readiness is one of the
 * launcher's /readyz checks, and its metrics are merged into the launcher's on /metrics, as when
 * everything ran in one process.
 */
export function mountCorrelatorProcess(app: FastifyInstance, correlator: CorrelatorProcess): void {
  app.readiness.add('correlator', async () => await correlator.readiness());
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.routeOptions.url !== '/metrics' || typeof payload !== 'string') return payload;
    return mergeMetricsText(payload, await correlator.metrics());
  });
}
