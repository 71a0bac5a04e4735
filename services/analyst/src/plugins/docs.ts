import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { INDICATOR_SYNTAX, isIndicatorKind, PATH_SYNTAX, syntaxSchema, type IndicatorKind } from '@repute/core';

const TAXII = 'application/taxii+json;version=2.1';

/** The shape of every problem document (RFC 9457), for the generic 4XX/5XX answers. */
const GENERIC_PROBLEM = {
  description: 'A problem document',
  type: 'object',
  required: ['title', 'status'],
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' }, detail: { type: 'string' } },
  additionalProperties: true,
};

/** A querystring schema that admits unknown parameters and does not require those with defaults. */
function lenientQuery(query: Record<string, unknown>): Record<string, unknown> {
  const properties = (query['properties'] ?? {}) as Record<string, { default?: unknown }>;
  const required = ((query['required'] ?? []) as string[]).filter((name) => properties[name]?.default === undefined);
  const { additionalProperties: _ignored, required: _required, ...rest } = query;
  return { ...rest, ...(required.length > 0 ? { required } : {}) };
}

/** Tags by path for the routes of services that set none (the edge, its filters, ingest). */
const UNTAGGED: readonly (readonly [string, string])[] = [
  ['/v1/reputation', 'lookups'],
  ['/v1/filters', 'filters'],
  ['/v1/telemetry', 'telemetry'],
];

/** What a route's successful answers are, where it is not JSON. */
const SUCCESS_TYPES: Record<string, string[]> = {
  '/v1/feed/verdicts': ['text/event-stream'],
  '/v1/watchlists/events': ['text/event-stream'],
  '/v1/filters/:kind': ['application/octet-stream'],
  '/v1/feeds/:kind': ['text/plain', 'text/csv', 'application/stix+json;version=2.1'],
  '/v1/indicators/:kind/:value/export': ['application/stix+json;version=2.1', 'text/csv'],
};

/**
 * The document says what the service sends: errors are application/problem+json (TAXII
 * error resources under /taxii2/), TAXII answers application/taxii+json, streams and feeds their
 * own types; a route without a scope is public (no security requirement).
 */
