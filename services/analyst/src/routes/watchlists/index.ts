import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { HTTP_URL_SYNTAX, syntaxSchema, type IndicatorKind } from '@repute/core';
import { ReputeError } from '@repute/http';
import { refusedWebhookHost } from '../../watchlists/webhook-target.ts';
import { badField, notFound, tenantLimit } from '../../analyst-error.ts';
import { resolveIndicator } from '../../indicators/resolve-indicator.ts';
import type { WatchEvent } from '../../watchlists/watch-dispatcher.ts';
import type { WatchedIndicator } from '../../watchlists/watchlist-store.ts';
import { IndicatorValue, Kind, problems, SseEvent } from '../schemas.ts';

/** Keys that may use these routes: a tenant's lookup key, a partner's or an analyst's. */
const CALLERS = ['lookup', 'partner', 'analyst'] as const;

const Name = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'Watchlist name, unique per tenant; `events` is reserved (the event stream).' });
const NameParams = Type.Object({ name: Name });

/**
 * `/v1/watchlists/events` is the event stream (GET); the router would hand PUT and DELETE on it
 * to the watchlist routes, which must not make a list the stream's path hides. The methods the
 * path has are the stream's, as its 405 answers say.
 */
async function reservedName(request: FastifyRequest<{ Params: { name: string } }>): Promise<void> {
  if (request.params.name !== 'events') return;
  const code = 'REPUTE_HTTP_METHOD_NOT_ALLOWED';
  throw new ReputeError({ code, status: 405, title: 'Method not allowed', detail: `${request.method} is not allowed on /v1/watchlists/events; allowed: GET, HEAD`, headers: { allow: 'GET, HEAD' } });
}

const WatchlistView = Type.Object({
  name: Type.String(),
  indicators: Type.Array(Type.Object({ kind: Type.String(), value: Type.String(), verdict: Type.String() })),
  webhook: Type.Union([Type.Object({ url: Type.String(), has_secret: Type.Boolean() }), Type.Null()]),
  updated_at: Type.String(),
});

const HEARTBEAT_MS = 15_000;

/**
 * Watchlists: a tenant names indicators to follow; verdict changes reach it as signed webhooks
 * and on a server-sent-events stream. Scoped to the caller's tenant, always (admin included):
 * a watchlist is a tenant's private interest.
 */
