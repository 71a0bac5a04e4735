import Type, { type Static } from 'typebox';

const Kind = Type.Union([Type.Literal('file'), Type.Literal('url'), Type.Literal('domain'), Type.Literal('ip'), Type.Literal('email')]);
const Verdict = Type.Union([Type.Literal('malicious'), Type.Literal('suspicious'), Type.Literal('clean'), Type.Literal('unknown')]);
const Score = Type.Integer({ minimum: 0, maximum: 100 });
const RelationWeight = Type.Number({ minimum: 0, maximum: 1 });

const Rule = Type.Object(
  {
    weight: Type.Number({ minimum: -200, maximum: 200 }),
    hard: Type.Optional(Type.Boolean()),
    maxCount: Type.Optional(Type.Integer({ minimum: 1 })),
    min: Type.Optional(Type.Integer({ minimum: 1 })),
    maxSensors: Type.Optional(Type.Integer({ minimum: 0 })),
    maxAgeHours: Type.Optional(Type.Number({ minimum: 0 })),
    minSensors: Type.Optional(Type.Integer({ minimum: 0 })),
    minTenants: Type.Optional(Type.Integer({ minimum: 0 })),
    maxTotal: Type.Optional(Type.Number({ minimum: 0 })),
    /** Share of an indicator's sensors that must have seen it with the neighbours testifying against it. */
    minShare: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    kinds: Type.Optional(Type.Array(Kind)),
  },
  { additionalProperties: false },
);

const Entries = Type.Object(
  {
    file: Type.Optional(Type.Array(Type.String())),
    url: Type.Optional(Type.Array(Type.String())),
    domain: Type.Optional(Type.Array(Type.String())),
    ip: Type.Optional(Type.Array(Type.String())),
    email: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

const ListRef = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }),
    /** A MISP warning-list JSON file (relative to the policy file) or a text file, one entry a line. */
    path: Type.Optional(Type.String()),
    entries: Type.Optional(Entries),
    /** Allow lists: the highest verdict a listed indicator may get ('clean' asserts clean). */
    cap: Type.Optional(Verdict),
  },
  { additionalProperties: false },
);

/** The policy file's schema (validated at start and on every reload). */
export const PolicySchema = Type.Object(
  {
    version: Type.String({ minLength: 1, maxLength: 64 }),
    description: Type.Optional(Type.String()),
    thresholds: Type.Object({ malicious: Score, suspicious: Score, clean: Score }, { additionalProperties: false }),
    halfLifeHours: Type.Object(
      { file: Type.Union([Type.Null(), Type.Number({ exclusiveMinimum: 0 })]), url: Type.Union([Type.Null(), Type.Number({ exclusiveMinimum: 0 })]), domain: Type.Union([Type.Null(), Type.Number({ exclusiveMinimum: 0 })]), ip: Type.Union([Type.Null(), Type.Number({ exclusiveMinimum: 0 })]), email: Type.Union([Type.Null(), Type.Number({ exclusiveMinimum: 0 })]) },
      { additionalProperties: false },
    ),
    rules: Type.Record(Type.String({ pattern: '^[a-z_]+(\\.[a-z_]+)?$' }), Rule),
    malicious: Type.Object({ requireHardEvidence: Type.Boolean(), minGraphNeighbours: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    propagation: Type.Object(
      {
        intervalMs: Type.Integer({ minimum: 50 }),
        maxDepth: Type.Integer({ minimum: 0, maximum: 4 }),
        attenuation: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
        maxFanout: Type.Integer({ minimum: 1 }),
        /** Above this many relations a node may still be scored but passes nothing on (MISP's correlation limit). */
        hubDegree: Type.Integer({ minimum: 1 }),
        /**
         * Weight per relation and direction: `out` follows the relation as recorded (file →
         * URL it was downloaded from, child process → parent), `in` walks it backwards. A bare
         * number applies to both directions; a missing direction carries nothing.
         */
        relations: Type.Record(Type.String(), Type.Union([RelationWeight, Type.Object({ out: Type.Optional(RelationWeight), in: Type.Optional(RelationWeight) }, { additionalProperties: false })])),
      },
      { additionalProperties: false },
    ),
    ttlSeconds: Type.Object({ malicious: Type.Integer({ minimum: 1 }), suspicious: Type.Integer({ minimum: 1 }), clean: Type.Integer({ minimum: 1 }), unknown: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    allowLists: Type.Array(ListRef),
    blockLists: Type.Array(ListRef),
  },
  { additionalProperties: false },
);

export type PolicyDocument = Static<typeof PolicySchema>;
export type PolicyRule = Static<typeof Rule>;
export type ListRefDocument = Static<typeof ListRef>;
