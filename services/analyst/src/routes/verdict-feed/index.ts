import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { compareStreamIds } from '@repute/core';
import { ReputeError } from '@repute/http';
import { createVerdictFeed, type VerdictEvent } from '../../feed/verdict-feed.ts';
import { problems, SseEvent } from '../schemas.ts';

const HEARTBEAT_MS = 15_000;
const MAX_RECENT = 200;

/**
 * The analysts' live feed: every verdict change, as server-sent events, each as the caller's
 * tenant is answered (its own view where it has one: its evidence alone, or its own override).
 * The feed carries no other tenant's data: no sensors, hosts, counts or views.
 */
export default async function feedRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const feed = createVerdictFeed({
    store: fastify.analystStore,
    onError: (err) => fastify.log.warn({ err }, 'verdict feed: update stream read failed'),
  });
  const streams = new Set<FastifyReply>();

  app.get('/v1/feed/verdicts', {
    config: { scope: 'analyst' },
    schema: {
      tags: ['analyst'], summary: 'Server-sent events: one `verdict` event per record change from the moment of connecting, after the `recent` newest changes as `recent` events.',
      produces: ['text/event-stream'],
      querystring: Type.Object({
        recent: Type.Integer({ minimum: 0, maximum: MAX_RECENT, default: 0, description: `Send the newest changes first, up to ${MAX_RECENT}, oldest first, so a console opened now is not empty.` }),
      }, { additionalProperties: false }),
      response: { 200: SseEvent(['verdict', 'recent'], 'A JSON VerdictEvent (id, type, kind, value, digest, verdict, score, version, time).'), ...problems },
    },
  }, async (request, reply) => {
    let unsubscribe: () => void;
    const pending: VerdictEvent[] = [];
    let send = (event: VerdictEvent) => { pending.push(event); };
    try {
      unsubscribe = await feed.subscribe((event) => send(event));
    } catch (err) {
      throw new ReputeError({ code: 'REPUTE_ANALYST_FEED_UNAVAILABLE', status: 503, title: 'Feed unavailable', detail: 'the update stream cannot be read; retry shortly', retriable: true, cause: err });
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    // The comment tells the client it is subscribed: changes from here on will reach it.
    res.write(': connected\n\n');
    const tenant = request.principal!.tenant;
    const write = ({ byTenant, ...event }: VerdictEvent, type: 'verdict' | 'recent' = 'verdict'): void => {
      // A tenant with a view of its own is told its verdict; nobody learns another's.
      const own = byTenant?.[tenant];
      res.write(`id: ${event.id}\nevent: ${type}\ndata: ${JSON.stringify(own === undefined ? event : { ...event, verdict: own })}\n\n`);
    };
    // The newest changes first (live ones wait meanwhile); a change both read and heard is sent once.
    const recent = request.query.recent > 0 ? await feed.recent(request.query.recent).catch(() => []) : [];
    const newest = recent.at(-1)?.id;
    for (const event of recent) write(event, 'recent');
    for (const event of pending.splice(0)) if (newest === undefined || compareStreamIds(event.id, newest) > 0) write(event);
    send = (event) => write(event);
    // Comments keep proxies from closing an idle stream.
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    streams.add(reply);
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(reply);
    });
    request.log.debug({ feedSubscribers: feed.size() }, 'verdict feed subscriber');
  });

  // Open event streams would hold the server's close forever; the tail reads on its own connection.
  fastify.addHook('preClose', async () => {
    for (const reply of streams) reply.raw.end();
    await feed.stop();
  });
}
