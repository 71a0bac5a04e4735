import Type, { type Static } from 'typebox';

const Kind = Type.Union([Type.Literal('file'), Type.Literal('url'), Type.Literal('domain'), Type.Literal('ip'), Type.Literal('email')]);
const Verdict = Type.Union([Type.Literal('malicious'), Type.Literal('suspicious'), Type.Literal('clean'), Type.Literal('unknown')]);
/** Log-odds in decibans (10·log10 of the odds): +10 is a likelihood ratio of 10. */
const Decibans = Type.Number({ minimum: -200, maximum: 200 });
const RelationWeight = Type.Number({ minimum: 0, maximum: 1 });
const Rate = Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 });
const HalfLife = Type.Union([Type.Null(), Type.Number({ exclusiveMinimum: 0 })]);
const PerKind = <T extends Type.TSchema>(t: T) => Type.Object({ file: t, url: t, domain: t, ip: t, email: t }, { additionalProperties: false });

/** How reliable a class of source is: its detection rate and false-positive rate. */
const Reliability = Type.Object(
  {
    tpr: Rate,
    fpr: Rate,
    /** The kinds its words count for (a web filter's word on a file says little); all when absent. */
    kinds: Type.Optional(Type.Array(Kind)),
    /**
     * Its detection rate on a kind where that differs from `tpr`, configured or measured: a
     * sandbox detonating a URL misses the phishing kits that show a crawler a harmless page, so
     * its `clean` on a URL says far less than its `clean` on a file it ran.
     */
    tprByKind: Type.Optional(Type.Partial(PerKind(Rate))),
  },
  { additionalProperties: false },
);

const Rule = Type.Object(
  {
    weight: Decibans,
    hard: Type.Optional(Type.Boolean()),
    maxCount: Type.Optional(Type.Integer({ minimum: 1 })),
    min: Type.Optional(Type.Integer({ minimum: 1 })),
    maxSensors: Type.Optional(Type.Integer({ minimum: 0 })),
    maxAgeHours: Type.Optional(Type.Number({ minimum: 0 })),
    /** Hours between the first and the latest sighting it needs (popularity is sustained use, not a burst). */
    minSpanHours: Type.Optional(Type.Number({ minimum: 0 })),
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
    /**
     * `suffix` (default): a listed domain covers its subdomains. `exact`: only the listed names
     * themselves, for lists of providers whose subdomains belong to their customers (dynamic DNS).
     */
    match: Type.Optional(Type.Union([Type.Literal('suffix'), Type.Literal('exact')])),
  },
  { additionalProperties: false },
);

