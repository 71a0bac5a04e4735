import { SCORED_KINDS } from './evaluate.ts';
import { HUB_ROLES } from './infrastructure.ts';
import { referenceConvictions } from './reference-scorer.ts';
import { collectSightings, truthKey } from './sightings.ts';
import type { Scenario, TruthEntry } from './types.ts';

/** A labelled indicator the quality bench scores: one the stream named at least once. */
export interface PlannedIndicator {
  entry: TruthEntry;
  /** First event naming it (for a malicious one: its campaign's first event on it). */
  first: number;
  /** First event per tenant that named it. */
  tenants: Map<string, number>;
  /** Shared infrastructure or a popular benign indicator (see HUB_ROLES); poisoned ones are counted apart. */
  hub: boolean;
  poisoned: boolean;
  /** Last event of its campaign (malicious only): convicted by then is convicted while active. */
  campaignEnd?: number;
  /** When the naive reference scorer convicts it (first detection naming it), if ever. */
  referenceAt?: number;
}

/** One lookup of an indicator with one tenant's key, from the time that tenant first saw it. */
export interface ViewLookup {
  item: number;
  tenant: string;
  from: number;
}

/**
 * What the quality bench looks up, in three sets: every indicator in the global view (a key
 * of a tenant that sends nothing); the victims' view, each malicious indicator with the key of
 * every tenant that saw it and each benign one with the key of the first tenant that saw it
 * (not the attacker); and each poisoned indicator with the key of every tenant but the
 * attacker, where a `malicious` answer is a poisoning success.
 */
export interface QualityPlan {
  items: PlannedIndicator[];
  victims: ViewLookup[];
  poison: ViewLookup[];
  tenants: string[];
  attacker: string | undefined;
}

const HUBS = new Set<string>(HUB_ROLES);
const isHub = (t: TruthEntry): boolean => t.role !== 'poisoned' && (HUBS.has(t.role) || (t.tags ?? []).some((x) => HUBS.has(x)));

/** Plans the lookups of a scenario (see QualityPlan). */
export function planQuality(scenario: Scenario): QualityPlan {
  const sightings = collectSightings(scenario.events);
  const reference = referenceConvictions(scenario.events);
  const campaignEnd = new Map(scenario.campaigns.map((c) => [c.id, c.end]));
  const items: PlannedIndicator[] = [];
  for (const entry of scenario.truth) {
    if (!(SCORED_KINDS as readonly string[]).includes(entry.kind)) continue;
    const key = truthKey(entry.kind, entry.value);
    const s = sightings.get(key);
    if (s === undefined) continue;
    const end = entry.campaign !== undefined ? campaignEnd.get(entry.campaign) : undefined;
    const at = reference.get(key);
    items.push({
      entry,
      first: s.first,
      tenants: s.tenants,
      hub: entry.label === 'benign' && isHub(entry),
      poisoned: entry.role === 'poisoned',
      ...(end !== undefined ? { campaignEnd: end } : {}),
      ...(at !== undefined ? { referenceAt: at } : {}),
    });
  }
  const attacker = scenario.attacker;
  const victims: ViewLookup[] = [];
  const poison: ViewLookup[] = [];
  items.forEach((it, item) => {
    const seen = [...it.tenants].filter(([t]) => t !== attacker).sort((a, b) => a[1] - b[1]);
    if (it.entry.label === 'malicious') for (const [tenant, from] of seen) victims.push({ item, tenant, from });
    else if (seen[0] !== undefined) victims.push({ item, tenant: seen[0][0], from: seen[0][1] });
    if (it.poisoned) for (const tenant of scenario.tenants) if (tenant !== attacker) poison.push({ item, tenant, from: it.first });
  });
  return { items, victims, poison, tenants: scenario.tenants, attacker };
}
