import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { LOOKUP_KINDS } from '@repute/core';
import { ReputeError } from '@repute/http';
import { compareStreamIds, isStreamId, isTrimmedPast } from '@repute/store';
import { Problem } from '../reputation/schemas.ts';

const Kind = Type.Union(LOOKUP_KINDS.map((k) => Type.Literal(k)));
const problems = { 400: Problem, 401: Problem, 403: Problem, 429: Problem };

/** Filters for agents: signed snapshots, the updates after a snapshot, and the signing key. */
export default async function filterRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const config = { scope: 'lookup' as const };

  app.get('/v1/filters/public-key', {
    schema: {
      summary: 'The Ed25519 public key that signs filter snapshots',
      response: { 200: Type.Object({ algorithm: Type.Literal('Ed25519'), format: Type.Literal('spki-pem'), public_key: Type.String() }) },
    },
  }, async () => ({ algorithm: 'Ed25519' as const, format: 'spki-pem' as const, public_key: fastify.edgeSigning.publicKeyPem }));

  app.get('/v1/filters/:kind', {
    config,
    schema: {
      summary: 'Binary bloom-filter snapshot of a kind (header: version, kind, m, k, count, stream position, content hash, signature)',
      params: Type.Object({ kind: Kind }),
      response: { 200: Type.Unsafe<Buffer>({ type: 'string', contentMediaType: 'application/octet-stream' }), 304: Type.Null(), ...problems, 503: Problem },
    },
  }, async (request, reply) => {
    const snapshot = fastify.edgeFilters.snapshot(request.params.kind);
    if (snapshot === undefined) {
      throw new ReputeError({ code: 'REPUTE_EDGE_FILTER_NOT_READY', status: 503, title: 'Filter not loaded yet', retriable: true, headers: { 'retry-after': '5' } });
    }
    const etag = `"${snapshot.contentHash.slice(0, 32)}-${snapshot.position}"`;
    void reply
      .header('etag', etag)
      .header('cache-control', 'private, max-age=60')
      .header('x-repute-stream-position', snapshot.position)
      .header('x-repute-content-hash', `sha256:${snapshot.contentHash}`)
      .header('x-repute-signature', `ed25519:${snapshot.signature}`);
    const match = request.headers['if-none-match'];
    if (match?.split(',').some((t) => t.trim() === etag)) return reply.code(304).send(null);
    return reply.type('application/octet-stream').send(snapshot.bytes);
  });

  app.get('/v1/filters/:kind/tenant', {
    config,
    schema: {
      summary: "The caller tenant's own block and allow entries of a kind, as filter digests",
      description: 'An agent answering from its filter sends any lookup with a candidate in `block` (or an address in `block_networks`) to the service: a tenant block decides even indicators with no global record, which the filter does not hold.',
      params: Type.Object({ kind: Kind }),
      response: {
        200: Type.Object({
          kind: Type.String(),
          block: Type.Array(Type.String({ description: 'Hex digest, as the filter of this kind holds it.' })),
          allow: Type.Array(Type.String()),
          block_networks: Type.Array(Type.String({ description: 'CIDR range (kind ip).' })),
          allow_networks: Type.Array(Type.String()),
        }),
        304: Type.Null(),
        ...problems,
      },
    },
  }, async (request, reply) => {
    const tenant = request.principal?.tenant ?? '';
    const f = fastify.edgeOverlays.filter(tenant, request.params.kind);
    void reply.header('etag', f.etag).header('cache-control', 'private, no-cache');
    const match = request.headers['if-none-match'];
    if (match?.split(',').some((t) => t.trim() === f.etag)) return reply.code(304).send(null);
    return { kind: f.kind, block: f.block, allow: f.allow, block_networks: f.blockNetworks, allow_networks: f.allowNetworks };
  });

  app.get('/v1/filters/:kind/updates', {
    config,
    schema: {
      summary: 'Additions and removals of a kind after a stream position (409 past the newest, 410 no longer kept: take a new snapshot)',
      params: Type.Object({ kind: Kind }),
      querystring: Type.Object({ since: Type.String({ maxLength: 39, pattern: '^[0-9]{1,19}(?:-[0-9]{1,19})?$', description: 'A stream position from a snapshot or an earlier answer.' }), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 10_000 })) }),
      response: {
        200: Type.Object({
          kind: Type.String(),
          since: Type.String(),
          position: Type.String({ description: 'Pass as `since` next time.' }),
          more: Type.Boolean({ description: 'True when more updates wait after `position`.' }),
          additions: Type.Array(Type.String({ description: 'Hex digest to add.' })),
          removals: Type.Array(Type.String({ description: 'Hex digest whose record was removed.' })),
        }),
        ...problems,
        409: Problem,
        410: Problem,
        503: Problem,
      },
    },
  }, async (request, reply) => {
    const { kind } = request.params;
    const { since } = request.query;
    const limit = request.query.limit ?? 10_000;
    if (!isStreamId(since)) {
      throw new ReputeError({ code: 'REPUTE_EDGE_BAD_POSITION', status: 400, title: 'Invalid stream position', detail: 'since must be a stream position such as "1700000000000-0" (from the X-Repute-Stream-Position header)' });
    }
    let entries;
    try {
      const range = await fastify.edgeStore.updatesRange();
      // A position the stream has not reached was never handed out: answering it with nothing
      // would leave the agent waiting for updates it already missed. Well-formed, but at odds
      // with the stream as it stands: 409, and the snapshot to start again from.
      if (compareStreamIds(since, range.last) > 0) {
        throw new ReputeError({
          code: 'REPUTE_EDGE_POSITION_AHEAD', status: 409, title: 'Position ahead of the stream',
          detail: `${since} is past the newest update (${range.last}); take positions from a snapshot or an earlier answer`,
          extra: { errors: [{ field: 'querystring.since', reason: 'is past the newest update' }], snapshot: `/v1/filters/${kind}`, newest_position: range.last },
        });
      }
      if (isTrimmedPast(range, since)) {
        throw new ReputeError({
          code: 'REPUTE_EDGE_POSITION_EXPIRED', status: 410, title: 'Position no longer retained',
          detail: `updates after ${since} are no longer kept; download a new snapshot from /v1/filters/${kind}`,
          extra: { snapshot: `/v1/filters/${kind}`, oldest_position: range.first },
        });
      }
      entries = await fastify.edgeStore.readUpdates(since, limit);
    } catch (err) {
      if (err instanceof ReputeError) throw err;
      throw new ReputeError({ code: 'REPUTE_EDGE_UNAVAILABLE', status: 503, title: 'Updates unavailable', detail: 'the update stream cannot be reached; retry shortly', retriable: true, cause: err, headers: { 'retry-after': '1' } });
    }
    const additions: string[] = [];
    const removals: string[] = [];
    for (const e of entries) {
      if (e.kind !== kind || e.digest === undefined) continue;
      if (e.op === 'put' || e.op === 'alias') additions.push(e.digest);
      else if (e.op === 'del') removals.push(e.digest);
    }
    void reply.header('cache-control', 'no-store');
    return { kind, since, position: entries.length > 0 ? entries[entries.length - 1]!.id : since, more: entries.length === limit, additions, removals };
  });
}
