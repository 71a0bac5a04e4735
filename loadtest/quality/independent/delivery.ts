import { DNS_ENGINES, WEB_ENGINES, learnNetwork } from './engines.ts';
import { HOUR } from './clock.ts';
import type { Context } from './context.ts';
import type { Host } from './fleet.ts';
import { alnum, blandDomain, digits, lookalikeDomain, slug } from './names.ts';
import type { World } from './world.ts';

/** Where a malicious file or page is served from, as a browser reaches it. */
export interface Location {
  url: string;
  /** The host name to look up; absent for a bare-IP URL. */
  domain?: string;
  ips: string[];
  /** A short link (or other redirector) the victim follows first. */
  via?: Location;
}

/** Kinds of hosting, from the attacker's own domain to somebody else's infrastructure. */
export type Hosting = 'dedicated' | 'compromised' | 'file-share' | 'bare-ip' | 'code-host';

export function drawHosting(world: World): Hosting {
  const r = world.rng.float();
  return r < 0.4 ? 'dedicated' : r < 0.6 ? 'compromised' : r < 0.8 ? 'file-share' : r < 0.9 ? 'bare-ip' : 'code-host';
}

/** A fresh attacker-rented server address with its story. */
export function attackerIp(world: World, campaign: string, role: string): string {
  const ip = world.ips.take('attacker');
  world.ledger.malicious('ip', ip, { role, campaign });
  return ip;
}

/**
 * A URL serving `fileName` for `campaign`, on hosting of kind `hosting`. The attacker's own
 * names and servers are malicious; borrowed hosts stay benign and only the planted URL is
 * malicious. Web and DNS engines list what they can, late and not all of them.
 */
export function fileLocation(ctx: Context, campaign: string, fileName: string, role: string, hosting: Hosting, start: number): Location {
  const { world, hubs, web, compromised } = ctx;
  const { rng, ledger } = world;
  let loc: Location;
  switch (hosting) {
    case 'dedicated': {
      const domain = world.names.unique(() => (rng.chance(0.5) ? blandDomain(rng) : lookalikeDomain(rng, rng.pick(['chrome', 'adobe', 'teams', 'zoom', 'windows', 'office', 'java']))));
      ledger.malicious('domain', domain, { role: 'download-domain', campaign });
      const ips = rng.chance(0.75) ? [attackerIp(world, campaign, 'download-ip')] : rng.sample(hubs.cdn, 2);
      const path = rng.pick([`/download/${fileName}`, `/${alnum(rng, 6)}/${fileName}`, `/files/${fileName}`, `/get?f=${alnum(rng, 10)}`]);
      loc = { url: `https://${domain}${path}`, domain, ips };
      learnNetwork(world, [...DNS_ENGINES, ...WEB_ENGINES], 'domain', domain, start, 0.45, 30 * HOUR);
      break;
    }
    case 'compromised': {
      const { site, url } = compromised.plant('malware', fileName, '', start);
      loc = { url, domain: site.domain, ips: site.ips };
      break;
    }
    case 'file-share': {
      const share = rng.pick(hubs.fileShares);
      loc = { url: world.names.unique(() => `https://${share.site.domain}${share.path(rng, fileName)}`), domain: share.site.domain, ips: share.site.ips };
      break;
    }
    case 'bare-ip': {
      const ip = attackerIp(world, campaign, 'download-ip');
      loc = { url: `http://${ip}/${rng.pick(['', 'x/', 'dl/'])}${fileName}`, ips: [ip] };
      learnNetwork(world, WEB_ENGINES, 'ip', ip, start, 0.35, 24 * HOUR);
      break;
    }
    case 'code-host': {
      const site = web.byDomain.get('github.com')!;
      const url = world.names.unique(() => `https://github.com/${slug(rng).split('-')[0]}${digits(rng, 3)}/${slug(rng)}/releases/download/v${rng.int(1, 4)}.${rng.int(0, 9)}/${fileName}`);
      loc = { url, domain: site.domain, ips: site.ips };
      break;
    }
  }
  ledger.malicious('url', loc.url, { role, campaign });
  learnNetwork(world, WEB_ENGINES, 'url', loc.url, start, 0.5, 20 * HOUR);
  return loc;
}

/** Puts a fresh short link in front of `loc`; the link is the attacker's, the shortener is not. */
export function shortLink(ctx: Context, campaign: string, loc: Location, start: number): Location {
  const { world, hubs } = ctx;
  const shortener = world.rng.pick(hubs.shorteners);
  const url = world.names.unique(() => `https://${shortener.site.domain}${shortener.path(world.rng)}`);
  world.ledger.malicious('url', url, { role: 'redirect-url', campaign });
  learnNetwork(world, WEB_ENGINES, 'url', url, start, 0.35, 24 * HOUR);
  return { ...loc, via: { url, domain: shortener.site.domain, ips: shortener.site.ips } };
}

/** The victim's browser (or a downloader) fetching `loc`: false when a device blocked it. */
export function fetchFrom(ctx: Context, host: Host, time: number, loc: Location, campaign: string): boolean {
  const { sensors, world } = ctx;
  if (loc.via !== undefined && !fetchFrom(ctx, host, time - world.rng.int(1_000, 8_000), { ...loc.via }, campaign)) return false;
  if (loc.domain !== undefined && sensors.resolve(host, time, loc.domain, loc.ips, campaign).blocked) return false;
  return !sensors.visit(host, time + world.rng.int(100, 900), loc.url, campaign).blocked;
}
