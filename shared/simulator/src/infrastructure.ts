import { cloudAddress, hostingAddress } from './addresses.ts';
import type { BenignFile, BenignWorld } from './benign.ts';
import type { EventStream } from './event-stream.ts';
import type { Endpoint, Fleet } from './fleet.ts';
import type { IndicatorPool } from './indicator-pool.ts';
import type { Rng } from './rng.ts';

/** A shared service: its name and the addresses it resolves to. */
export interface Hub {
  domain: string;
  ips: string[];
}

/**
 * Infrastructure that benign software and malware both use, so that evidence against the
 * malware reaches it: public resolvers, IP-echo services, URL shorteners, file-sharing and
 * paste hosts, free web hosting, the CDN addresses all of them sit behind, and the sinkholes
 * that taken-down C2 domains resolve to. All of it is benign.
 */
export interface SharedInfrastructure {
  resolvers: string[];
  ipEcho: Hub[];
  shorteners: Hub[];
  fileShares: Hub[];
  freeHosting: Hub[];
  cdnIps: string[];
  sinkholes: string[];
  /** Benign sites served from the same CDN addresses. */
  cdnSites: Hub[];
  /** The popular download a poisoner targets: its page, its installer and where it comes from. */
  chrome: { page: string; download: string; installer: BenignFile; site: Hub; downloadSite: Hub };
}

/** Roles of shared infrastructure and of popular benign indicators: none of them may be convicted. */
export const HUB_ROLES = [
  'public-resolver', 'ip-echo', 'shortener', 'cdn-ip', 'sinkhole', 'file-share-host', 'free-hosting',
  'compromised-site', 'compromised-site-ip', 'popular-site', 'cloud-address', 'system-software', 'popular-software', 'popular-url',
] as const;

// Real public services, as strings only: nothing is resolved or contacted.
const RESOLVERS = ['8.8.8.8', '8.8.4.4', '1.1.1.1', '1.0.0.1', '9.9.9.9', '149.112.112.112', '208.67.222.222', '208.67.220.220'];
const IP_ECHO = ['api.ipify.org', 'icanhazip.com', 'ifconfig.me', 'checkip.amazonaws.com', 'ipinfo.io', 'ip-api.com'];
const SHORTENERS = ['bit.ly', 't.co', 'tinyurl.com', 'dub.sh', 'is.gd'];
const FILE_SHARES = ['drive.google.com', 'www.dropbox.com', 'pastebin.com', 'raw.githubusercontent.com', 'cdn.discordapp.com'];
const FREE_HOSTING = ['web.app', 'pages.dev', 'netlify.app', 'weebly.com', '000webhostapp.com'];
/** Names of the shared services: kept out of the scenario's malicious lists and its ordinary sites. */
export const HUB_DOMAINS: readonly string[] = [...IP_ECHO, ...SHORTENERS, ...FILE_SHARES, ...FREE_HOSTING, 'www.google.com', 'dl.google.com'];
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DOC_NAMES = ['report', 'minutes', 'budget', 'roadmap', 'slides', 'notes', 'invoice', 'plan'];

function code(rng: Rng, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[rng.int(0, BASE62.length - 1)];
  return out;
}

/** A short link of `hub` (`https://bit.ly/3xYzAb1`). */
export function shortUrl(rng: Rng, hub: Hub): string {
  return `https://${hub.domain}/${code(rng, hub.domain === 't.co' ? 10 : 7)}`;
}

/** A file's URL on a file-sharing or paste host, in that host's own URL shape. */
export function fileShareUrl(rng: Rng, hub: Hub, name: string): string {
  switch (hub.domain) {
    case 'drive.google.com': return `https://drive.google.com/uc?export=download&id=${code(rng, 33)}`;
    case 'www.dropbox.com': return `https://www.dropbox.com/s/${code(rng, 15).toLowerCase()}/${name}?dl=1`;
    case 'pastebin.com': return `https://pastebin.com/raw/${code(rng, 8)}`;
    case 'raw.githubusercontent.com': return `https://raw.githubusercontent.com/${code(rng, 8).toLowerCase()}/${code(rng, 6).toLowerCase()}/main/${name}`;
    default: return `https://${hub.domain}/attachments/${rng.int(1e9, 9e9)}${rng.int(1e8, 9e8)}/${rng.int(1e9, 9e9)}${rng.int(1e8, 9e8)}/${name}`;
  }
}

