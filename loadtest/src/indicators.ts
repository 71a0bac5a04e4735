import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Kind = 'file' | 'url' | 'domain' | 'ip';
export type Intent = 'malicious' | 'clean' | 'unknown';

/** One indicator value of the lookup mix and what the seeding made of it. */
export interface Indicator {
  kind: Kind;
  value: string;
  intent: Intent;
}

/** The indicators a run seeds and asks for. */
export interface IndicatorSets {
  /** Imported as a deny list: the edge answers malicious. */
  malicious: Indicator[];
  /** Imported as an allow list: the edge answers clean. */
  clean: Indicator[];
  /** Never seeded: the edge answers unknown (almost always from the bloom filter alone). */
  unknown: Indicator[];
  /** Where the values came from, for the report. */
  sources: string[];
}

// The feeds are live threat data: every value stays a string here, nothing is resolved or fetched.
function lines(path: string, limit: number): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!')).slice(0, limit);
}

function mispList(path: string, limit: number): string[] {
  if (!existsSync(path)) return [];
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { list?: unknown[] };
  return (doc.list ?? []).filter((v): v is string => typeof v === 'string').slice(0, limit);
}

/** A deterministic pseudo-random sequence, so that two runs ask for the same values. */
function stream(seed: string): () => Buffer {
  let n = 0;
  return () => createHash('sha256').update(`${seed}:${n++}`).digest();
}

const hex64 = /^[0-9a-f]{64}$/i;
const hex40 = /^[0-9a-f]{40}$/i;
const hex32 = /^[0-9a-f]{32}$/i;
const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Real indicator values from the shared test data where it is present (malicious feeds,
 * top-site and public-DNS warning lists for clean and unknown values), synthetic ones where
 * it is not, so the load test runs on a bare checkout too.
 */
export function loadIndicators(dataDir: string, size: number): IndicatorSets {
  const sources: string[] = [];
  const take = (label: string, values: string[]): string[] => {
    if (values.length > 0) sources.push(`${label} (${values.length})`);
    return values;
  };
  const bl = join(dataDir, 'blocklist-recommendations', 'lists');
  const rm = (f: string) => join(dataDir, `romainmarcoux-malicious-${f}`);
  const misp = (name: string) => join(dataDir, 'misp-warninglists', 'lists', name, 'list.json');
  const rnd = stream('repute-loadtest');

  const badSha256 = take('blocklist-recommendations sha256', lines(join(bl, 'sha256.txt'), size).filter((v) => hex64.test(v)));
  const badMd5 = take('romainmarcoux md5', lines(join(rm('hash'), 'full-hash-md5-aa.txt'), size / 4).filter((v) => hex32.test(v)));
  const badSha1 = take('romainmarcoux sha1', lines(join(rm('hash'), 'full-hash-sha1-aa.txt'), size / 4).filter((v) => hex40.test(v)));
  const badDomains = take('romainmarcoux domains', lines(join(rm('domains'), 'full-domains-aa.txt'), size));
  const badIps = take('romainmarcoux ip', lines(join(rm('ip'), 'full-aa.txt'), size).filter((v) => ipv4.test(v)));
  const badUrls = take('blocklist-recommendations urls', lines(join(bl, 'urls.txt'), size).filter((v) => /^https?:\/\//.test(v)));
  const goodDomains = take('MISP tranco10k', mispList(misp('tranco10k'), size));
  const goodIps = take('MISP public-dns-v4', mispList(misp('public-dns-v4'), size).filter((v) => ipv4.test(v)));
  const goodFiles = take('MISP common-ioc-false-positive', mispList(misp('common-ioc-false-positive'), size).filter((v) => hex64.test(v)));
  const listed = new Set([...goodDomains, ...badDomains]);
  const otherDomains = take('MISP cloudflare-top100k (not in the lists above)', mispList(misp('cloudflare-top100k'), size * 3).filter((d) => !listed.has(d)).slice(0, size));

  const synthetic = (n: number, make: (b: Buffer, i: number) => string): string[] => Array.from({ length: n }, (_, i) => make(rnd(), i));
  const or = (values: string[], fallback: () => string[]): string[] => (values.length > 0 ? values : fallback());
  const syntheticDomain = (b: Buffer, i: number) => `${b.toString('hex', 0, 5)}-${i}.example.com`;

  const malicious: Indicator[] = [
    ...or(badSha256, () => synthetic(size, (b) => b.toString('hex'))).map((value) => ({ kind: 'file' as const, value, intent: 'malicious' as const })),
    ...badMd5.map((value) => ({ kind: 'file' as const, value, intent: 'malicious' as const })),
    ...badSha1.map((value) => ({ kind: 'file' as const, value, intent: 'malicious' as const })),
    ...or(badDomains, () => synthetic(size, syntheticDomain)).map((value) => ({ kind: 'domain' as const, value, intent: 'malicious' as const })),
    ...or(badIps, () => synthetic(size, (b) => `198.18.${b[0]}.${b[1]}`)).map((value) => ({ kind: 'ip' as const, value, intent: 'malicious' as const })),
    ...or(badUrls, () => synthetic(size, (b, i) => `http://${syntheticDomain(b, i)}/${b.toString('hex', 6, 10)}.exe`)).map((value) => ({ kind: 'url' as const, value, intent: 'malicious' as const })),
  ];
  const clean: Indicator[] = [
    ...or(goodDomains, () => synthetic(size, (b, i) => `good-${syntheticDomain(b, i)}`)).map((value) => ({ kind: 'domain' as const, value, intent: 'clean' as const })),
    ...or(goodIps, () => synthetic(size, (b) => `192.0.2.${b[0]}`)).map((value) => ({ kind: 'ip' as const, value, intent: 'clean' as const })),
    ...or(goodFiles, () => synthetic(100, (b) => b.toString('hex'))).map((value) => ({ kind: 'file' as const, value, intent: 'clean' as const })),
  ];
  const unknownDomains = or(otherDomains, () => synthetic(size, (b, i) => `other-${syntheticDomain(b, i)}`));
  const unknown: Indicator[] = [
    // Unknown files are what most agents ask about: uniformly random digests.
    ...synthetic(size, (b) => b.toString('hex')).map((value) => ({ kind: 'file' as const, value, intent: 'unknown' as const })),
    ...synthetic(size / 4, (b) => b.toString('hex', 0, 16)).map((value) => ({ kind: 'file' as const, value, intent: 'unknown' as const })),
    ...unknownDomains.map((value) => ({ kind: 'domain' as const, value, intent: 'unknown' as const })),
    ...unknownDomains.map((d, i) => ({ kind: 'url' as const, value: `https://www.${d}/${['index.html', 'login', 'static/app.js', `search?q=${i}`][i % 4]}`, intent: 'unknown' as const })),
    ...synthetic(size, (b) => `${(b[0]! % 223) + 1}.${b[1]}.${b[2]}.${b[3]}`).map((value) => ({ kind: 'ip' as const, value, intent: 'unknown' as const })),
    ...synthetic(size / 4, (b) => `2a0${b[0]! % 10}:${b.toString('hex', 1, 3)}:${b.toString('hex', 3, 5)}::${b.toString('hex', 5, 7)}`).map((value) => ({ kind: 'ip' as const, value, intent: 'unknown' as const })),
  ];
  return { malicious, clean, unknown, sources };
}
