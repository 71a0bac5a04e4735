import { recordForTenant, type ReputationRecord } from '@repute/core';

/** Where a cached record keeps the records of the tenants that have a view of it. */
const BY_TENANT = Symbol('byTenant');

/**
 * A record as the edge caches it: the global record, never carrying `views`, and, when some
 * tenants have a view of it, each such tenant's record made once at decode time. The symbol
 * key keeps the map out of JSON and object spreads.
 */
export interface EdgeRecord extends ReputationRecord {
  [BY_TENANT]?: ReadonlyMap<string, ReputationRecord>;
}

/**
 * Turns a decoded record into what the cache holds. Most records have no views and come back
 * as they are; for the others the tenants' records are built here, so a lookup only picks one.
 */
export function edgeRecord(record: ReputationRecord): EdgeRecord {
  const views = record.views;
  if (views === undefined) return record;
  const global: EdgeRecord = recordForTenant(record, undefined);
  global[BY_TENANT] = new Map(Object.keys(views).map((tenant) => [tenant, recordForTenant(record, tenant)]));
  return global;
}

/**
 * The record `tenant` is answered with: its own view's record when it has one, else the global
 * record. Allocates nothing; for a record without views it is one property read.
 */
export function seenBy(record: EdgeRecord, tenant: string | undefined): ReputationRecord {
  const byTenant = record[BY_TENANT];
  if (byTenant === undefined || tenant === undefined) return record;
  return byTenant.get(tenant) ?? record;
}
