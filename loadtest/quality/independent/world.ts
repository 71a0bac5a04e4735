import type { Rng, SimEvent } from '@repute/simulator';
import { inWindow, type Clock } from './clock.ts';
import type { AddressAllocator } from './addresses.ts';
import type { Fleet } from './fleet.ts';
import type { Knowledge } from './knowledge.ts';
import type { Ledger } from './ledger.ts';
import type { NameRegistry } from './names.ts';

export type SensorEvent = SimEvent['event'];
export type FileRef = NonNullable<SensorEvent['file']>;
/** An event before it gets its id (ids are handed out in time order at the end). */
export type Draft = Omit<SensorEvent, 'v' | 'id'>;

/** An event waiting in the stream, with the tenant that sends it and the campaign it belongs to. */
export interface Pending {
  tenant: string;
  campaign?: string;
  draft: Draft;
}

/** A campaign as its story defines it; its times and reach are read off the stream at the end. */
export interface CampaignMeta {
  id: string;
  family: string;
  vector: 'download' | 'maldoc' | 'attachment' | 'phishing';
  primary: { kind: 'file' | 'url'; value: string };
}

/** Everything the stories share: randomness, time, the fleet, the name spaces, the truth and the engines. */
export interface World {
  readonly rng: Rng;
  readonly clock: Clock;
  readonly fleet: Fleet;
  readonly names: NameRegistry;
  readonly ips: AddressAllocator;
  readonly ledger: Ledger;
  readonly knowledge: Knowledge;
  readonly pending: Pending[];
  readonly campaigns: CampaignMeta[];
  /** Queues an event; one outside the window is dropped (a reaction that would come after the week). */
  emit(tenant: string, draft: Draft, campaign?: string): boolean;
}

export function createWorld(parts: Omit<World, 'pending' | 'campaigns' | 'emit'>): World {
  const pending: Pending[] = [];
  return {
    ...parts,
    pending,
    campaigns: [],
    emit(tenant, draft, campaign) {
      if (!inWindow(parts.clock, draft.time)) return false;
      pending.push(campaign === undefined ? { tenant, draft } : { tenant, campaign, draft });
      return true;
    },
  };
}
