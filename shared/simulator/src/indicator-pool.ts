import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rng } from './rng.ts';

/**
 * Where a pool's values came from:
 * - `lists`: the public data folder, both sides real;
 * - `shipped`: no data folder; the benign side (top sites, cloud and CDN networks, known-good
 *   hashes, sinkholes) from the MISP warning lists the default verdict policy ships, as every
 *   deployment's allow lists know them, and the malicious side made up, never a listed value;
 * - `generated`: every value made up (`dataDir: null`), benign infrastructure included, which
 *   no shipped allow list knows.
 */
export type IndicatorSource = 'lists' | 'shipped' | 'generated';

/**
 * Indicator values to build scenarios from: real public lists where the data folder exists,
 * the shipped warning lists and generated look-alikes otherwise. Strings only: nothing here is
 * ever resolved or fetched.
 */
export interface IndicatorPool {
  /** Where the values came from (see IndicatorSource). */
  source: IndicatorSource;
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
  /** Less popular benign domains (the long tail of a top-100k list; made up but for `lists`). */
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

/**
 * The MISP warning lists the default verdict policy ships (`@repute/verdicts`,
 * `policy/warninglists`). Resolved from this file: that package exports its policy's path, not
 * the lists', and importing it would load the whole verdict model to read a few files.
 */
export const SHIPPED_LISTS_DIR = new URL('../../verdicts/policy/warninglists/', import.meta.url).pathname;

const DOMAIN = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const CIDR = /^(\d{1,3}(?:\.\d{1,3}){3})(?:\/(\d{1,2}))?$/;
const HASH = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{56}|[0-9a-f]{64}|[0-9a-f]{128})$/;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const CLOUDS = ['amazon-aws', 'google-gcp', 'cloudflare', 'microsoft-azure'];
// How many of each list a pool keeps: enough for any fleet, small enough to load in milliseconds.
const KEEP = 4000;

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

/** The values of a MISP warning list (`{ "list": [...] }`), trimmed and lowercased. */
function mispList(path: string): string[] {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { list?: unknown };
  return Array.isArray(doc.list) ? doc.list.filter((v): v is string => typeof v === 'string').map((v) => v.trim().toLowerCase()) : [];
}

function warningList(dir: string, name: string): string[] {
  return mispList(join(dir, 'misp-warninglists', 'lists', name, 'list.json'));
}

