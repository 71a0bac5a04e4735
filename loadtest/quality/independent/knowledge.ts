import type { IndicatorKind } from './ledger.ts';

export type Category = 'malicious' | 'suspicious' | 'pua' | 'clean' | 'unknown';

/** What one engine believes about one indicator from `from` on (until `until` when it takes it back). */
export interface Belief {
  category: Category;
  name?: string;
  from: number;
  until?: number;
}

/**
 * The signature and blocklist databases of every engine. Stories write into it (a vendor
 * learns a campaign's C2 domain some hours after it starts, an ML engine wrongly lists a
 * popular tool), devices read from it when they report, so a verdict shows up in the
 * stream only when and where the engine actually has it.
 */
export interface Knowledge {
  learn(engine: string, kind: IndicatorKind, value: string, belief: Belief): void;
  /** The belief in force at `time`, if any. */
  at(engine: string, kind: IndicatorKind, value: string, time: number): Belief | undefined;
  /** Every belief of `engine` about the value, in order of `from`. */
  all(engine: string, kind: IndicatorKind, value: string): readonly Belief[];
}

export function createKnowledge(): Knowledge {
  const beliefs = new Map<string, Belief[]>();
  const key = (engine: string, kind: IndicatorKind, value: string): string => `${engine}\u0000${kind}\u0000${value}`;
  return {
    learn(engine, kind, value, belief) {
      const k = key(engine, kind, value);
      const list = beliefs.get(k) ?? [];
      list.push(belief);
      list.sort((a, b) => a.from - b.from);
      beliefs.set(k, list);
    },
    at(engine, kind, value, time) {
      const list = beliefs.get(key(engine, kind, value));
      if (list === undefined) return undefined;
      let found: Belief | undefined;
      for (const b of list) if (b.from <= time && (b.until === undefined || time < b.until)) found = b;
      return found;
    },
    all: (engine, kind, value) => beliefs.get(key(engine, kind, value)) ?? [],
  };
}
