import type { IndicatorKind, Reason, TenantView, Verdict } from '@repute/core';

/**
 * What kind of sensor said a word about an indicator. Each class has its own reliability
 * (policy `sources`, refined per engine by the measured estimates): an endpoint AV engine, a
 * sandbox detonation, a web filter (URL verdicts on visits), a mail gateway, a DNS firewall,
 * a network IPS.
 */
export const SOURCE_CLASSES = ['engine', 'sandbox', 'webfilter', 'mailgw', 'dnsfw', 'ips'] as const;
export type SourceClass = (typeof SOURCE_CLASSES)[number];

/** What a sensor's local engine said. `pua` counts as `suspicious`. */
export type WordCategory = 'malicious' | 'suspicious' | 'pua' | 'clean';

/**
 * A source's latest word on an indicator, as one tenant relayed it: a later word of the same
 * engine through the same tenant replaces the earlier one (a retracted false positive says
 * `clean` after `malicious`).
 */
export interface Word {
  source: SourceClass;
  engine: string;
  /** The tenant whose key sent it ('' for state written before words were kept per tenant). */
  tenant: string;
  category: WordCategory;
  /** Event time of the latest word, epoch ms. */
  at: number;
  /** Events behind it (every word of this engine through this tenant). */
  count: number;
  /** Sent with a key the operator marked trusted. */
  trusted: boolean;
}

/** Evidence recorded on an indicator by a propagation walk from a related one. */
export interface GraphEvidence {
  /** The neighbour the evidence arrives through (the last node before this one). */
  from: { kind: string; value: string; key: string };
  /** Record key of the indicator the walk started from (equal to `from.key` at one hop). */
  source?: string;
  /**
   * Record keys the evidence came from: the walk's source, the nodes it passed, and the origins
   * of the source's own graph evidence. A walk never records evidence on any of them, so
   * suspicion never returns to where it came from, through any cycle.
   */
  origins?: string[];
  /** Tenants whose evidence made the source what it is; `*` when a trusted source stands behind it. */
  tenants?: string[];
  rel: string;
  hops: number;
  /** Points (decibans), already attenuated per hop and split among the relay's neighbours. */
  weight: number;
  /** One hop from a convicted (`malicious`) source: distinct sensors that saw the relation. */
  convictedSensors?: number;
  /** Distinct sensors that saw the relation the evidence arrived over. */
  sensors?: number;
  /**
   * The evidence reached a host (domain or IP) over `hosted_on` and the host was shown to be
   * dedicated to what it serves (young, its URLs mostly accused), or reached an address over
   * `resolves_to` from a convicted name and most of the address's names are accused: it counts
   * as hard evidence.
   */
  dedicated?: boolean;
  /** Evidence recorded before `sensors` was kept with it: the target's count then. */
  targetSensors?: number;
}

/** What the correlator knows of an indicator: the scoring input. */
export interface IndicatorState {
  kind: IndicatorKind;
  value: string;
  firstSeen: number;
  lastSeen: number;
  /** Distinct sensors (scoped to their tenant) that saw it. */
  sensors: number;
  tenants: number;
  signed: boolean;
  words: Word[];
  graph: GraphEvidence[];
  /** Who set it and why stay in ClickHouse's audit; scoring needs the verdict only. */
  override?: { verdict: Verdict } | undefined;
  /**
   * Web filters (`webfilter|<engine>`) that list this URL's whole site: they flagged its home
   * page too, so their word on this page is a word on the site (see score-words.ts).
   */
  siteListers?: readonly string[];
  /** Tenants' own overrides, by tenant: each decides that tenant's view and nobody else's. */
  tenantOverrides?: Readonly<Record<string, { verdict: Verdict }>>;
  /** A URL that served a build of its own to each machine (server-side polymorphism). */
  polymorphic?: PolymorphicDownloads;
}

/**
 * What a URL served: `files` distinct unsigned files, most of them each on one machine, to
 * `machines` machines of `tenants`: what a dropper's distribution URL does so that no engine
 * has seen the next victim's build (AMICO's count of a URL's distinct hashes).
 */
export interface PolymorphicDownloads {
  files: number;
  machines: number;
  tenants: string[];
}

/**
 * Measured reliability of one engine, keyed `<source>|<engine>`, with the counts of settled
 * indicators it was measured on; a tenant's record as a reporter sits under
 * `reporter|<tenant>` (`labelledMalicious`: its early reports others confirmed,
 * `labelledBenign`: those on popular indicators nobody else accused).
 */
export type ReliabilityMap = ReadonlyMap<string, { tpr: number; fpr: number; labelledMalicious?: number; labelledBenign?: number }>;

/** The rule of a view that a tenant's own override decides. */
export const TENANT_OVERRIDE_RULE = 'override.tenant';

/** The source name under which tenants' records as reporters travel with the reliability map. */
export const REPORTER_SOURCE = 'reporter';

/** One piece of evidence behind a verdict (a record reason). */
export type { Reason, TenantView };

export interface Assessment {
  verdict: Verdict;
  /** 0-100: the posterior probability of `malicious`, in percent. */
  score: number;
  confidence: number;
  /** Posterior log-odds, decibans (10·log10 of the odds). */
  logOdds: number;
  reasons: Reason[];
  /** The policy's cache TTL for the verdict, seconds. */
  ttl: number;
  /** False when an allow list or override forbids passing suspicion on. */
  propagates: boolean;
  /**
   * Whether evidence from elsewhere may pass through this indicator to its other neighbours:
   * not when it is assessed clean, widespread or signed (explorer.exe relays nothing between
   * the programs it starts), nor when it may not propagate at all.
   */
  relays: boolean;
  /** Tenants whose evidence raised it (`*` for a trusted source or the operator's lists). */
  tenants: string[];
  /**
   * Views of tenants whose verdict differs from the global one: a tenant whose evidence alone
   * convicts sees `malicious` where everyone else sees `suspicious`.
   */
  views?: Record<string, TenantView>;
}
