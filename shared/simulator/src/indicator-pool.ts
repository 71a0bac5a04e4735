import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rng } from './rng.ts';

/**
 * Indicator values to build scenarios from: real public lists where the data folder exists,
 * generated look-alikes otherwise. Strings only: nothing here is ever resolved or fetched.
 */
export interface IndicatorPool {
  /** Where the values came from: `lists` (the public data folder) or `generated`. */
  source: 'lists' | 'generated';
  /** Malware download hosts (URLhaus): `{ host, path }`, path empty when the whole host is bad. */
  downloadHosts: { host: string; path: string }[];
  /** Botnet C2 addresses (ThreatFox). */
  c2Ips: string[];
  /** Malware C2 domains (maltrail stealer and RAT trails). */
  c2Domains: string[];
  /** Phishing domains (aggregated phishing feeds). */
  phishingDomains: string[];
  /** Malware SHA-256 hashes. */
  malwareHashes: string[];
  /** Popular domains (top lists) for benign traffic. */
  topDomains: string[];
  /** Less popular benign domains (the long tail of a top-100k list). */
  tailDomains: string[];
  /** Known-good SHA-256 hashes (warning-list false positives, i.e. benign files). */
  benignHashes: string[];
  /** IPv4 networks of clouds and CDNs (CIDR), where popular sites are hosted. */
  cloudNetworks: string[];
  /** Single IPv4 sinkhole addresses (MISP's sinkhole warning list): where taken-down C2 names point. */
  sinkholes: string[];
}

/** The public data folder beside the checkout (`../shared/data`). */
export const DEFAULT_DATA_DIR = new URL('../../../../shared/data/', import.meta.url).pathname;

const DOMAIN = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
// How many of each list a pool keeps: enough for any fleet, small enough to load in milliseconds.
const KEEP = 4000;

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

function warningList(dir: string, name: string): string[] {
  const doc = JSON.parse(readFileSync(join(dir, 'misp-warninglists', 'lists', name, 'list.json'), 'utf8')) as { list?: unknown };
  return Array.isArray(doc.list) ? doc.list.filter((v): v is string => typeof v === 'string').map((v) => v.trim().toLowerCase()) : [];
}

function unquote(field: string): string {
  return field.replace(/^"|"$/g, '');
}

/** The value and every parent domain of it: a name is benign or bad together with its parents. */
function withParents(domain: string): string[] {
  const out: string[] = [];
  for (let d = domain; d.includes('.'); d = d.slice(d.indexOf('.') + 1)) out.push(d);
  return out;
}

/**
 * Loads the pool from `dataDir` when it holds the public lists, otherwise generates one.
 * Lists are read in file order and thinned with `rng`, so a seed picks the same values on
 * every machine holding the same snapshot.
 */
export function loadIndicatorPool(rng: Rng, dataDir: string | null = DEFAULT_DATA_DIR): IndicatorPool {
  if (dataDir !== null && existsSync(join(dataDir, 'SOURCES.md'))) return fromLists(rng, dataDir);
  return generatedPool(rng);
}

type ListValues = Omit<IndicatorPool, 'source'>;
// Parsing the lists costs most of a scenario's generation; a process reading them again gets the same values.
const parsed = new Map<string, ListValues>();

function fromLists(rng: Rng, dir: string): IndicatorPool {
  let lists = parsed.get(dir);
  if (lists === undefined) parsed.set(dir, (lists = parseLists(dir)));
  const l = lists;
  return {
    source: 'lists',
    downloadHosts: thin(rng, l.downloadHosts),
    c2Ips: thin(rng, l.c2Ips),
    c2Domains: thin(rng, l.c2Domains),
    phishingDomains: thin(rng, l.phishingDomains),
    malwareHashes: thin(rng, l.malwareHashes),
    topDomains: thin(rng, l.topDomains),
    tailDomains: thin(rng, l.tailDomains),
    benignHashes: thin(rng, l.benignHashes),
    cloudNetworks: thin(rng, l.cloudNetworks),
    // A short list, kept whole (and so without a draw that would move the seeded sequence).
    sinkholes: l.sinkholes,
  };
}