function shippedList(dir: string, name: string): string[] {
  return mispList(join(dir, `${name}.json`));
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
 * Loads the pool from `dataDir` when it holds the public lists; without them, from the warning
 * lists in `shippedDir` and made-up malicious values; generates every value when `dataDir` is
 * `null` (or nothing is shipped). Lists are read in file order and thinned with `rng`, so a
 * seed picks the same values on every machine holding the same snapshot.
 */
export function loadIndicatorPool(rng: Rng, dataDir: string | null = DEFAULT_DATA_DIR, shippedDir: string = SHIPPED_LISTS_DIR): IndicatorPool {
  if (dataDir === null) return generatedPool(rng);
  if (existsSync(join(dataDir, 'SOURCES.md'))) return fromLists(rng, dataDir);
  if (existsSync(shippedDir)) return shippedPool(rng, shippedDir);
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

/** The benign values a pool takes from MISP warning lists, read with `read`: the same lists in both folders. */
function benignFromWarningLists(read: (name: string) => string[]): Pick<ListValues, 'topDomains' | 'benignHashes' | 'cloudNetworks' | 'sinkholes'> {
  return {
    topDomains: [...new Set([...read('tranco10k'), ...read('alexa')])].filter((d) => DOMAIN.test(d)),
    benignHashes: read('ti-falsepositives').filter((h) => SHA256.test(h)),
    cloudNetworks: CLOUDS.flatMap((n) => read(n)).filter((c) => /^[\d.]+\/(1[6-9]|2\d|3[0-2])$/.test(c)),
    sinkholes: read('sinkholes').filter((ip) => IPV4.test(ip)),
  };
}

function parseLists(dir: string): ListValues {
  const { topDomains: top, benignHashes: knownGood, cloudNetworks, sinkholes } = benignFromWarningLists((name) => warningList(dir, name));
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
  const badHashes = new Set(malwareHashes);
  const c2Ips = lines(join(dir, 'threatfox-ioc-ips', 'ips.txt')).filter((ip) => IPV4.test(ip));
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

// How many made-up values of each kind a pool holds.
const MADE_UP = 600;

/** `count` values of `make`, drawn again while `ok` refuses one. */
function drawn<T>(count: number, make: () => T, ok: (value: T) => boolean = () => true): T[] {
  const out: T[] = [];
  while (out.length < count) {
    const value = make();
    if (ok(value)) out.push(value);
  }
  return out;
}

/**
 * Made-up malicious values, none of them `listed`: a bad value that an allow list also held
 * would be capped by it, and the scenario would score the policy's lists instead of the model.
 */
function madeUpBad(rng: Rng, listed: (value: string) => boolean = () => false): Pick<IndicatorPool, 'downloadHosts' | 'c2Ips' | 'c2Domains' | 'phishingDomains' | 'malwareHashes'> {
  const fresh = (value: string) => !listed(value);
  return {
    downloadHosts: drawn(MADE_UP, () => (rng.chance(0.4) ? { host: publicIp(rng), path: '' } : { host: `${word(rng, 3, 4)}.${rng.pick(['top', 'xyz', 'ru', 'biz'])}`, path: '' }), (h) => fresh(h.host)),
    c2Ips: drawn(MADE_UP, () => publicIp(rng), fresh),
    c2Domains: drawn(MADE_UP, () => `${word(rng, 3, 5)}.${rng.pick(['top', 'shop', 'cyou', 'xyz'])}`, fresh),
    phishingDomains: drawn(MADE_UP, () => `${rng.pick(['secure', 'login', 'verify', 'account'])}-${word(rng, 2, 3)}.${rng.pick(['com', 'net', 'online'])}`, fresh),
    malwareHashes: drawn(MADE_UP, () => rng.hex(32), fresh),
  };
}

function tailDomain(rng: Rng): string {
  return `${word(rng, 2, 4)}.${rng.pick(['com', 'org', 'net', 'de', 'io'])}`;
}

function generatedPool(rng: Rng): IndicatorPool {
  return {
    source: 'generated',
    ...madeUpBad(rng),
    topDomains: drawn(200, () => `${word(rng, 2, 3)}.com`),
    tailDomains: drawn(MADE_UP, () => tailDomain(rng)),
    benignHashes: drawn(MADE_UP, () => rng.hex(32)),
    cloudNetworks: drawn(50, () => `${rng.pick([3, 13, 34, 35, 52, 104])}.${rng.int(0, 255)}.${rng.int(0, 255)}.0/24`),
    sinkholes: [],
  };
}

interface ShippedLists {
  benign: Pick<ListValues, 'topDomains' | 'benignHashes' | 'cloudNetworks' | 'sinkholes'>;
  /** Whether a value is on any shipped list, or an IP inside a listed network. */
  listed: (value: string) => boolean;
}

const shipped = new Map<string, ShippedLists>();

/**
 * The pool without the data folder. Top sites, cloud networks, known-good hashes and sinkholes
 * come from the shipped warning lists, read as the public folder's copies of the same MISP lists
 * are, so they are what the policy's allow lists know; the malicious side is made up and kept off
 * every shipped list. The long tail of sites is on no shipped list, as in reality: made up too,
 * and kept off the listed names.
 */
function shippedPool(rng: Rng, dir: string): IndicatorPool {
  let lists = shipped.get(dir);
  if (lists === undefined) shipped.set(dir, (lists = parseShipped(dir)));
  const { benign, listed } = lists;
  return {
    source: 'shipped',
    ...madeUpBad(rng, listed),
    topDomains: thin(rng, benign.topDomains),
    tailDomains: drawn(MADE_UP, () => tailDomain(rng), (d) => !listed(d)),
    benignHashes: thin(rng, benign.benignHashes),
    cloudNetworks: thin(rng, benign.cloudNetworks),
    sinkholes: benign.sinkholes,
  };
}

function parseShipped(dir: string): ShippedLists {
  // Every list in the folder, whatever its name: a value on any of them is benign to the policy.
  const values = readdirSync(dir).filter((f) => f.endsWith('.json')).flatMap((f) => mispList(join(dir, f)));
  const names = new Set<string>();
  const hashes = new Set<string>();
  const networks: string[] = [];
  for (const v of values) {
    if (CIDR.test(v)) networks.push(v);
    else if (HASH.test(v)) hashes.add(v);
    else names.add(v.replace(/^\./, ''));
  }
  // A name is listed with its parents; a made-up name must not be the parent of a listed one either.
  const above = new Set([...names].flatMap((d) => withParents(d).slice(1)));
  const inNetwork = networkMatcher(networks);
  const listed = (value: string) => {
    if (IPV4.test(value)) return inNetwork(value);
    if (SHA256.test(value)) return hashes.has(value);
    return withParents(value).some((d) => names.has(d)) || above.has(value);
  };
  return { benign: benignFromWarningLists((name) => shippedList(dir, name)), listed };
}

function ipv4Number(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/**
 * Whether an address is inside one of `cidrs` (a bare address is a /32): one set lookup per
 * prefix length. Not core's `inIpBlock`, which tests one block at a time: against the 66,730
 * networks and addresses the shipped lists hold, 1,200 draws took 2.8 s that way.
 */
function networkMatcher(cidrs: string[]): (ip: string) => boolean {
  const byLength = new Map<number, Set<number>>();
  for (const cidr of cidrs) {
    const [, net, bits] = CIDR.exec(cidr)!;
    const length = bits === undefined ? 32 : Number(bits);
    const size = 2 ** (32 - length);
    const first = ipv4Number(net!);
    let set = byLength.get(length);
    if (set === undefined) byLength.set(length, (set = new Set()));
    set.add(first - (first % size));
  }
  return (ip) => {
    const n = ipv4Number(ip);
    for (const [length, set] of byLength) if (set.has(n - (n % 2 ** (32 - length)))) return true;
    return false;
  };
}
