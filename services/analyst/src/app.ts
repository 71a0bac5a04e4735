import type { FastifyInstance } from 'fastify';
import { authPlugin } from '@repute/auth';
import { observabilityPlugin, problemPlugin } from '@repute/http';
import type { AnalystConfig } from './config.ts';
import clientsPlugin from './plugins/clients.ts';
import docsPlugin from './plugins/docs.ts';
import taxiiBasicAuthPlugin from './plugins/taxii-basic-auth.ts';
import watchPlugin from './plugins/watch.ts';
import consoleRoutes from './routes/console/index.ts';
import disputeRoutes from './routes/disputes/index.ts';
import feedRoutes from './routes/feeds/index.ts';
import huntRoutes from './routes/hunts/index.ts';
import indicatorRoutes from './routes/indicators/index.ts';
import overrideRoutes from './routes/overrides/index.ts';
import partnerRoutes from './routes/partner/index.ts';
import taxiiRoutes from './routes/taxii/index.ts';
import verdictFeedRoutes from './routes/verdict-feed/index.ts';
import watchlistRoutes from './routes/watchlists/index.ts';

export interface AnalystAppOptions {
  config: AnalystConfig;
}

/**
 * The analyst and partner service as a plugin: a launcher can mount it beside edge and ingest
 * (its decorators are all `analyst*`; the shared error, observability, auth and docs plugins
 * register once). For one OpenAPI document over every service, a launcher registers
 * `analystDocsPlugin` at the root before mounting the services.
 */
export default async function analystApp(fastify: FastifyInstance, opts: AnalystAppOptions): Promise<void> {
  const { config } = opts;
  // Ecosystem and shared plugins.
  if (!fastify.hasPlugin('repute-problem')) await fastify.register(problemPlugin);
  if (!fastify.hasPlugin('repute-observability')) await fastify.register(observabilityPlugin);
  await fastify.register(docsPlugin);

  // Infra clients.
  await fastify.register(clientsPlugin, { config });
  if (!fastify.hasPlugin('repute-taxii-basic-auth')) await fastify.register(taxiiBasicAuthPlugin);
  if (!fastify.hasPlugin('repute-auth')) await fastify.register(authPlugin, { keys: fastify.analystKeys });
  await fastify.register(watchPlugin, { config });

  // Routes.
  await fastify.register(indicatorRoutes);
  await fastify.register(huntRoutes);
  await fastify.register(overrideRoutes);
  await fastify.register(disputeRoutes);
  await fastify.register(watchlistRoutes);
  await fastify.register(feedRoutes);
  await fastify.register(partnerRoutes);
  await fastify.register(taxiiRoutes);
  await fastify.register(verdictFeedRoutes);

  // The web console over the routes above.
  await fastify.register(consoleRoutes);
}
