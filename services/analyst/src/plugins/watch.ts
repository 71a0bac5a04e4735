import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';
import type { AnalystConfig } from '../config.ts';
import { startWatchDispatcher, type WatchDispatcher } from '../watchlists/watch-dispatcher.ts';
import { createWebhookSender } from '../watchlists/webhook-sender.ts';

declare module 'fastify' {
  interface FastifyInstance {
    analystWatch: WatchDispatcher;
  }
}

/** Watchlist delivery: the update-stream tail, SSE fan-out and signed webhooks. */
async function watchPlugin(fastify: FastifyInstance, opts: { config: AnalystConfig }): Promise<void> {
  const config = opts.config;
  const outcomes = new Counter({ name: 'repute_analyst_webhooks_total', help: 'Watchlist webhook deliveries by outcome.', labelNames: ['outcome'], registers: [fastify.metrics] });
  const webhooks = createWebhookSender({
    maxAttempts: config.ANALYST_WEBHOOK_MAX_ATTEMPTS,
    baseDelayMs: config.ANALYST_WEBHOOK_BASE_DELAY_MS,
    timeoutMs: config.ANALYST_WEBHOOK_TIMEOUT_MS,
    maxPending: config.ANALYST_WEBHOOK_MAX_PENDING,
    allowPrivate: config.ANALYST_WEBHOOK_ALLOW_PRIVATE,
    onOutcome: (outcome) => outcomes.inc({ outcome }),
  });
  const range = await fastify.analystStore.updatesRange();
  const dispatcher = startWatchDispatcher({
    store: fastify.analystStore,
    redis: fastify.analystRedis,
    prefix: config.REDIS_KEY_PREFIX,
    watchlists: fastify.analystWatchlists,
    webhooks,
    since: range.last,
    onError: (err) => fastify.log.warn({ err }, 'watchlist delivery: update stream read failed'),
  });
  fastify.decorate('analystWatch', dispatcher);
  // Before the clients close: the tail reads on its own connection, the sender needs none.
  fastify.addHook('preClose', async () => {
    await dispatcher.stop();
    await webhooks.close();
  });
}

export default fp(watchPlugin, { name: 'repute-analyst-watch', dependencies: ['repute-analyst-clients'] });
