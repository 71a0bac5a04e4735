import { Type } from '@fastify/type-provider-typebox';
import { INDICATOR_KINDS, MAX_API_URL_LENGTH } from '@repute/core';
import { ProblemSchema } from '@repute/http';

/** The problem document every refusal is (RFC 9457). */
export const Problem = ProblemSchema;

/** The error answers every authenticated route may give. */
export const problems = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem, 429: Problem, 503: Problem };

export const Kind = Type.Union(INDICATOR_KINDS.map((k) => Type.Literal(k)), { description: 'Indicator kind.' });

/**
 * An indicator's text. Its pattern depends on the kind (INDICATOR_SYNTAX; the document spells
 * each kind out and the routes check it), so the schema bounds only the length: the longest
 * kind's, a URL's.
 */
export const IndicatorValue = Type.String({ minLength: 1, maxLength: MAX_API_URL_LENGTH, description: 'The indicator in its kind\'s syntax: a hash (MD5/SHA-1 resolve to a known SHA-256), URL, domain, IP or CIDR, e-mail.' });

export const IndicatorParams = Type.Object({ kind: Kind, value: IndicatorValue });

/**
 * A time: epoch milliseconds, or an ISO 8601 date or date-time (UTC or with an offset) from
 * 1971 to 2199, the range every answer can carry; the pattern is what parseTime accepts.
 */
export const Time = Type.String({
  minLength: 1, maxLength: 40,
  pattern: '^(?:[0-9]{1,13}|(?:197[1-9]|19[89][0-9]|2[01][0-9]{2})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])(?:T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,9})?)?(?:Z|[+-](?:0[0-9]|1[0-4]):[0-5][0-9])?)?)$',
  description: 'Epoch milliseconds, or an ISO 8601 date or date-time (UTC or with an offset), 1971-2199.',
});

export const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
export const NullableString = Type.Union([Type.String(), Type.Null()]);

export const Reason = Type.Object({
  rule: Type.String(),
  weight: Type.Number(),
  evidence: Type.Optional(Type.Integer()),
  detail: Type.Optional(Type.String()),
});

export const CrossTenant = Type.Object({
  suppressed: Type.Boolean({ description: 'True when fewer than k tenants contributed: then no count is given.' }),
  fewer_than: Type.Optional(Type.Integer({ description: 'Set when suppressed: "fewer than k tenants".' })),
  tenants: Type.Optional(Type.Integer()),
  sensors: Type.Optional(Type.Integer()),
  hosts: Type.Optional(Type.Integer()),
  events: Type.Optional(Type.Integer()),
});

export const Page = (max: number) => ({
  limit: Type.Integer({ minimum: 1, maximum: max, default: Math.min(100, max), description: `Items per page (at most ${max}).` }),
  offset: Type.Integer({ minimum: 0, maximum: 100_000, default: 0, description: 'Items to skip.' }),
});

/**
 * One server-sent event as a stream's 200 answer documents it (what OpenAPI clients and
 * schemathesis check each event against): its type, its id, and its data, a JSON document.
 */
export function SseEvent(types: readonly string[], data: string) {
  return Type.Object({
    event: Type.Optional(Type.Union(types.map((t) => Type.Literal(t)))),
    id: Type.Optional(Type.String()),
    data: Type.String({ description: data }),
    retry: Type.Optional(Type.Integer()),
  }, { description: 'text/event-stream, one event at a time' });
}