/** The policy file's schema (validated at start and on every reload). */
export const PolicySchema = Type.Object(
  {
    version: Type.String({ minLength: 1, maxLength: 64 }),
    description: Type.Optional(Type.String()),
    /** Posterior log-odds (decibans) at which each verdict starts; `clean` is at or below its value. */
    thresholds: Type.Object({ malicious: Decibans, suspicious: Decibans, clean: Decibans }, { additionalProperties: false }),
    /** Log-odds of `malicious` before any evidence, per kind: the base rate among what sensors see. */
    prior: PerKind(Decibans),
    halfLifeHours: PerKind(HalfLife),
    /**
     * Hours after the last evidence during which decaying evidence keeps its full weight, per
     * kind; the half-life runs from then (0 when absent). A lure sits in inboxes for a day: a URL
     * a sandbox convicted must still answer for the recipients who click it hours later.
     */
    holdHours: Type.Optional(Type.Partial(PerKind(Type.Number({ minimum: 0 })))),
    /** Configured reliability per class of source; measured estimates per engine refine it. */
    sources: Type.Object(
      { engine: Reliability, sandbox: Reliability, webfilter: Reliability, mailgw: Reliability, dnsfw: Reliability, ips: Reliability },
      { additionalProperties: false },
    ),
    /** Configured reliability of named engines (`<source>|<engine>`), used as the prior of their estimate. */
    engines: Type.Optional(Type.Record(Type.String(), Reliability)),
    /**
     * Engines agree more often than independent witnesses would (shared signatures, shared
     * packers): the n-th strongest word of a class counts `discount[n]` of its log-likelihood.
     */
    discount: Type.Array(Type.Number({ minimum: 0, maximum: 1 }), { minItems: 1, maxItems: 16 }),
    /**
     * Hosting platforms whose subdomains belong to their users, where the Public Suffix List's
     * private section lacks them: a listed platform (`weebly.com` in a top-sites list) never
     * covers a user's site on it (`paypal-login.weebly.com`).
     */
    userContentHosts: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9.-]+\\.[a-z0-9-]+$', maxLength: 253 }), { maxItems: 10_000 })),
    /**
     * Brands phishing sites impersonate, each with the domains that are its own, and the lure
     * words a phishing site's name pairs with a brand's (`lexical.brand_impersonation`).
     */
    impersonation: Type.Optional(Type.Object(
      {
        description: Type.Optional(Type.String()),
        brands: Type.Record(Type.String({ pattern: '^[a-z0-9]{2,40}$' }), Type.Array(Type.String({ pattern: '^[a-z0-9.-]+\\.[a-z0-9-]+$', maxLength: 253 }), { maxItems: 200 })),
        keywords: Type.Array(Type.String({ pattern: '^[a-z0-9]{1,40}$' }), { maxItems: 2000 }),
      },
      { additionalProperties: false },
    )),
    rules: Type.Record(Type.String({ pattern: '^[a-z_]+(\\.[a-z_]+)?$' }), Rule),
    malicious: Type.Object(
      {
        requireHardEvidence: Type.Boolean(),
        minGraphNeighbours: Type.Integer({ minimum: 1 }),
        /**
         * Independent tenants whose evidence a global `malicious` needs, unless a trusted source
         * or the operator's block list stands behind it; fewer convict in their own view only.
         */
        minTenants: Type.Integer({ minimum: 1 }),
        /**
         * A tenant with a record of early reports that others confirmed (at least `minConfirmed`,
         * at least `minShare` of its judged reports) counts as independent on its own, except on
         * what is widespread: its evidence convicts for everyone. Absent: no tenant does.
         */
        reporters: Type.Optional(Type.Object(
          { minConfirmed: Type.Integer({ minimum: 1 }), minShare: Type.Number({ minimum: 0, maximum: 1 }) },
          { additionalProperties: false },
        )),
      },
      { additionalProperties: false },
    ),
    propagation: Type.Object(
      {
        intervalMs: Type.Integer({ minimum: 50 }),
        maxDepth: Type.Integer({ minimum: 0, maximum: 4 }),
        attenuation: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
        maxFanout: Type.Integer({ minimum: 1 }),
        /** Above this many relations a node may still be scored but passes nothing on (MISP's correlation limit). */
        hubDegree: Type.Integer({ minimum: 1 }),
        /** How much of a `malicious` source's weight a `suspicious` one passes on. */
        suspiciousStrength: Type.Number({ minimum: 0, maximum: 1 }),
        /**
         * When a host (domain or IP) counts as dedicated to the URLs it serves, so that a
         * convicted URL convicts it: at least `minAccusedShare` of its URLs accused, and first
         * seen at most `maxAgeDays` ago. Otherwise (a compromised or shared site) the URL and
         * its path are convicted, never the host.
         */
        dedicatedHost: Type.Object(
          { minAccusedShare: Type.Number({ minimum: 0, maximum: 1 }), maxAgeDays: Type.Number({ minimum: 0 }) },
          { additionalProperties: false },
        ),
        /**
         * Server-side polymorphism (see `provenance.polymorphic`): every `intervalMs` the
         * correlator finds the URLs that first served, within the last `windowHours`, at least
         * `minFiles` distinct unsigned files, most of them on one machine each, to machines of at
         * least `minTenants` tenants. Absent: off.
         */
        polymorphic: Type.Optional(Type.Object(
          {
            intervalMs: Type.Integer({ minimum: 1000 }),
            windowHours: Type.Number({ exclusiveMinimum: 0 }),
            minFiles: Type.Integer({ minimum: 2 }),
            minTenants: Type.Integer({ minimum: 1 }),
          },
          { additionalProperties: false },
        )),
        /**
         * Machines as a relation (Polonium, Segugio; reference/correlation.md §9): a file or a
         * domain that first appeared on at least `minHosts` of the machines that saw a convicted
         * indicator, within `windowHours` of it on each, on machines of at least `minTenants`
         * tenants, and on few machines besides (those co-occurring machines at least `minShare`
         * of all that saw it), is what the same attack brought: a dropper's script, the
         * phishing kit's site, the C2 name. A domain must also be dedicated to accused pages
         * of its own (`dedicatedHost`). `weight` scales the `relation` rule's weight, as a
         * relation's weight does. A popular site or program those machines also used is seen on
         * many others and falls under `minShare`. Absent: off.
         */
        coHosted: Type.Optional(Type.Object(
          {
            weight: RelationWeight,
            windowHours: Type.Number({ exclusiveMinimum: 0 }),
            minHosts: Type.Integer({ minimum: 2 }),
            minTenants: Type.Integer({ minimum: 1 }),
            minShare: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
          },
          { additionalProperties: false },
        )),
        /**
         * Weight per relation and direction: `out` follows the relation as recorded (file →
         * URL it was downloaded from, child process → parent), `in` walks it backwards. A bare
         * number applies to both directions; a missing direction carries nothing.
         */
        relations: Type.Record(Type.String(), Type.Union([RelationWeight, Type.Object({ out: Type.Optional(RelationWeight), in: Type.Optional(RelationWeight) }, { additionalProperties: false })])),
      },
      { additionalProperties: false },
    ),
    /** A served record is rewritten at most this often for new prevalence or last-seen alone, ms. */
    refreshMs: Type.Integer({ minimum: 0 }),
    ttlSeconds: Type.Object({ malicious: Type.Integer({ minimum: 1 }), suspicious: Type.Integer({ minimum: 1 }), clean: Type.Integer({ minimum: 1 }), unknown: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    allowLists: Type.Array(ListRef),
    blockLists: Type.Array(ListRef),
  },
  { additionalProperties: false },
);

export type PolicyDocument = Static<typeof PolicySchema>;
export type PolicyRule = Static<typeof Rule>;
export type ListRefDocument = Static<typeof ListRef>;
export type SourceReliability = Static<typeof Reliability>;
