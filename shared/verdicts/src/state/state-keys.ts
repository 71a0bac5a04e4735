/**
 * State-hash fields of detections in the earlier layout, counted per hour:
 * `d|<engine|sandbox>|<category>|<bucket start ms>|<engine>`. Read, no longer written.
 */
export const DETECTION_PREFIX = 'd|';
/**
 * State-hash fields of words, one per source, tenant and engine, holding the latest:
 * `w|<source class>|<tenant, URI-encoded>|<engine>` = `<category>|<time ms>|<count>|<trusted 0|1>`.
 */
export const WORD_PREFIX = 'w|';
/** State-hash fields of graph evidence, one per source a propagation walk started from: `g|<source key>`. */
export const GRAPH_PREFIX = 'g|';
/**
 * State-hash fields of a URL's site listings, `l|<source class>|<engine>` = epoch ms of the
 * finding: that engine flagged the home page of the URL's site too, so its word on the URL is a
 * listing of the site. Written by propagation, which reads the site's home page.
 */
export const SITE_LISTING_PREFIX = 'l|';
/**
 * State-hash field of a URL that served a build of its own to each machine, JSON
 * `{ files, machines, tenants }` (see `PolymorphicDownloads`). Written by the correlator's
 * scan of the downloads in ClickHouse, rewritten on each scan that still finds it so.
 */
export const POLYMORPHIC_FIELD = 'pm';
/** State-hash field of the global override in force, set by the operator's curators (JSON `{ verdict }`). */
export const OVERRIDE_FIELD = 'o';
/**
 * State-hash fields of tenants' own overrides, `o|<tenant, URI-encoded>` = JSON `{ verdict }`:
 * each applies to its tenant's lookups only.
 */
export const TENANT_OVERRIDE_PREFIX = 'o|';

/**
 * Redis keys of an indicator's streaming state. Every key of one indicator shares a hash tag
 * (its record key), so the per-event script touches one slot on a Redis Cluster. Counters,
 * detections, graph evidence and the override share the one hash (`state`): the script reads
 * an indicator in one call.
 */
export function stateKeys(prefix: string, recordKey: string) {
  const base = `${prefix}corr:{${recordKey}}`;
  return {
    state: `${base}:s`,
    sensors: `${base}:hs`,
    tenants: `${base}:ht`,
    detectingSensors: `${base}:hds`,
    detectingTenants: `${base}:hdt`,
    /** Ids (hashed) of the events applied, per minute of event time. */
    dedup: (minute: number) => `${base}:d:${minute}`,
  };
}

/** Sorted set of indicators whose verdict changed, waiting for propagation. */
export function pendingPropagationKey(prefix: string): string {
  return `${prefix}corr:propagate`;
}