export default async function watchlistRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const config = fastify.analystConfig;
  const lists = fastify.analystWatchlists;
  const store = fastify.analystStore;
  const streams = new Set<FastifyReply>();

  async function checkWebhookUrl(url: string): Promise<void> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw badField('body.webhook.url', 'is not a URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw badField('body.webhook.url', 'must be http or https');
    if (parsed.username !== '' || parsed.password !== '') throw badField('body.webhook.url', 'must not carry credentials');
    if (config.ANALYST_WEBHOOK_ALLOW_PRIVATE) return;
    // A well-formed target the operator's policy forbids: 403, naming the field.
    const refused = await refusedWebhookHost(parsed.hostname);
    if (refused !== undefined) {
      const reason = `must not point at a loopback, private, link-local or metadata address (${refused})`;
      throw new ReputeError({ code: 'REPUTE_ANALYST_WEBHOOK_REFUSED', status: 403, title: 'Webhook target refused', detail: `body.webhook.url ${reason}`, extra: { errors: [{ field: 'body.webhook.url', reason }] } });
    }
  }

  async function viewOf(tenant: string, name: string) {
    const list = await lists.get(tenant, name);
    if (list === null) throw notFound(`no watchlist ${name}`, 'REPUTE_ANALYST_NO_WATCHLIST');
    const records = await store.getMany(list.indicators.map((i) => i.key));
    return {
      name: list.name,
      indicators: list.indicators.map((i, n) => ({ kind: i.kind, value: i.value, verdict: records[n]?.verdict ?? 'unknown' })),
      webhook: list.webhook === undefined ? null : { url: list.webhook.url, has_secret: list.webhook.secret !== '' },
      updated_at: list.updated_at,
    };
  }

  app.put('/v1/watchlists/:name', {
    config: { scope: CALLERS },
    preValidation: reservedName,
    schema: {
      tags: ['watchlists'], summary: 'Creates or replaces a watchlist of the caller’s tenant.',
      params: NameParams,
      body: Type.Object({
        indicators: Type.Array(Type.Object({ kind: Kind, value: IndicatorValue }, { additionalProperties: false }), { maxItems: config.ANALYST_WATCHLIST_MAX_INDICATORS }),
        webhook: Type.Optional(Type.Object({
          url: Type.Unsafe<string>(syntaxSchema(HTTP_URL_SYNTAX)),
          secret: Type.String({ minLength: 16, maxLength: 256, description: 'HMAC-SHA256 key for the X-Repute-Signature header; never returned.' }),
        }, { additionalProperties: false })),
      }, { additionalProperties: false }),
      response: { 200: WatchlistView, ...problems },
    },
  }, async (request) => {
    const tenant = request.principal!.tenant;
    const body = request.body;
    if (body.webhook !== undefined) await checkWebhookUrl(body.webhook.url);
    const indicators: WatchedIndicator[] = [];
    const seen = new Set<string>();
    for (const [n, i] of body.indicators.entries()) {
      const ref = await resolveIndicator(store, i.kind as IndicatorKind, i.value, `body.indicators[${n}].value`);
      if (seen.has(ref.key)) continue;
      seen.add(ref.key);
      indicators.push({ kind: ref.kind, value: ref.value, key: ref.key });
    }
    // Caps per tenant: a lookup key must not fill Redis with watchlists.
    const names = await lists.names(tenant);
    const others = names.filter((n) => n !== request.params.name);
    if (others.length >= config.ANALYST_TENANT_MAX_WATCHLISTS) {
      throw tenantLimit('params.name', `would be watchlist ${others.length + 1} of this tenant; at most ${config.ANALYST_TENANT_MAX_WATCHLISTS} are kept (delete one first)`);
    }
    let watched = indicators.length;
    for (const other of others) watched += (await lists.get(tenant, other))?.indicators.length ?? 0;
    if (watched > config.ANALYST_TENANT_MAX_WATCHED) {
      throw tenantLimit('body.indicators', `would make this tenant watch ${watched} indicators over its watchlists; at most ${config.ANALYST_TENANT_MAX_WATCHED}`);
    }
    await lists.put({ tenant, name: request.params.name, indicators, ...(body.webhook !== undefined ? { webhook: body.webhook } : {}), updated_at: new Date().toISOString() });
    return viewOf(tenant, request.params.name);
  });

  app.get('/v1/watchlists', {
    config: { scope: CALLERS },
    schema: { tags: ['watchlists'], summary: 'Names of the caller’s tenant’s watchlists.', response: { 200: Type.Object({ items: Type.Array(Type.String()) }), ...problems } },
  }, async (request) => ({ items: await lists.names(request.principal!.tenant) }));

  app.get('/v1/watchlists/events', {
    config: { scope: CALLERS },
    schema: {
      tags: ['watchlists'], summary: 'Server-sent events: one `verdict` event per change of a watched indicator of the caller’s tenant.',
      produces: ['text/event-stream'],
      response: { 200: SseEvent(['verdict'], 'A JSON WatchEvent.'), ...problems },
    },
  }, async (request, reply) => {
    const tenant = request.principal!.tenant;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    const send = (event: WatchEvent) => { res.write(`id: ${event.id}\nevent: verdict\ndata: ${JSON.stringify(event)}\n\n`); };
    const unsubscribe = fastify.analystWatch.subscribe(tenant, send);
    // Comments keep proxies from closing an idle stream.
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    streams.add(reply);
    const done = () => { clearInterval(heartbeat); unsubscribe(); streams.delete(reply); };
    res.on('close', done);
  });

  app.get('/v1/watchlists/:name', {
    config: { scope: CALLERS },
    schema: { tags: ['watchlists'], summary: 'A watchlist with the current verdict of each indicator.', params: NameParams, response: { 200: WatchlistView, ...problems } },
  }, async (request) => viewOf(request.principal!.tenant, request.params.name));

  app.delete('/v1/watchlists/:name', {
    config: { scope: CALLERS },
    preValidation: reservedName,
    schema: { tags: ['watchlists'], summary: 'Deletes a watchlist.', params: NameParams, response: { 204: Type.Null(), ...problems } },
  }, async (request, reply) => {
    if (!(await lists.remove(request.principal!.tenant, request.params.name))) throw notFound(`no watchlist ${request.params.name}`, 'REPUTE_ANALYST_NO_WATCHLIST');
    return reply.code(204).send(null);
  });

  // Open event streams would hold the server's close forever.
  fastify.addHook('preClose', async () => {
    for (const reply of streams) reply.raw.end();
  });
}
