import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ReputeError } from '@repute/http';
import { badField, notFound } from '../../analyst-error.ts';
import { decodeCursor, encodeCursor, maliciousFeed, type FeedCursor, type FeedItem } from '../../queries/feed-queries.ts';
import { stixIndicatorId, stixTime, toStixIndicator, uuidV5 } from '../../stix/stix-indicator.ts';
import { problems } from '../schemas.ts';

export const TAXII_TYPE = 'application/taxii+json;version=2.1';
export const STIX_TYPE = 'application/stix+json;version=2.1';
const API_ROOT = 'feeds';

// Sent as bytes: Fastify rewrites a JSON-like content type of a serialised body to
// `version="2.1"; charset=utf-8`, and TAXII clients compare the media type parameters literally.
const json = (body: unknown): Buffer => Buffer.from(JSON.stringify(body));
const taxii = (reply: FastifyReply): FastifyReply => reply.header('content-type', TAXII_TYPE);

/** One collection per kind plus one of every kind; ids are stable UUIDs. */
const COLLECTIONS = [
  { kind: '', title: 'Malicious indicators', description: 'Every indicator Repute holds malicious, all kinds.' },
  ...['file', 'url', 'domain', 'ip'].map((kind) => ({ kind, title: `Malicious ${kind} indicators`, description: `Indicators of kind ${kind} that Repute holds malicious.` })),
].map((c) => ({ ...c, id: uuidV5(`taxii-collection:${c.kind || 'all'}`) }));