/**
 * Builds the shared infrastructure: addresses for every service (most behind a dozen CDN
 * addresses, as real CDNs front thousands of names each), three sinkholes and the sites a CDN
 * serves. Labels all of it benign.
 */
export function createInfrastructure(rng: Rng, stream: EventStream, pool: IndicatorPool, benign: BenignWorld): SharedInfrastructure {
  const address = () => (pool.cloudNetworks.length > 0 ? cloudAddress(rng, pool) : hostingAddress(rng));
  const cdnIps = Array.from({ length: 12 }, address);
  const onCdn = (domain: string): Hub => ({ domain, ips: rng.sample(cdnIps, rng.int(1, 2)) });
  // Real sinkholes from the public or the shipped warning list (operators know them, as they
  // know public resolvers); made-up addresses only in a fully generated pool.
  const sinkholes = pool.sinkholes.length >= 3
    ? rng.sample(pool.sinkholes, 3)
    : Array.from({ length: 3 }, () => `${rng.pick([166, 204, 216])}.${rng.int(1, 254)}.${rng.int(0, 255)}.${rng.int(1, 254)}`);
  const taken = new Set<string>([...IP_ECHO, ...SHORTENERS, ...FILE_SHARES, ...FREE_HOSTING]);
  const cdnSites = rng.sample(pool.tailDomains.filter((d) => !taken.has(d)), 40).map(onCdn);
  const installer: BenignFile = { ref: { sha256: rng.hex(32), name: 'ChromeSetup.exe', size: rng.int(1_200_000, 1_500_000), signer: 'Google LLC' }, prevalence: 0.35 };
  const infra: SharedInfrastructure = {
    resolvers: RESOLVERS,
    ipEcho: IP_ECHO.map(onCdn),
    shorteners: SHORTENERS.map(onCdn),
    fileShares: FILE_SHARES.map(onCdn),
    freeHosting: FREE_HOSTING.map(onCdn),
    cdnIps,
    sinkholes,
    cdnSites,
    chrome: {
      page: 'https://www.google.com/chrome/',
      download: 'https://dl.google.com/chrome/install/ChromeSetup.exe',
      installer,
      site: { domain: 'www.google.com', ips: [address(), address()] },
      downloadSite: { domain: 'dl.google.com', ips: [address()] },
    },
  };

  for (const ip of RESOLVERS) stream.label('ip', ip, 'benign', 'public-resolver');
  for (const ip of cdnIps) stream.label('ip', ip, 'benign', 'cdn-ip');
  for (const ip of sinkholes) stream.label('ip', ip, 'benign', 'sinkhole');
  const hubs: [Hub[], string][] = [[infra.ipEcho, 'ip-echo'], [infra.shorteners, 'shortener'], [infra.fileShares, 'file-share-host'], [infra.freeHosting, 'free-hosting'], [cdnSites, 'site']];
  for (const [list, role] of hubs) for (const h of list) stream.label('domain', h.domain, 'benign', role);
  stream.label('file', installer.ref.sha256, 'benign', 'signed-software');
  stream.tag('file', installer.ref.sha256, 'popular-software');
  stream.label('url', infra.chrome.page, 'benign', 'popular-url');
  stream.label('url', infra.chrome.download, 'benign', 'software-download');
  for (const h of [infra.chrome.site, infra.chrome.downloadSite]) {
    stream.label('domain', h.domain, 'benign', 'popular-site');
    for (const ip of h.ips) stream.label('ip', ip, 'benign', 'cloud-address');
  }
  // The most widely installed programs are what an attacker would hide behind, and what a
  // propagating model must not convict.
  for (const f of benign.files) if (f.ref.signer !== undefined && f.prevalence >= 0.2) stream.tag('file', f.ref.sha256, 'popular-software');
  return infra;
}

