import type { FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { badField } from '../../analyst-error.ts';
import { csvField } from '../../export/csv.ts';
import { CURSOR_MAX_LENGTH, CURSOR_PATTERN, decodeCursor, encodeCursor, maliciousFeed, type FeedItem } from '../../queries/feed-queries.ts';
import { stixBundle, toStixIndicator } from '../../stix/stix-indicator.ts';
import { Kind, problems, Time } from '../schemas.ts';
import { parseTime } from '../request-scope.ts';


/**
 * Feeds of malicious indicators per kind for partner tools: plain lines, CSV or a STIX 2.1
 * bundle. Pages follow the verdict log: `next` (also in the Link and X-Repute-Next-Cursor
 * headers) resumes after the last item, so a client polling with it sees each change once.
 */
export default async function feedRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const reader = fastify.analystReader;
  const pageMax = Math.max(fastify.analystConfig.ANALYST_PAGE_MAX, 1000);

  app.get('/v1/feeds/:kind', {
    config: { scope: 'partner' },
    schema: {
      tags: ['partner'], summary: 'Malicious indicators of a kind changed since a time: text (one per line), CSV or a STIX 2.1 bundle.',
      params: Type.Object({ kind: Kind }),
      querystring: Type.Object({
        since: Type.Optional(Time),
        format: Type.Union([Type.Literal('text'), Type.Literal('csv'), Type.Literal('stix')], { default: 'text' }),
        limit: Type.Integer({ minimum: 1, maximum: pageMax, default: pageMax }),
        cursor: Type.Optional(Type.String({
          pattern: CURSOR_PATTERN, maxLength: CURSOR_MAX_LENGTH,
          description: 'Where to resume: the X-Repute-Next-Cursor of the previous page, `<epoch ms>.<kind>.<digest>`, the position after the last item it served.',
        })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Union([
          Type.String({ description: 'text/plain or text/csv' }),
          Type.Object({ type: Type.Literal('bundle'), id: Type.String(), objects: Type.Array(Type.Object({}, { additionalProperties: true })) }, { description: 'application/stix+json;version=2.1' }),
        ]),
        ...problems,
      },
    },
  }, async (request, reply) => {
    const q = request.query;
    let after = { t: parseTime('querystring.since', q.since, 0), k: '', d: '' };
    if (q.cursor !== undefined) {
      const c = decodeCursor(q.cursor);
      // The schema admits only the cursor form; kept so that the handler never serves from nowhere.
      if (c === null) throw badField('querystring.cursor', 'is not a feed cursor');
      after = c;
    }
    const items: FeedItem[] = await maliciousFeed(reader, { kind: request.params.kind, after, limit: q.limit, includeRevoked: false });
    const last = items.at(-1);
    if (last !== undefined && items.length === q.limit) {
      const next = encodeCursor({ t: last.modified, k: last.kind, d: last.digest });
      void reply.header('x-repute-next-cursor', next).header('link', `</v1/feeds/${request.params.kind}?format=${q.format}&limit=${q.limit}&cursor=${next}>; rel="next"`);
    }
    // Bytes, so Fastify keeps the STIX media type exactly as written (no added charset).
    if (q.format === 'stix') return reply.header('content-type', 'application/stix+json;version=2.1').send(Buffer.from(JSON.stringify(stixBundle(items.map(toStixIndicator)))) as unknown as string);
    if (q.format === 'csv') {
      const lines = ['kind,value,verdict,score,first_malicious,modified', ...items.map((i) => [i.kind, i.value, i.verdict, String(i.score), new Date(i.created).toISOString(), new Date(i.modified).toISOString()].map(csvField).join(','))];
      return reply.type('text/csv; charset=utf-8').send(`${lines.join('\r\n')}\r\n`);
    }
    return reply.type('text/plain; charset=utf-8').send(items.map((i) => `${i.value}\n`).join(''));
  });
}
