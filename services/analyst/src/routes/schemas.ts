import { Type } from '@fastify/type-provider-typebox';

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    retriable: Type.Optional(Type.Boolean()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), reason: Type.String() }))),
  },
  { additionalProperties: true, description: 'RFC 9457 problem document (application/problem+json).' },
);

/** The error answers every authenticated route may give. */
export const problems = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem, 429: Problem, 503: Problem };

export const Kind = Type.Union(['file', 'url', 'domain', 'ip', 'email'].map((k) => Type.Literal(k)), { description: 'Indicator kind.' });

export const IndicatorParams = Type.Object({
  kind: Kind,
  value: Type.String({ minLength: 1, maxLength: 4096, description: 'The indicator, URL-encoded: a hash (MD5/SHA-1 resolve to a known SHA-256), URL, domain, IP or CIDR, e-mail.' }),
});

export const Time = Type.String({ minLength: 1, maxLength: 40, description: 'ISO 8601 time or epoch milliseconds.' });

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