/**
 * Benign use of the shared infrastructure over the whole window: Windows' DNS client and
 * browsers (DNS over HTTPS) talk to public resolvers, a VPN client and some users ask IP-echo
 * services for their address, mail and chat links go through shorteners, documents and tools
 * come from file-sharing hosts, CDN-fronted sites are browsed, and a third of the hosts fetch
 * Chrome from its download page.
 */
export function addInfrastructureTraffic(rng: Rng, stream: EventStream, fleet: Fleet, pool: IndicatorPool, infra: SharedInfrastructure, benign: BenignWorld): void {
  const span = stream.end - stream.start;
  const when = () => stream.start + rng.float() * span;
  const ep = (e: Endpoint) => ({ sensor: e.sensor, host: e.host });
  const resolve = (e: Endpoint, at: number, hub: Hub) => stream.add(e.tenant, at, { ...ep(e), type: 'dns_resolve', domain: hub.domain, relations: { resolvedIps: hub.ips } });
  const visit = (e: Endpoint, at: number, hub: Hub, url: string, role: string) => {
    resolve(e, at - 400, hub);
    stream.label('url', url, 'benign', role);
    stream.add(e.tenant, at, { ...ep(e), type: 'url_visit', url });
  };
  const popularPage = () => {
    const site = pool.topDomains[rng.zipf(Math.min(300, pool.topDomains.length), 1)]!;
    return `https://${site}/${rng.pick(['news', 'article', 'watch', 'post'])}/${rng.hex(3)}`;
  };

  // svchost.exe hosts the Windows DNS client: every host runs it, most against a public resolver.
  const svchost: BenignFile = { ref: { sha256: rng.hex(32), name: 'svchost.exe', size: 55_320, signer: 'Microsoft Windows' }, prevalence: 1 };
  stream.label('file', svchost.ref.sha256, 'benign', 'system-software');
  const browsers = benign.files.filter((f) => f.ref.signer !== undefined).slice(0, 3);
  const vpn = benign.files.filter((f) => f.ref.signer !== undefined)[6];
  const dohResolvers = ['1.1.1.1', '8.8.8.8', '9.9.9.9'];
  for (const e of fleet.endpoints) {
    const boot = stream.start + rng.float() * 0.05 * span;
    stream.add(e.tenant, boot, { ...ep(e), type: 'process_start', file: svchost.ref });
    const resolver = rng.chance(0.7) ? rng.pick(infra.resolvers) : undefined;
    if (resolver !== undefined) {
      for (let n = rng.int(2, 4); n > 0; n--) stream.add(e.tenant, when(), { ...ep(e), type: 'net_conn', file: svchost.ref, ip: resolver, port: 53 });
    }
    for (const b of browsers) {
      if (!(benign.installs.get(b) ?? []).includes(e) || !rng.chance(0.5)) continue;
      stream.add(e.tenant, when(), { ...ep(e), type: 'net_conn', file: b.ref, ip: rng.pick(dohResolvers), port: 443 });
    }
    if (vpn !== undefined && (benign.installs.get(vpn) ?? []).includes(e)) {
      for (let n = rng.int(1, 3); n > 0; n--) {
        const hub = rng.pick(infra.ipEcho);
        const at = when();
        resolve(e, at, hub);
        stream.add(e.tenant, at + 300, { ...ep(e), type: 'net_conn', file: vpn.ref, domain: hub.domain, ip: rng.pick(hub.ips), port: 443 });
      }
    }
    if (rng.chance(0.15)) {
      const hub = rng.pick(infra.ipEcho);
      visit(e, when(), hub, `https://${hub.domain}/`, 'ip-echo-url');
    }
    // Short links from chat and social sites, followed to a popular page.
    for (let n = rng.chance(0.4) ? rng.int(1, 3) : 0; n > 0; n--) {
      const hub = rng.pick(infra.shorteners);
      const at = when();
      visit(e, at, hub, shortUrl(rng, hub), 'short-link');
      const page = popularPage();
      stream.label('url', page, 'benign', 'page');
      stream.add(e.tenant, at + 800, { ...ep(e), type: 'url_visit', url: page });
    }
    // Shared documents, and now and then a tool fetched from a repository or a chat server.
    for (let n = rng.chance(0.5) ? rng.int(1, 3) : 0; n > 0; n--) {
      const hub = rng.pick(infra.fileShares);
      const name = `${rng.pick(DOC_NAMES)}_${rng.int(10, 99)}.${rng.pick(['pdf', 'docx', 'xlsx', 'txt'])}`;
      visit(e, when(), hub, fileShareUrl(rng, hub, name), 'file-share-url');
    }
    if (rng.chance(0.12)) {
      const hub = rng.pick(infra.fileShares.filter((h) => h.domain !== 'pastebin.com'));
      const tool: BenignFile = { ref: { sha256: rng.hex(32), name: `${rng.pick(['portable', 'cli', 'tool', 'helper'])}-${rng.hex(2)}.exe`, size: rng.int(200_000, 9_000_000) }, prevalence: 0 };
      const url = fileShareUrl(rng, hub, tool.ref.name);
      const at = when();
      visit(e, at, hub, url, 'file-share-url');
      stream.label('file', tool.ref.sha256, 'benign', 'shared-tool');
      stream.add(e.tenant, at + 2000, { ...ep(e), type: 'file_seen', file: tool.ref, relations: { downloadedFrom: url } });
      stream.add(e.tenant, at + 9000, { ...ep(e), type: 'process_start', file: tool.ref, relations: { parentFile: benign.system.explorer.ref } });
    }
    for (let n = rng.int(2, 6); n > 0; n--) {
      const hub = infra.cdnSites[rng.zipf(infra.cdnSites.length, 0.8)]!;
      visit(e, when(), hub, `https://${hub.domain}/${rng.pick(['', 'blog/', 'shop/', 'docs/'])}${rng.hex(2)}`, 'page');
    }
    if (rng.chance(infra.chrome.installer.prevalence)) {
      const at = when();
      resolve(e, at - 3500, infra.chrome.site);
      stream.add(e.tenant, at - 3000, { ...ep(e), type: 'url_visit', url: infra.chrome.page });
      resolve(e, at - 1500, infra.chrome.downloadSite);
      stream.add(e.tenant, at - 1000, { ...ep(e), type: 'url_visit', url: infra.chrome.download });
      stream.add(e.tenant, at, { ...ep(e), type: 'file_seen', file: infra.chrome.installer.ref, relations: { downloadedFrom: infra.chrome.download } });
      stream.add(e.tenant, at + 4000, { ...ep(e), type: 'process_start', file: infra.chrome.installer.ref, relations: { parentFile: benign.system.explorer.ref } });
    }
  }

  // Ordinary mail with shortened links (newsletters, social notifications).
  for (const t of fleet.tenants) {
    for (let m = Math.ceil(t.endpoints.length * 0.4); m > 0; m--) {
      const hub = rng.pick(infra.shorteners);
      const url = shortUrl(rng, hub);
      stream.label('url', url, 'benign', 'short-link');
      const sender = `${rng.pick(['news', 'updates', 'notifications'])}@${pool.topDomains[rng.int(0, Math.min(50, pool.topDomains.length) - 1)]!}`;
      stream.label('email', sender, 'benign', 'sender');
      stream.add(t.tenant, when(), { sensor: t.mail.sensor, host: t.mail.host, type: 'email_received', sender, relations: { carriedUrls: [url] } });
    }
  }
}
