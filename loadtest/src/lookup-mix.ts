import type { Indicator, IndicatorSets, Intent, Kind } from './indicators.ts';
import type { RequestSpec } from './load-spec.ts';

/**
 * Shares of the lookup mix. Most questions an edge gets are about things nobody has seen
 * (unknown) or about popular, known-good things (clean); a few percent hit something bad.
 */
export const INTENT_SHARES: Record<Intent, number> = { unknown: 0.7, clean: 0.22, malicious: 0.08 };
/** Files dominate agent traffic; gateways ask about URLs and domains; IPs come from firewalls. */
export const KIND_SHARES: Record<Kind, number> = { file: 0.45, url: 0.2, domain: 0.2, ip: 0.15 };

function pick<T extends string>(shares: Record<T, number>, u: number): T {
  let acc = 0;
  const entries = Object.entries(shares) as [T, number][];
  for (const [k, share] of entries) {
    acc += share;
    if (u < acc) return k;
  }
  return entries.at(-1)![0];
}

/** A deterministic sequence of indicators in the mix's proportions (a low-discrepancy walk, so short runs keep the shares). */
export function mixSequence(sets: IndicatorSets, count: number): Indicator[] {
  const pools = new Map<string, Indicator[]>();
  for (const i of [...sets.malicious, ...sets.clean, ...sets.unknown]) {
    const key = `${i.intent}/${i.kind}`;
    if (!pools.has(key)) pools.set(key, []);
    pools.get(key)!.push(i);
  }
  const cursor = new Map<string, number>();
  const out: Indicator[] = [];
  const golden = 0.6180339887498949;
  for (let n = 0; n < count; n++) {
    const intent = pick(INTENT_SHARES, (n * golden) % 1);
    const kind = pick(KIND_SHARES, (n * golden * golden * 7.1) % 1);
    // A kind a list lacks (no clean URLs) falls back to the unknown ones of that kind.
    const key = pools.has(`${intent}/${kind}`) ? `${intent}/${kind}` : `unknown/${kind}`;
    const pool = pools.get(key)!;
    const at = cursor.get(key) ?? 0;
    cursor.set(key, at + 1);
    out.push(pool[at % pool.length]!);
  }
  return out;
}

/** The public lookup path of one indicator. */
export function lookupPath(i: Indicator): string {
  switch (i.kind) {
    case 'file': return `/v1/reputation/file/${i.value}`;
    case 'url': return `/v1/reputation/url?url=${encodeURIComponent(i.value)}`;
    case 'domain': return `/v1/reputation/domain/${encodeURIComponent(i.value)}`;
    case 'ip': return `/v1/reputation/ip/${encodeURIComponent(i.value)}`;
  }
}

export function singleLookups(sequence: Indicator[]): RequestSpec[] {
  return sequence.map((i) => ({ method: 'GET', path: lookupPath(i) }));
}

export function batchLookups(sequence: Indicator[], size: number): RequestSpec[] {
  const out: RequestSpec[] = [];
  for (let at = 0; at + size <= sequence.length; at += size) {
    out.push({ method: 'POST', path: '/v1/reputation/batch', body: JSON.stringify({ indicators: sequence.slice(at, at + size).map((i) => ({ kind: i.kind, value: i.value })) }) });
  }
  return out;
}

/** How many of each intent and kind a sequence holds, for the report. */
export function describeMix(sequence: Indicator[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const i of sequence) {
    counts[i.intent] = (counts[i.intent] ?? 0) + 1;
    counts[i.kind] = (counts[i.kind] ?? 0) + 1;
  }
  return counts;
}