const Loose = Type.Object({}, { additionalProperties: true });
const Collection = Type.Object({
  id: Type.String(), title: Type.String(), description: Type.String(),
  can_read: Type.Boolean(), can_write: Type.Boolean(), media_types: Type.Array(Type.String()),
});
const Envelope = Type.Object({ more: Type.Boolean(), next: Type.Optional(Type.String()), objects: Type.Array(Loose) });
const Manifest = Type.Object({
  more: Type.Boolean(), next: Type.Optional(Type.String()),
  objects: Type.Array(Type.Object({ id: Type.String(), date_added: Type.String(), version: Type.String(), media_type: Type.String() })),
});
const CollectionParams = Type.Object({ root: Type.String({ maxLength: 64 }), id: Type.String({ maxLength: 64 }) });
const ObjectsQuery = Type.Object({
  added_after: Type.Optional(Type.String({ maxLength: 40 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  next: Type.Optional(Type.String({ maxLength: 512 })),
  'match[type]': Type.Optional(Type.String({ maxLength: 200 })),
  'match[id]': Type.Optional(Type.String({ maxLength: 4000 })),
}, { additionalProperties: true });

/**
 * A read-only TAXII 2.1 server (OASIS TAXII 2.1 CS01): discovery, one API root, a collection
 * per indicator kind, objects with `added_after` and `limit`/`next` paging, and the manifest.
 * Partner keys authenticate as Bearer tokens or, as most TAXII clients send them, as HTTP
 * Basic with the key as password (see taxii-basic-auth.ts, registered ahead of the auth hook).
 */
export default async function taxiiRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const reader = fastify.analystReader;
  const pageMax = Math.max(fastify.analystConfig.ANALYST_PAGE_MAX, 100);

  fastify.addHook('onRequest', async (request) => {
    const accept = request.headers.accept;
    if (accept !== undefined && !/application\/taxii\+json|application\/json|\*\/\*|application\/\*/.test(accept)) {
      throw new ReputeError({ code: 'REPUTE_TAXII_NOT_ACCEPTABLE', status: 406, title: 'Not acceptable', detail: `this server answers ${TAXII_TYPE}` });
    }
  });

  const base = (request: FastifyRequest) => `${request.protocol}://${request.host}/taxii2/`;
  const collectionOf = (root: string, id: string) => {
    if (root !== API_ROOT) throw notFound(`no API root ${root}`, 'REPUTE_TAXII_NO_API_ROOT');
    const c = COLLECTIONS.find((x) => x.id === id);
    if (c === undefined) throw notFound(`no collection ${id}`, 'REPUTE_TAXII_NO_COLLECTION');
    return c;
  };
  const describe = (c: (typeof COLLECTIONS)[number]) => ({ id: c.id, title: c.title, description: c.description, can_read: true, can_write: false, media_types: [STIX_TYPE] });
  const common = { config: { scope: 'partner' as const } };

  async function page(kind: string, q: { added_after?: string | undefined; limit?: number | undefined; next?: string | undefined }) {
    let after: FeedCursor = { t: 0, k: '', d: '' };
    if (q.added_after !== undefined) {
      const t = Date.parse(q.added_after);
      if (Number.isNaN(t)) throw badField('querystring.added_after', 'must be an RFC 3339 timestamp');
      // added_after is exclusive at millisecond precision: step past the whole millisecond.
      after = { t, k: '\u{10ffff}', d: '' };
    }
    if (q.next !== undefined) {
      const c = decodeCursor(q.next);
      if (c === null) throw badField('querystring.next', 'is not a next value this server gave out');
      after = c;
    }
    const limit = Math.min(q.limit ?? pageMax, pageMax);
    const rows = await maliciousFeed(reader, { kind, after, limit: limit + 1, includeRevoked: true });
    const more = rows.length > limit;
    const items: FeedItem[] = more ? rows.slice(0, limit) : rows;
    const last = items.at(-1);
    return { items, more, ...(more && last !== undefined ? { next: encodeCursor({ t: last.modified, k: last.kind, d: last.digest }) } : {}) };
  }

  const filterMatch = (items: FeedItem[], q: Record<string, unknown>) => {
    const types = typeof q['match[type]'] === 'string' ? (q['match[type]'] as string).split(',') : null;
    const ids = typeof q['match[id]'] === 'string' ? new Set((q['match[id]'] as string).split(',')) : null;
    return items.filter((i) => (types === null || types.includes('indicator')) && (ids === null || ids.has(stixIndicatorId(i.kind, i.digest))));
  };

  const dateHeaders = (items: FeedItem[]) => (items.length === 0 ? {} : {
    'x-taxii-date-added-first': stixTime(items[0]!.modified),
    'x-taxii-date-added-last': stixTime(items.at(-1)!.modified),
  });

  app.get('/taxii2/', {
    ...common,
    schema: { tags: ['taxii'], summary: 'TAXII 2.1 discovery.', response: { 200: Type.Object({ title: Type.String(), description: Type.String(), default: Type.String(), api_roots: Type.Array(Type.String()) }), ...problems } },
  }, async (request, reply) => {
    const url = `${base(request)}${API_ROOT}/`;
    return taxii(reply).send(json({ title: 'Repute TAXII server', description: 'Malicious indicators from Repute as STIX 2.1.', default: url, api_roots: [url] }));
  });

  app.get('/taxii2/:root/', {
    ...common,
    schema: {
      tags: ['taxii'], summary: 'TAXII 2.1 API root.', params: Type.Object({ root: Type.String({ maxLength: 64 }) }),
      response: { 200: Type.Object({ title: Type.String(), description: Type.String(), versions: Type.Array(Type.String()), max_content_length: Type.Integer() }), ...problems },
    },
  }, async (request, reply) => {
    if (request.params.root !== API_ROOT) throw notFound(`no API root ${request.params.root}`, 'REPUTE_TAXII_NO_API_ROOT');
    return taxii(reply).send(json({ title: 'Repute feeds', description: 'Read-only collections of malicious indicators.', versions: [TAXII_TYPE], max_content_length: 10_485_760 }));
  });

  app.get('/taxii2/:root/collections/', {
    ...common,
    schema: { tags: ['taxii'], summary: 'TAXII 2.1 collections.', params: Type.Object({ root: Type.String({ maxLength: 64 }) }), response: { 200: Type.Object({ collections: Type.Array(Collection) }), ...problems } },
  }, async (request, reply) => {
    if (request.params.root !== API_ROOT) throw notFound(`no API root ${request.params.root}`, 'REPUTE_TAXII_NO_API_ROOT');
    return taxii(reply).send(json({ collections: COLLECTIONS.map(describe) }));
  });

  app.get('/taxii2/:root/collections/:id/', {
    ...common,
    schema: { tags: ['taxii'], summary: 'A TAXII 2.1 collection.', params: CollectionParams, response: { 200: Collection, ...problems } },
  }, async (request, reply) => taxii(reply).send(json(describe(collectionOf(request.params.root, request.params.id)))));

  app.get('/taxii2/:root/collections/:id/objects/', {
    ...common,
    schema: { tags: ['taxii'], summary: 'STIX objects of a collection (added_after, limit, next).', params: CollectionParams, querystring: ObjectsQuery, response: { 200: Envelope, ...problems } },
  }, async (request, reply) => {
    const c = collectionOf(request.params.root, request.params.id);
    const p = await page(c.kind, request.query);
    const items = filterMatch(p.items, request.query);
    return taxii(reply).headers(dateHeaders(p.items)).send(json({ more: p.more, ...(p.next !== undefined ? { next: p.next } : {}), objects: items.map(toStixIndicator) }));
  });

  app.get('/taxii2/:root/collections/:id/objects/:objectId/', {
    ...common,
    schema: {
      tags: ['taxii'], summary: 'One STIX object of a collection (its latest version).',
      params: Type.Object({ root: Type.String({ maxLength: 64 }), id: Type.String({ maxLength: 64 }), objectId: Type.String({ maxLength: 128 }) }),
      response: { 200: Envelope, ...problems },
    },
  }, async (request, reply) => {
    const c = collectionOf(request.params.root, request.params.id);
    // Objects are few per page; a bounded scan of the collection finds it without an id index.
    let cursor: string | undefined;
    for (let n = 0; n < 100; n++) {
      const p = await page(c.kind, { ...(cursor !== undefined ? { next: cursor } : {}), limit: pageMax });
      const hit = p.items.find((i) => stixIndicatorId(i.kind, i.digest) === request.params.objectId);
      if (hit !== undefined) return taxii(reply).headers(dateHeaders([hit])).send(json({ more: false, objects: [toStixIndicator(hit)] }));
      if (!p.more || p.next === undefined) break;
      cursor = p.next;
    }
    throw notFound(`no object ${request.params.objectId}`, 'REPUTE_TAXII_NO_OBJECT');
  });

  app.get('/taxii2/:root/collections/:id/manifest/', {
    ...common,
    schema: { tags: ['taxii'], summary: 'The manifest of a collection (added_after, limit, next).', params: CollectionParams, querystring: ObjectsQuery, response: { 200: Manifest, ...problems } },
  }, async (request, reply) => {
    const c = collectionOf(request.params.root, request.params.id);
    const p = await page(c.kind, request.query);
    const items = filterMatch(p.items, request.query);
    return taxii(reply).headers(dateHeaders(p.items)).send(json({
      more: p.more, ...(p.next !== undefined ? { next: p.next } : {}),
      objects: items.map((i) => ({ id: stixIndicatorId(i.kind, i.digest), date_added: stixTime(i.modified), version: toStixIndicator(i).modified, media_type: STIX_TYPE })),
    }));
  });
}