function parseLists(dir: string): ListValues {
  const top = [...new Set([...warningList(dir, 'tranco10k'), ...warningList(dir, 'alexa')])].filter((d) => DOMAIN.test(d));
  const top100k = warningList(dir, 'cloudflare-top100k').filter((d) => DOMAIN.test(d));
  const benignNames = new Set([...top, ...top100k]);
  const benignish = (domain: string) => withParents(domain).some((d) => benignNames.has(d));

  const badDomains = new Set<string>();
  const urlhaus = lines(join(dir, 'urlhaus-filter', 'urlhaus-filter-splunk-online.csv'))
    .slice(1)
    .map((l) => l.split('","').map(unquote))
    .filter((f) => f.length >= 2 && f[0] !== '' && f[0] !== 'host')
    .map((f) => ({ host: f[0]!.toLowerCase(), path: f[1] ?? '' }))
    .filter((h) => IPV4.test(h.host) || (DOMAIN.test(h.host) && !benignish(h.host)));
  const c2Domains = ['lummac2.txt', 'redline.txt', 'asyncrat.txt']
    .flatMap((f) => lines(join(dir, 'maltrail', 'static', 'malware', f)))
    .map((l) => l.split(/\s/)[0]!.toLowerCase())
    .filter((d) => DOMAIN.test(d) && !benignish(d));
  const phishingDomains = lines(join(dir, 'romainmarcoux-malicious-domains', 'full-domains-aa.txt'))
    .map((d) => d.toLowerCase())
    .filter((d) => DOMAIN.test(d) && !benignish(d));
  for (const d of [...c2Domains, ...phishingDomains, ...urlhaus.map((h) => h.host)]) for (const p of withParents(d)) badDomains.add(p);

  const malwareHashes = lines(join(dir, 'blocklist-recommendations', 'lists', 'sha256.txt'))
    .map((h) => h.toLowerCase())
    .filter((h) => SHA256.test(h) && h !== EMPTY_SHA256);
  const knownGood = warningList(dir, 'ti-falsepositives').filter((h) => SHA256.test(h));
  const badHashes = new Set(malwareHashes);
  const c2Ips = lines(join(dir, 'threatfox-ioc-ips', 'ips.txt')).filter((ip) => IPV4.test(ip));
  const cloudNetworks = ['amazon-aws', 'google-gcp', 'cloudflare', 'microsoft-azure']
    .flatMap((n) => warningList(dir, n))
    .filter((c) => /^[\d.]+\/(1[6-9]|2\d|3[0-2])$/.test(c));
  const sinkholes = warningList(dir, 'sinkholes').filter((ip) => IPV4.test(ip));
  const notBad = (d: string) => !withParents(d).some((p) => badDomains.has(p));
  const topSet = new Set(top);

  return {
    downloadHosts: urlhaus,
    c2Ips,
    c2Domains,
    phishingDomains,
    malwareHashes,
    topDomains: top.filter(notBad),
    tailDomains: top100k.filter((d) => !topSet.has(d) && notBad(d)),
    benignHashes: knownGood.filter((h) => !badHashes.has(h)),
    cloudNetworks,
    sinkholes,
  };
}

/** At most KEEP values, a seeded sample kept in list order. */
function thin<T>(rng: Rng, items: T[]): T[] {
  if (items.length <= KEEP) return items;
  const keep = new Set(rng.sample(items.map((_, i) => i), KEEP));
  return items.filter((_, i) => keep.has(i));
}

const SYLLABLES = ['lo', 'ra', 'ki', 'mo', 'ne', 'ta', 'vi', 'su', 'pe', 'do', 'ga', 'li', 'xo', 'ze', 'fu', 'ba'];

function word(rng: Rng, min: number, max: number): string {
  let w = '';
  for (let i = rng.int(min, max); i > 0; i--) w += rng.pick(SYLLABLES);
  return w;
}

// Documentation and benchmarking ranges (RFC 5737, RFC 2544) are never real hosts, but the
// correlator files them as "reserved"; these public-looking blocks keep scoring realistic.
function publicIp(rng: Rng): string {
  return `${rng.pick([31, 45, 77, 91, 103, 146, 185, 193])}.${rng.int(1, 254)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

function generatedPool(rng: Rng): IndicatorPool {
  const n = 600;
  const times = <T>(count: number, make: () => T) => Array.from({ length: count }, make);
  return {
    source: 'generated',
    downloadHosts: times(n, () => (rng.chance(0.4) ? { host: publicIp(rng), path: '' } : { host: `${word(rng, 3, 4)}.${rng.pick(['top', 'xyz', 'ru', 'biz'])}`, path: '' })),
    c2Ips: times(n, () => publicIp(rng)),
    c2Domains: times(n, () => `${word(rng, 3, 5)}.${rng.pick(['top', 'shop', 'cyou', 'xyz'])}`),
    phishingDomains: times(n, () => `${rng.pick(['secure', 'login', 'verify', 'account'])}-${word(rng, 2, 3)}.${rng.pick(['com', 'net', 'online'])}`),
    malwareHashes: times(n, () => rng.hex(32)),
    topDomains: times(200, () => `${word(rng, 2, 3)}.com`),
    tailDomains: times(n, () => `${word(rng, 2, 4)}.${rng.pick(['com', 'org', 'net', 'de', 'io'])}`),
    benignHashes: times(n, () => rng.hex(32)),
    cloudNetworks: times(50, () => `${rng.pick([3, 13, 34, 35, 52, 104])}.${rng.int(0, 255)}.${rng.int(0, 255)}.0/24`),
    sinkholes: [],
  };
}
