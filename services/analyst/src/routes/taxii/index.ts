import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ReputeError } from '@repute/http';
import { badField, notFound } from '../../analyst-error.ts';
import { decodeCursor, encodeCursor, LATEST_POSITION_MS, maliciousFeed, type FeedCursor, type FeedItem } from '../../queries/feed-queries.ts';
import { stixIndicatorId, stixTime, toStixIndicator, uuidV5 } from '../../stix/stix-indicator.ts';
import { acceptsTaxii21 } from './accept.ts';
import { CollectionParams, ObjectParams, ObjectsQuery, RootParams, VersionsQuery } from './parameters.ts';
import { sendTaxiiError, TAXII_TYPE, taxiiErrorHandler, taxiiErrors } from './taxii-error.ts';

export { TAXII_TYPE } from './taxii-error.ts';
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
const Versions = Type.Object({ more: Type.Boolean(), next: Type.Optional(Type.String()), versions: Type.Array(Type.String()) });
const Manifest = Type.Object({
  more: Type.Boolean(), next: Type.Optional(Type.String()),
  objects: Type.Array(Type.Object({ id: Type.String(), date_added: Type.String(), version: Type.String(), media_type: Type.String() })),
});

/**
 * A read-only TAXII 2.1 server (OASIS TAXII 2.1 CS01): discovery, one API root, a collection
 * per indicator kind, objects with `added_after` and `limit`/`next` paging, object versions and
 * the manifest; adds and deletes are refused with 403 (`can_write` is false). Partner keys
 * authenticate as Bearer tokens or, as most TAXII clients send them, as HTTP Basic with the key
 * as password (see taxii-basic-auth.ts, registered ahead of the auth hook).
 */
export default async function taxiiRoutes(fastify: FastifyInstance): Promise<void> {
  // Under a prefix so that this scope owns the not-found answers of /taxii2/ as well as its
  // errors: TAXII clients get TAXII error resources there, the rest of the API problem+json.
  await fastify.register(taxiiApi, { prefix: '/taxii2' });
}

