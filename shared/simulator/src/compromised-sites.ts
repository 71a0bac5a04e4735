import { hostingAddress } from './addresses.ts';
import type { EventStream } from './event-stream.ts';
import type { Endpoint, Fleet } from './fleet.ts';
import type { IndicatorPool } from './indicator-pool.ts';
import type { Rng } from './rng.ts';

/** An established website: its pages are visited all week; an attacker may plant a path on it. */
export interface Site {
  domain: string;
  ips: string[];
  /** Its ordinary pages. */
  pages: string[];
  /** Malicious paths planted on it (full URLs), by campaign. */
  planted: { url: string; campaign: string }[];
}

/** The established sites of a scenario, handed out to campaigns that compromise one. */
export interface SitePool {
  sites: Site[];
  /** A site for `campaign` to plant `path` on (sites not yet compromised first); the planted URL. */
  plant(rng: Rng, campaign: string, path: string): { site: Site; url: string };
}

const SECTIONS = ['blog', 'news', 'products', 'about', 'events', 'team', 'support', 'wp-content/uploads/2025/11'];
const SLUGS = ['annual-report', 'opening-hours', 'new-season', 'contact', 'menu', 'gallery', 'careers', 'faq', 'pricing', 'history'];

/**
 * Creates `count` established sites from the tail of the top list: small businesses, clubs and
 * blogs on shared hosting (three sites to an address), each with 20-60 pages.
 */
export function createSites(rng: Rng, pool: IndicatorPool, count: number, exclude: ReadonlySet<string>): SitePool {
  const names = rng.sample(pool.tailDomains.filter((d) => !exclude.has(d)), count);
  const addresses = Array.from({ length: Math.ceil(names.length / 3) }, () => hostingAddress(rng));
  const sites: Site[] = names.map((domain, i) => {
    const pages = Array.from({ length: rng.int(20, 60) }, () => {
      const section = rng.pick(SECTIONS);
      return section.startsWith('wp-content')
        ? `https://${domain}/${section}/${rng.pick(SLUGS)}-${rng.int(1, 9)}.jpg`
        : `https://${domain}/${section}/${rng.pick(SLUGS)}-${rng.hex(2)}`;
    });
    return { domain, ips: [addresses[Math.floor(i / 3)]!], pages: [...new Set(pages)], planted: [] };
  });
  return {
    sites,
    plant(r, campaign, path) {
      const clean = sites.filter((s) => s.planted.length === 0);
      const site = r.pick(clean.length > 0 ? clean : sites);
      const url = `https://${site.domain}${path}`;
      site.planted.push({ url, campaign });
      return { site, url };
    },
  };
}

/**
 * Visits to the sites over the whole window: each host reads a few pages of sites ranked by a
 * Zipf law, so a popular site's pages are seen by many hosts in most tenants.
 */
export function addSiteTraffic(rng: Rng, stream: EventStream, fleet: Fleet, pool: SitePool): void {
  if (pool.sites.length === 0) return;
  const span = stream.end - stream.start;
  for (const site of pool.sites) {
    stream.label('domain', site.domain, 'benign', 'site');
    for (const ip of site.ips) stream.label('ip', ip, 'benign', 'hosting-address');
  }
  const ep = (e: Endpoint) => ({ sensor: e.sensor, host: e.host });
  for (const e of fleet.endpoints) {
    for (let n = rng.int(3, 8); n > 0; n--) {
      const site = pool.sites[rng.zipf(pool.sites.length, 0.9)]!;
      const page = rng.pick(site.pages);
      const at = stream.start + rng.float() * span;
      stream.add(e.tenant, at, { ...ep(e), type: 'dns_resolve', domain: site.domain, relations: { resolvedIps: site.ips } });
      stream.label('url', page, 'benign', 'site-page');
      stream.add(e.tenant, at + 400, { ...ep(e), type: 'url_visit', url: page });
    }
  }
}

/** Once campaigns are built: the sites they compromised get their roles (their pages and address stay benign). */
export function labelCompromisedSites(stream: EventStream, pool: SitePool): void {
  for (const site of pool.sites) {
    if (site.planted.length === 0) continue;
    stream.retag('domain', site.domain, 'compromised-site');
    for (const ip of site.ips) stream.retag('ip', ip, 'compromised-site-ip');
    for (const page of site.pages) stream.retag('url', page, 'compromised-site-benign-url');
  }
}
