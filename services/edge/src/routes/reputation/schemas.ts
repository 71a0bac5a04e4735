import { Type } from '@fastify/type-provider-typebox';
import { ProblemSchema } from '@repute/http';

const NullableString = Type.Unsafe<string | null>({ type: ['string', 'null'] });

export const AsOf = Type.Object({
  position: Type.String({ description: 'Update-stream position this answer reflects.' }),
  time: Type.String({ description: 'When this edge last confirmed it was current with the stream.' }),
});

const Reason = Type.Object({
  rule: Type.String(),
  weight: Type.Number(),
  evidence: Type.Optional(Type.Integer()),
  detail: Type.Optional(Type.String()),
});

const Matched = Type.Object({
  kind: Type.String(),
  value: Type.String({ description: 'The record that decided: the hash, URL expression, domain, IP or network.' }),
  role: Type.String({ description: 'exact, alias, expression, domain, parent, network or ip.' }),
});

const Overlay = Type.Object({
  list: Type.String({ description: 'allow or block.' }),
  kind: Type.String(),
  value: Type.String(),
  note: Type.Optional(Type.String()),
});

/** Counts across tenants, or, for what fewer than k tenants saw, only that (k-anonymity). */
const Prevalence = Type.Union([
  Type.Object({ sensors: Type.Integer(), tenants: Type.Integer() }),
  Type.Object({ suppressed: Type.Literal(true), fewer_than: Type.Integer({ description: 'k: fewer than this many tenants saw it.' }) }),
]);

/** Fields shared by a single answer and a batch hit. */
export const recordFields = {
  verdict: Type.String({ description: 'malicious, suspicious, clean or unknown.' }),
  score: Type.Optional(Type.Number()),
  confidence: Type.Optional(Type.Number()),
  categories: Type.Array(Type.String()),
  first_seen: NullableString,
  last_seen: NullableString,
  prevalence: Type.Optional(Prevalence),
  reasons: Type.Array(Reason),
  matched: Type.Optional(Matched),
  overlay: Type.Optional(Overlay),
  ttl: Type.Integer({ description: 'Seconds the answer may be cached (also in Cache-Control).' }),
};

export const RecordFields = Type.Object(recordFields);

export const Answer = Type.Object({
  kind: Type.String(),
  value: Type.String({ description: 'The canonical form of the indicator asked about.' }),
  ...recordFields,
  as_of: AsOf,
  degraded: Type.Boolean({ description: 'True when answered without Redis, from cache and filters only.' }),
});

/** The problem document every refusal is (RFC 9457). */
export const Problem = ProblemSchema;

export const BatchBody = Type.Object({
  indicators: Type.Array(
    Type.Object({ kind: Type.String({ maxLength: 32 }), value: Type.String({ maxLength: 16384 }) }),
    { maxItems: 1000, description: 'Up to 1000 indicators of any kind, answered in the same order.' },
  ),
});

export const BatchItem = Type.Object({
  status: Type.String({ description: 'found, unknown or invalid.' }),
  kind: Type.Optional(Type.String()),
  value: Type.Optional(Type.String()),
  verdict: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String({ description: 'Why an item is invalid.' })),
  code: Type.Optional(Type.String()),
  score: Type.Optional(Type.Number()),
  confidence: Type.Optional(Type.Number()),
  categories: Type.Optional(Type.Array(Type.String())),
  first_seen: Type.Optional(NullableString),
  last_seen: Type.Optional(NullableString),
  prevalence: Type.Optional(Prevalence),
  reasons: Type.Optional(Type.Array(Reason)),
  matched: Type.Optional(Matched),
  overlay: Type.Optional(Overlay),
  ttl: Type.Optional(Type.Integer()),
});

export const BatchAnswer = Type.Object({
  as_of: AsOf,
  degraded: Type.Boolean(),
  ttl: Type.Integer({ description: 'The smallest TTL of the items (also in Cache-Control).' }),
  counts: Type.Object({ found: Type.Integer(), unknown: Type.Integer(), invalid: Type.Integer() }),
  results: Type.Array(BatchItem),
});

export const PrefixAnswer = Type.Object({
  kind: Type.String(),
  prefix: Type.String(),
  truncated: Type.Boolean(),
  matches: Type.Array(Type.Object({ digest: Type.String(), verdict: Type.String() })),
  as_of: AsOf,
});
