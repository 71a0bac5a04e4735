import type { IndicatorKind, Verdict } from '@repute/core';
import type { GraphEvidence, IndicatorState, PolymorphicDownloads, SourceClass, Word, WordCategory } from '../evidence/types.ts';
import { DETECTION_PREFIX, GRAPH_PREFIX, OVERRIDE_FIELD, POLYMORPHIC_FIELD, SITE_LISTING_PREFIX, TENANT_OVERRIDE_PREFIX, WORD_PREFIX } from './state-keys.ts';

/** An indicator's state as scoring input, plus what was last written for it. */
export interface DecodedState {
  state: IndicatorState;
  verdict: Verdict;
  /** The signature of the record last written (`rs`), to tell when its reasons or views went stale. */
  rules: string;
  /** When the record was last written for new counts alone (`rp`), epoch ms; 0 if never. */
  refreshedAt: number;
}

/** The state-hash field of a source's word through one tenant (see WORD_PREFIX). */
export function wordField(source: SourceClass, tenant: string, engine: string): string {
  return `${WORD_PREFIX}${source}|${encodeURIComponent(tenant)}|${engine}`;
}

/** The value of a word field (see WORD_PREFIX). */
export function wordValue(category: WordCategory, at: number, count: number, trusted: boolean): string {
  return `${category}|${at}|${count}|${trusted ? 1 : 0}`;
}

function parseWord(field: string, value: string): Word | undefined {
  const second = field.indexOf('|', WORD_PREFIX.length);
  const third = second < 0 ? -1 : field.indexOf('|', second + 1);
  if (third < 0) return undefined;
  const [category, at, count, trusted] = value.split('|');
  if (category === undefined || at === undefined) return undefined;
  let tenant: string;
  try {
    tenant = decodeURIComponent(field.slice(second + 1, third));
  } catch {
    return undefined;
  }
  return {
    source: field.slice(WORD_PREFIX.length, second) as SourceClass,
    tenant,
    engine: field.slice(third + 1),
    category: category as WordCategory,
    at: Number(at),
    count: Number(count ?? 1),
    trusted: trusted === '1',
  };
}

/** The state hash (HGETALL, flat) as scoring input. */
export function decodeState(kind: IndicatorKind, value: string, flat: unknown): DecodedState {
  const words: Word[] = [];
  const graph: GraphEvidence[] = [];
  let verdict: Verdict = 'unknown';
  let rules = '';
  let refreshedAt = 0;
  let stored: string | undefined;
  let firstSeen: string | undefined;
  let lastSeen: string | undefined;
  let sensors = 0;
  let tenants = 0;
  let signed = false;
  let override: string | undefined;
  let tenantOverrides: Record<string, { verdict: Verdict }> | undefined;
  let siteListers: string[] | undefined;
  let polymorphic: PolymorphicDownloads | undefined;
  const list: unknown[] = Array.isArray(flat) ? flat : [];
  // Read in place, with no pair array or map of fields: this runs for every indicator of every pass.
  for (let i = 0; i + 1 < list.length; i += 2) {
    const field = String(list[i]);
    const v = String(list[i + 1]);
    if (field.startsWith(WORD_PREFIX)) {
      const w = parseWord(field, v);
      if (w !== undefined) words.push(w);
    } else if (field.startsWith(DETECTION_PREFIX)) {
      // The earlier layout: hourly counts per engine, tenant unknown.
      const [, source, category, bucket, ...engine] = field.split('|');
      words.push({ source: source as SourceClass, tenant: '', engine: engine.join('|'), category: category as WordCategory, at: Number(bucket), count: Number(v), trusted: false });
    } else if (field.startsWith(GRAPH_PREFIX)) {
      try {
        graph.push(JSON.parse(v) as GraphEvidence);
      } catch {
        // A malformed contribution is dropped rather than failing the whole batch.
      }
    } else if (field.startsWith(SITE_LISTING_PREFIX)) {
      (siteListers ??= []).push(field.slice(SITE_LISTING_PREFIX.length));
    } else if (field.startsWith(TENANT_OVERRIDE_PREFIX)) {
      try {
        (tenantOverrides ??= {})[decodeURIComponent(field.slice(TENANT_OVERRIDE_PREFIX.length))] = JSON.parse(v) as { verdict: Verdict };
      } catch {
        // As with graph evidence: one malformed field never fails the batch.
      }
    } else {
      switch (field) {
        case 'vd': verdict = v as Verdict; break;
        case 'rs': rules = v; break;
        case 'rp': refreshedAt = Number(v); break;
        case 'v': stored = v; break;
        case 'fs': firstSeen = v; break;
        case 'ls': lastSeen = v; break;
        case 'cs': sensors = Number(v); break;
        case 'ct': tenants = Number(v); break;
        case 'sg': signed = v === '1'; break;
        case OVERRIDE_FIELD: override = v; break;
        case POLYMORPHIC_FIELD: polymorphic = parsePolymorphic(v); break;
      }
    }
  }
  return {
    verdict,
    rules,
    refreshedAt,
    state: {
      kind,
      value: stored ?? value,
      firstSeen: firstSeen === undefined ? Date.now() : Number(firstSeen),
      lastSeen: lastSeen === undefined ? Date.now() : Number(lastSeen),
      sensors,
      tenants,
      signed,
      words,
      graph,
      override: override === undefined ? undefined : (JSON.parse(override) as IndicatorState['override']),
      ...(tenantOverrides !== undefined ? { tenantOverrides } : {}),
      ...(siteListers !== undefined ? { siteListers } : {}),
      ...(polymorphic !== undefined ? { polymorphic } : {}),
    },
  };
}

/** A polymorphic-download finding, or undefined when the field is malformed (dropped, as graph evidence is). */
function parsePolymorphic(v: string): PolymorphicDownloads | undefined {
  try {
    const p = JSON.parse(v) as Partial<PolymorphicDownloads>;
    if (typeof p.files !== 'number' || typeof p.machines !== 'number' || !Array.isArray(p.tenants)) return undefined;
    return { files: p.files, machines: p.machines, tenants: p.tenants.map(String) };
  } catch {
    return undefined;
  }
}
