import type { TruthEntry } from '@repute/simulator';

export type IndicatorKind = 'file' | 'url' | 'domain' | 'ip';

export interface Story {
  role: string;
  campaign?: string;
  tags?: string[];
}

/**
 * What every indicator is, declared where the story creates it. Declaring is cheap and may
 * run ahead of the events: only indicators that end up in the stream become ground truth,
 * so the truth never asks about something no sensor reported.
 */
export interface Ledger {
  malicious(kind: IndicatorKind, value: string, story: Story & { campaign: string }): void;
  benign(kind: IndicatorKind, value: string, story: Story): void;
  /** Marks a benign indicator as a poisoning target; its earlier role stays as a tag. */
  poisoned(kind: IndicatorKind, value: string): void;
  has(kind: IndicatorKind, value: string): boolean;
  label(kind: IndicatorKind, value: string): TruthEntry['label'] | undefined;
  /** Ground truth for the indicators in `seen`, in declaration order; throws on any undeclared one. */
  truthFor(seen: ReadonlyMap<IndicatorKind, ReadonlySet<string>>): TruthEntry[];
}

const key = (kind: IndicatorKind, value: string): string => `${kind}\u0000${value}`;

export function createLedger(): Ledger {
  const entries = new Map<string, TruthEntry>();

  const declare = (entry: TruthEntry): void => {
    const k = key(entry.kind as IndicatorKind, entry.value);
    const earlier = entries.get(k);
    if (earlier === undefined) {
      entries.set(k, entry);
      return;
    }
    // One value, one truth: a second story about it must agree on the label.
    if (earlier.label !== entry.label) {
      throw new Error(`${entry.kind} ${entry.value} declared ${earlier.label} (${earlier.role}) and ${entry.label} (${entry.role})`);
    }
    if (earlier.role !== entry.role && !(earlier.tags ?? []).includes(entry.role)) earlier.tags = [...(earlier.tags ?? []), entry.role];
  };

  return {
    malicious(kind, value, story) {
      declare({ kind, value, label: 'malicious', role: story.role, campaign: story.campaign, ...(story.tags ? { tags: story.tags } : {}) });
    },
    benign(kind, value, story) {
      declare({ kind, value, label: 'benign', role: story.role, ...(story.tags ? { tags: story.tags } : {}) });
    },
    poisoned(kind, value) {
      const entry = entries.get(key(kind, value));
      if (entry === undefined || entry.label !== 'benign') throw new Error(`poisoning target ${kind} ${value} is not a declared benign indicator`);
      if (entry.role === 'poisoned') return;
      entry.tags = [entry.role, ...(entry.tags ?? []).filter((t) => t !== entry.role)];
      entry.role = 'poisoned';
    },
    has: (kind, value) => entries.has(key(kind, value)),
    label: (kind, value) => entries.get(key(kind, value))?.label,
    truthFor(seen) {
      const missing: string[] = [];
      for (const [kind, values] of seen) for (const v of values) if (!entries.has(key(kind, v))) missing.push(`${kind} ${v}`);
      if (missing.length > 0) throw new Error(`indicators without a story: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
      const out: TruthEntry[] = [];
      for (const entry of entries.values()) {
        if (seen.get(entry.kind as IndicatorKind)?.has(entry.value)) out.push(structuredClone(entry));
      }
      return out;
    },
  };
}