async function taxiiApi(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const reader = fastify.analystReader;
  const pageMax = Math.max(fastify.analystConfig.ANALYST_PAGE_MAX, 100);

  // A method with a body (QUERY) on a TAXII path is refused before routing: still a 404 or 405.
  fastify.setErrorHandler((error: Parameters<typeof taxiiErrorHandler>[0], request, reply) => (request.is404 ? unrouted(request, reply) : taxiiErrorHandler(error, request, reply)));

  fastify.addHook('onRequest', async (request) => {
    if (!acceptsTaxii21(request.headers.accept)) {
      throw new ReputeError({ code: 'REPUTE_TAXII_NOT_ACCEPTABLE', status: 406, title: 'Not acceptable', detail: `this server answers ${TAXII_TYPE} only` });
    }
  });

  // A TAXII resource asked with a method it lacks is a 405 naming the ones it has; any other path is a 404.
  function unrouted(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const path = request.url.split('?')[0] ?? '';
    const allowed = ['GET', 'HEAD', 'POST', 'DELETE'].filter((method) => fastify.findRoute({ method, url: path }) !== null);
    if (allowed.length > 0) {
      return sendTaxiiError(reply, 405, { title: 'Method not allowed', description: `${request.method} is not allowed on ${path}`, error_id: String(request.id), error_code: 'REPUTE_TAXII_METHOD_NOT_ALLOWED', http_status: '405' }, { allow: allowed.join(', ') });
    }
    return sendTaxiiError(reply, 404, { title: 'Not found', description: `no TAXII resource ${path}`, error_id: String(request.id), error_code: 'REPUTE_TAXII_NOT_FOUND', http_status: '404' });
  }
  fastify.setNotFoundHandler(unrouted);

  const base = (request: FastifyRequest) => `${request.protocol}://${request.host}/taxii2/`;
  const collectionOf = (root: string, id: string) => {
    if (root !== API_ROOT) throw notFound(`no API root ${root}`, 'REPUTE_TAXII_NO_API_ROOT');
    const c = COLLECTIONS.find((x) => x.id === id);
    if (c === undefined) throw notFound(`no collection ${id}`, 'REPUTE_TAXII_NO_COLLECTION');
    return c;
  };
  const describe = (c: (typeof COLLECTIONS)[number]) => ({ id: c.id, title: c.title, description: c.description, can_read: true, can_write: false, media_types: [STIX_TYPE] });
  const common = { config: { scope: 'partner' as const } };

  /** Where a page starts: after `next` when given, else after `added_after`, else at the start. */
  function start(q: { added_after?: string | undefined; next?: string | undefined }): FeedCursor {
    let after: FeedCursor = { t: 0, k: '', d: '' };
    if (q.added_after !== undefined) {
      const t = Date.parse(q.added_after);
      if (Number.isNaN(t)) throw badField('querystring.added_after', 'must be an RFC 3339 timestamp');
      // added_after is exclusive at millisecond precision: step past the whole millisecond.
      // Held between the epoch and the latest time a cursor can name (2286), where every item lies:
      // the query turns it into a DateTime64, whose range ends in 2299.
      after = { t: Math.min(Math.max(t, -1), LATEST_POSITION_MS), k: '\u{10ffff}', d: '' };
    }
    if (q.next !== undefined) {
      const c = decodeCursor(q.next);
      if (c === null) throw badField('querystring.next', 'is not a next value this server gave out');
      after = c;
    }
    return after;
  }

  async function page(kind: string, q: { added_after?: string | undefined; limit?: number | undefined; next?: string | undefined }) {
    const after = start(q);
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

  /** The latest version of an object in a collection, or a 404. */
  async function findObject(kind: string, objectId: string): Promise<FeedItem> {
    // Objects are few per page; a bounded scan of the collection finds it without an id index.
    let cursor: string | undefined;
    for (let n = 0; n < 100; n++) {
      const p = await page(kind, { ...(cursor !== undefined ? { next: cursor } : {}), limit: pageMax });
      const hit = p.items.find((i) => stixIndicatorId(i.kind, i.digest) === objectId);
      if (hit !== undefined) return hit;
      if (!p.more || p.next === undefined) break;
      cursor = p.next;
    }
    throw notFound(`no object ${objectId}`, 'REPUTE_TAXII_NO_OBJECT');
  }

  /**
   * Adds and deletes (TAXII 2.1 §5.5, §5.8) on a collection that exists: always 403, since every
   * collection is read-only. Run as the routes' onRequest hook, so the body is never read and a
   * client learns it may not write whatever it sent.
   */
  const refuseWrite = async (request: FastifyRequest): Promise<never> => {
    const { root, id } = request.params as { root: string; id: string };
    const c = collectionOf(root, id);
    throw new ReputeError({ code: 'REPUTE_TAXII_READ_ONLY', status: 403, title: 'Collection is read-only', detail: `collection ${c.id} has can_write false: objects cannot be added or deleted` });
  };

  app.get('/', {
    ...common,
    // Only /taxii2/, the address clients are given; /taxii2 stays unrouted as before.
    prefixTrailingSlash: 'slash',
    schema: { tags: ['taxii'], summary: 'TAXII 2.1 discovery.', response: { 200: Type.Object({ title: Type.String(), description: Type.String(), default: Type.String(), api_roots: Type.Array(Type.String()) }), ...taxiiErrors } },
  }, async (request, reply) => {
    const url = `${base(request)}${API_ROOT}/`;
    return taxii(reply).send(json({ title: 'Repute TAXII server', description: 'Malicious indicators from Repute as STIX 2.1.', default: url, api_roots: [url] }));
  });

  app.get('/:root/', {
    ...common,
    schema: {
      tags: ['taxii'], summary: 'TAXII 2.1 API root.', params: RootParams,
      response: { 200: Type.Object({ title: Type.String(), description: Type.String(), versions: Type.Array(Type.String()), max_content_length: Type.Integer() }), ...taxiiErrors },
    },
  }, async (request, reply) => {
    if (request.params.root !== API_ROOT) throw notFound(`no API root ${request.params.root}`, 'REPUTE_TAXII_NO_API_ROOT');
    return taxii(reply).send(json({ title: 'Repute feeds', description: 'Read-only collections of malicious indicators.', versions: [TAXII_TYPE], max_content_length: 10_485_760 }));
  });

  app.get('/:root/collections/', {
    ...common,
    schema: { tags: ['taxii'], summary: 'TAXII 2.1 collections.', params: RootParams, response: { 200: Type.Object({ collections: Type.Array(Collection) }), ...taxiiErrors } },
  }, async (request, reply) => {
    if (request.params.root !== API_ROOT) throw notFound(`no API root ${request.params.root}`, 'REPUTE_TAXII_NO_API_ROOT');
    return taxii(reply).send(json({ collections: COLLECTIONS.map(describe) }));
  });

  app.get('/:root/collections/:id/', {
    ...common,
    schema: { tags: ['taxii'], summary: 'A TAXII 2.1 collection.', params: CollectionParams, response: { 200: Collection, ...taxiiErrors } },
  }, async (request, reply) => taxii(reply).send(json(describe(collectionOf(request.params.root, request.params.id)))));

  app.get('/:root/collections/:id/objects/', {
    ...common,
    schema: { tags: ['taxii'], summary: 'STIX objects of a collection (added_after, limit, next).', params: CollectionParams, querystring: ObjectsQuery, response: { 200: Envelope, ...taxiiErrors } },
  }, async (request, reply) => {
    const c = collectionOf(request.params.root, request.params.id);
    const p = await page(c.kind, request.query);
    const items = filterMatch(p.items, request.query);
    return taxii(reply).headers(dateHeaders(p.items)).send(json({ more: p.more, ...(p.next !== undefined ? { next: p.next } : {}), objects: items.map(toStixIndicator) }));
  });

  app.post('/:root/collections/:id/objects/', {
    ...common,
    onRequest: refuseWrite,
    schema: { tags: ['taxii'], summary: 'Add objects: refused with 403, every collection is read-only (can_write false).', params: CollectionParams, response: taxiiErrors },
  }, refuseWrite);

  app.get('/:root/collections/:id/objects/:objectId/', {
    ...common,
    schema: { tags: ['taxii'], summary: 'One STIX object of a collection (its latest version).', params: ObjectParams, response: { 200: Envelope, ...taxiiErrors } },
  }, async (request, reply) => {
    const c = collectionOf(request.params.root, request.params.id);
    const hit = await findObject(c.kind, request.params.objectId);
    return taxii(reply).headers(dateHeaders([hit])).send(json({ more: false, objects: [toStixIndicator(hit)] }));
  });

  app.delete('/:root/collections/:id/objects/:objectId/', {
    ...common,
    onRequest: refuseWrite,
    schema: { tags: ['taxii'], summary: 'Delete an object: refused with 403, every collection is read-only (can_write false).', params: ObjectParams, response: taxiiErrors },
  }, refuseWrite);

  app.get('/:root/collections/:id/objects/:objectId/versions/', {
    ...common,
    schema: {
      tags: ['taxii'], summary: 'The versions of a STIX object this collection holds, oldest first (added_after, limit, next).',
      params: ObjectParams, querystring: VersionsQuery, response: { 200: Versions, ...taxiiErrors },
    },
  }, async (request, reply) => {
    const c = collectionOf(request.params.root, request.params.id);
    const after = start(request.query);
    const hit = await findObject(c.kind, request.params.objectId);
    // A collection holds the latest version of each object (what objects/ and manifest/ serve),
    // added when its verdict last changed: the same version and date_added as the manifest's.
    const held = [hit].filter((v) => v.modified > after.t);
    const limit = Math.min(request.query.limit ?? pageMax, pageMax);
    const items = held.slice(0, limit);
    const more = held.length > limit;
    const last = items.at(-1);
    return taxii(reply).headers(dateHeaders(items)).send(json({
      more, ...(more && last !== undefined ? { next: encodeCursor({ t: last.modified, k: last.kind, d: last.digest }) } : {}),
      versions: items.map((v) => toStixIndicator(v).modified),
    }));
  });

  app.get('/:root/collections/:id/manifest/', {
    ...common,
    schema: { tags: ['taxii'], summary: 'The manifest of a collection (added_after, limit, next).', params: CollectionParams, querystring: ObjectsQuery, response: { 200: Manifest, ...taxiiErrors } },
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
