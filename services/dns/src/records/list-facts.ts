import { VERDICT_RANK, recordForTenant, type ReputationRecord, type Verdict } from '@repute/core';

/** What a DNS answer needs of one record, as one tenant (or the global view) sees it. */
export interface ListFacts {
  verdict: Verdict;
  rank: number;
  categories: readonly string[];
  /** The reasons' rule ids, once each (two engines' detections are one rule), the TXT answer's short form. */
  rules: readonly string[];
  /** Seconds; 0 when the record carries none (the default TTL applies). */
  ttl: number;
}

/**
 * A record as the DNS cache holds it: the global facts and, for the few records with tenant
 * views, each such tenant's facts made once here. Holding these instead of decoded records
 * keeps a million cached entries in about a fifth of the memory (no prevalence, scores, dates
 * or evidence, which no DNS answer carries).
 */
export interface RecordFacts {
  global: ListFacts;
  views?: ReadonlyMap<string, ListFacts>;
}

function factsOf(record: ReputationRecord): ListFacts {
  return { verdict: record.verdict, rank: VERDICT_RANK[record.verdict], categories: record.categories, rules: [...new Set(record.reasons.map((r) => r.rule))], ttl: record.ttl };
}

/** Turns a decoded record into cached facts; the views go through recordForTenant, as the edge's answers do. */
export function recordFacts(record: ReputationRecord): RecordFacts {
  const views = record.views;
  const global = factsOf(recordForTenant(record, undefined));
  if (views === undefined) return { global };
  return { global, views: new Map(Object.keys(views).map((tenant) => [tenant, factsOf(recordForTenant(record, tenant))])) };
}

/** The facts `tenant` is answered with: its own view's when it has one, else the global ones. */
export function factsFor(facts: RecordFacts, tenant: string | undefined): ListFacts {
  if (tenant === undefined || facts.views === undefined) return facts.global;
  return facts.views.get(tenant) ?? facts.global;
}