function documentRoute({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  if (schema === undefined || (schema as { hide?: boolean }).hide === true) return { schema, url };
  const out: Record<string, unknown> = { ...schema };
  if ((route.config as { scope?: unknown } | undefined)?.scope === undefined) out['security'] = [];
  // Services that tag none of their routes are grouped by what they serve, not as "default".
  if ((schema as { tags?: string[] }).tags === undefined) {
    const tag = UNTAGGED.find(([prefix]) => url.startsWith(prefix))?.[1];
    if (tag !== undefined) out['tags'] = [tag];
  }
  // Unknown query parameters are ignored (a cache-buster must not fail a lookup), and one with
  // a default may be left out: the document says so.
  const query = (schema as { querystring?: Record<string, unknown> }).querystring;
  if (query !== undefined) out['querystring'] = lenientQuery(query);
  const responses = (schema as { response?: Record<string, unknown> }).response;
  if (responses !== undefined) {
    const typed: Record<string, unknown> = {};
    // Any request may meet the generic refusals (a bad key, a limit, a body or header too
    // large, a dependency away): every operation documents them as ranges.
    const all: Record<string, unknown> = { '4XX': GENERIC_PROBLEM, '5XX': GENERIC_PROBLEM, ...responses };
    for (const [code, response] of Object.entries(all)) {
      const r = response as { description?: string; content?: unknown };
      if (code === '204') {
        // @fastify/swagger's spelling of an answer without a body.
        typed[code] = { type: 'null', description: r.description ?? 'No content' };
        continue;
      }
      if (r.content !== undefined) {
        typed[code] = response;
        continue;
      }
      // Under /taxii2/ errors are TAXII error resources, except those Node's parser answers
      // before any route runs (431, a malformed request line), which are problem documents.
      const types = url.startsWith('/taxii2') ? (code.startsWith('4') ? [TAXII, 'application/problem+json'] : [TAXII])
        : /^[45]/.test(code) ? ['application/problem+json']
          : SUCCESS_TYPES[url] ?? ['application/json'];
      typed[code] = { description: r.description ?? (Number(code) >= 400 ? 'Problem' : 'Answer'), content: Object.fromEntries(types.map((t) => [t, { schema: response }])) };
    }
    out['response'] = typed;
  }
  return { schema: out as FastifySchema, url };
}

type Json = Record<string, unknown>;

/** The kinds a schema allows when it is the indicator-kind enum (either spelling), else null. */
function kindsOf(schema: unknown): IndicatorKind[] | null {
  if (typeof schema !== 'object' || schema === null) return null;
  const s = schema as { enum?: unknown[]; anyOf?: { enum?: unknown[]; const?: unknown }[] };
  const values = s.enum ?? s.anyOf?.flatMap((branch) => branch.enum ?? (branch.const === undefined ? [undefined] : [branch.const]));
  if (values === undefined || values.length === 0 || !values.every((v) => typeof v === 'string' && isIndicatorKind(v))) return null;
  return values as IndicatorKind[];
}

/**
 * An indicator's value is valid only for its kind (a hash, a URL, a domain ...), which one
 * `{kind}/{value}` schema cannot say. The document therefore spells each kind out: a path
 * `…/{kind}/{value}…` becomes one path per kind with that kind's value pattern, and a body
 * object of `kind` and `value` becomes a oneOf of one object per kind. The routes stay
 * generic; they check the same patterns (INDICATOR_SYNTAX), so the document is exact.
 */
function spellOutKinds(document: Json): Json {
  const paths = document['paths'] as Record<string, Record<string, Json>>;
  const out: Record<string, Record<string, Json>> = {};
  for (const [path, item] of Object.entries(paths)) {
    const first = Object.values(item).find((op) => Array.isArray(op['parameters'])) as { parameters?: Json[] } | undefined;
    const kinds = path.includes('{kind}') && path.includes('{value}') ? kindsOf(first?.parameters?.find((p) => p['name'] === 'kind' && p['in'] === 'path')?.['schema']) : null;
    if (kinds === null) {
      out[path] = Object.fromEntries(Object.entries(item).map(([method, op]) => [method, spellOutBody(op)]));
      continue;
    }
    for (const kind of kinds) {
      const perKind: Record<string, Json> = {};
      for (const [method, op] of Object.entries(item)) {
        const parameters = ((op['parameters'] ?? []) as Json[])
          .filter((p) => !(p['name'] === 'kind' && p['in'] === 'path'))
          .map((p) => (p['name'] === 'value' && p['in'] === 'path' ? { ...p, schema: syntaxSchema(PATH_SYNTAX[kind]), description: syntaxSchema(PATH_SYNTAX[kind]).description } : p));
        perKind[method] = spellOutBody({ ...op, parameters });
      }
      out[path.replace('{kind}', kind)] = perKind;
    }
  }
  return { ...document, paths: out };
}

function spellOutBody(op: Json): Json {
  const body = op['requestBody'] as { content?: Record<string, { schema?: unknown }> } | undefined;
  if (body?.content === undefined) return op;
  const content = Object.fromEntries(Object.entries(body.content).map(([type, media]) => [type, { ...media, schema: spellOutSchema(media.schema) }]));
  return { ...op, requestBody: { ...body, content } };
}

function spellOutSchema(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return schema;
  const s = schema as Json & { properties?: Record<string, Json>; items?: unknown };
  const props = s.properties;
  const kinds = props !== undefined && props['value'] !== undefined ? kindsOf(props['kind']) : null;
  if (kinds !== null && props !== undefined) {
    const { properties: _p, type: _t, ...rest } = s;
    return {
      oneOf: kinds.map((kind) => ({
        type: 'object', ...rest,
        properties: { ...props, kind: { type: 'string', enum: [kind] }, value: syntaxSchema(INDICATOR_SYNTAX[kind]) },
      })),
    };
  }
  const out: Json = { ...s };
  if (props !== undefined) out['properties'] = Object.fromEntries(Object.entries(props).map(([name, p]) => [name, spellOutSchema(p)]));
  if (s.items !== undefined) out['items'] = spellOutSchema(s.items);
  return out;
}

/**
 * OpenAPI 3 at /openapi.json and the docs UI at /docs, generated from the route schemas.
 * @fastify/swagger collects routes added after it, so a launcher mounting several services
 * registers this once, first, at the root; every service's routes then appear in one document.
 */
async function docsPlugin(fastify: FastifyInstance): Promise<void> {
  if (fastify.hasPlugin('@fastify/swagger')) return;
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Repute API', version: '1', description: 'Threat reputation: lookups, telemetry, analyst and partner APIs.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer <key>`.' },
          basic: { type: 'http', scheme: 'basic', description: 'TAXII clients: any user name, the API key as password.' },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: documentRoute,
    transformObject: (documentObject) => spellOutKinds((documentObject as { openapiObject: Json }).openapiObject),
  });
  await fastify.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
}

export default fp(docsPlugin, { name: 'repute-docs', fastify: '5.x' });
