import { IndicatorError, isVerdict, worstVerdict, type Verdict } from '@repute/core';
import type { Transport } from './http-transport.ts';
import type { Candidate, PreparedIndicator } from './candidates.ts';
import type { Answer, BatchResult } from './types.ts';
import { fromWire, maxAgeOf, type WireAsOf, type WireRecordFields } from './wire-answer.ts';

/** The service's answer with how long it may be cached (0: not at all). */
export interface RemoteAnswer {
  answer: Answer;
  cacheSeconds: number;
}

/** Most indicators one batch request may carry. */
export const MAX_BATCH = 1000;

const PREFIX_BYTES = 4;

function singlePath(p: PreparedIndicator): string | undefined {
  switch (p.kind) {
    case 'file':
      return `/v1/reputation/file/${p.value}`;
    case 'url':
      return `/v1/reputation/url?url=${encodeURIComponent(p.value)}`;
    case 'domain':
      return `/v1/reputation/domain/${encodeURIComponent(p.value)}`;
    case 'ip':
      // A network (CIDR) would put a slash into the path: it goes as a batch of one.
      return p.value.includes('/') ? undefined : `/v1/reputation/ip/${encodeURIComponent(p.value)}`;
  }
}

/** One lookup through the single-indicator routes. */
export async function remoteOne(transport: Transport, p: PreparedIndicator, attempts?: number): Promise<RemoteAnswer> {
  const path = singlePath(p);
  if (path === undefined) {
    const [only] = await remoteBatch(transport, [p], attempts);
    if (only !== undefined && isRemoteAnswer(only)) return only;
    const reason = only?.status === 'invalid' ? only.reason : 'not a valid indicator';
    throw new IndicatorError(only?.status === 'invalid' ? only.code : 'REPUTE_INDICATOR_INVALID', reason, p.value, { kind: p.kind });
  }
  const res = await transport.send({ path, ...(attempts !== undefined ? { attempts } : {}) });
  const wire = JSON.parse(res.body.toString('utf8')) as WireRecordFields & { value?: string; as_of?: WireAsOf; degraded?: boolean };
  const degraded = wire.degraded === true;
  const answer = fromWire(wire, { kind: p.kind, value: wire.value ?? p.value, ttl: 0, asOf: wire.as_of, degraded });
  const maxAge = maxAgeOf(res.headers.get('cache-control'));
  return { answer, cacheSeconds: degraded ? 0 : Math.min(maxAge ?? answer.ttl, answer.ttl) };
}

interface WireBatch {
  as_of?: WireAsOf;
  degraded?: boolean;
  ttl?: number;
  results: (WireRecordFields & { status: string; value?: string; code?: string; reason?: string })[];
}

/** Up to {@link MAX_BATCH} indicators in one request, answered in order. */
export async function remoteBatch(transport: Transport, items: readonly PreparedIndicator[], attempts?: number): Promise<(RemoteAnswer | BatchResult)[]> {
  const res = await transport.send({
    method: 'POST',
    path: '/v1/reputation/batch',
    json: { indicators: items.map((p) => ({ kind: p.kind, value: p.value })) },
    ...(attempts !== undefined ? { attempts } : {}),
  });
  const batch = JSON.parse(res.body.toString('utf8')) as WireBatch;
  const degraded = batch.degraded === true;
  const batchTtl = batch.ttl ?? 0;
  return items.map((p, i): RemoteAnswer | BatchResult => {
    const item = batch.results[i];
    if (item?.status === 'invalid') {
      return { status: 'invalid', kind: p.kind, value: p.value, code: item.code ?? 'REPUTE_INDICATOR_INVALID', reason: item.reason ?? 'not a valid indicator' };
    }
    // Unknown items carry no fields: the batch TTL (the smallest of its items) bounds them.
    const answer = fromWire(item ?? {}, { kind: p.kind, value: item?.value ?? p.value, ttl: batchTtl, asOf: batch.as_of, degraded });
    return { answer, cacheSeconds: degraded ? 0 : answer.ttl };
  });
}

/** Whether a batch entry is an answer (rather than an invalid item). */
export function isRemoteAnswer(x: RemoteAnswer | BatchResult): x is RemoteAnswer {
  return 'cacheSeconds' in x;
}

interface WirePrefix {
  truncated: boolean;
  matches: { digest: string; verdict: string }[];
  as_of?: WireAsOf;
}

async function prefixSearch(transport: Transport, kind: string, hex: string, attempts?: number): Promise<{ page: WirePrefix; maxAge: number | undefined }> {
  const res = await transport.send({ path: `/v1/reputation/prefix/${kind}/${hex}`, ...(attempts !== undefined ? { attempts } : {}) });
  return { page: JSON.parse(res.body.toString('utf8')) as WirePrefix, maxAge: maxAgeOf(res.headers.get('cache-control')) };
}

/**
 * A lookup that sends only 4-byte digest prefixes, one search per distinct prefix of the
 * candidates, and matches the full digests here: the service learns a bucket of roughly
 * (records / 2^32) indicators, not the one asked about. Only verdicts come back, so the answer
 * has no score, reasons or dates.
 */
export async function remotePrivate(transport: Transport, p: PreparedIndicator, candidates: readonly Candidate[], attempts?: number): Promise<RemoteAnswer> {
  const verdicts = new Map<string, Verdict>();
  let asOf: WireAsOf | undefined;
  let cacheSeconds = Number.MAX_SAFE_INTEGER;
  const searched = new Set<string>();
  for (const c of candidates) {
    const hex = c.digest.toString('hex');
    const prefix = `${c.kind}/${hex.slice(0, PREFIX_BYTES * 2)}`;
    if (searched.has(prefix)) continue;
    searched.add(prefix);
    let { page, maxAge } = await prefixSearch(transport, c.kind, hex.slice(0, PREFIX_BYTES * 2), attempts);
    if (page.truncated && !page.matches.some((m) => m.digest === hex)) {
      // A crowded bucket cut at its limit: narrow it once rather than miss a record.
      ({ page, maxAge } = await prefixSearch(transport, c.kind, hex.slice(0, PREFIX_BYTES * 4), attempts));
    }
    for (const m of page.matches) verdicts.set(`${c.kind}/${m.digest.toLowerCase()}`, isVerdict(m.verdict) ? m.verdict : 'unknown');
    asOf = page.as_of ?? asOf;
    cacheSeconds = Math.min(cacheSeconds, maxAge ?? 0);
  }
  let verdict: Verdict = 'unknown';
  let decided: Candidate | undefined;
  for (const c of candidates) {
    const v = verdicts.get(`${c.kind}/${c.digest.toString('hex')}`);
    if (v === undefined) continue;
    const worse = worstVerdict(verdict, v);
    if (decided === undefined || worse !== verdict) decided = c;
    verdict = worse;
  }
  if (cacheSeconds === Number.MAX_SAFE_INTEGER) cacheSeconds = 0;
  const answer = fromWire({ verdict, ttl: cacheSeconds }, { kind: p.kind, value: p.value, ttl: cacheSeconds, asOf, degraded: false });
  if (decided !== undefined) answer.matched = { kind: decided.kind, value: decided.label, role: decided.role };
  answer.source = 'prefix';
  return { answer, cacheSeconds };
}
