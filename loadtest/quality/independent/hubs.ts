import type { Rng } from '@repute/simulator';
import { alnum, base62, chars, digits, hostedLabel, slug } from './names.ts';
import { addPage, createSite, type Site } from './site.ts';
import type { World } from './world.ts';

/** A service that hosts anybody's files at a URL of its own: good for sharing, good for droppers. */
export interface FileShare {
  site: Site;
  /** A fresh download URL path for a file called `name`. */
  path(rng: Rng, name: string): string;
}

/** A URL shortener: `path` makes a fresh short link. */
export interface Shortener {
  site: Site;
  path(rng: Rng): string;
}

/** A free hosting platform: anybody gets `<label>.<suffix>`, all served from the platform's addresses. */
export interface Platform {
  suffix: string;
  ips: string[];
}

/**
 * The Internet's shared plumbing, benign in itself and used by everybody, malware included:
 * CDN and cloud addresses behind thousands of names, public DNS resolvers, "what is my IP"
 * services, shorteners, file shares, free hosting, and a sinkhole.
 */
export interface Hubs {
  cdn: string[];
  cloud: string[];
  resolvers: string[];
  /** DNS-over-HTTPS front ends of the public resolvers. */
  doh: Site[];
  ipEcho: Site[];
  shorteners: Shortener[];
  fileShares: FileShare[];
  platforms: Platform[];
  sinkhole: string;
}

const RESOLVERS = ['8.8.8.8', '8.8.4.4', '1.1.1.1', '1.0.0.1', '9.9.9.9', '149.112.112.112', '208.67.222.222', '2001:4860:4860::8888', '2606:4700:4700::1111'];

export function createHubs(world: World): Hubs {
  const { rng, ips, ledger } = world;
  const own = (pool: 'popular' | 'cloud', role: string, n: number): string[] =>
    Array.from({ length: n }, () => {
      const ip = ips.take(pool);
      ledger.benign('ip', ip, { role });
      return ip;
    });

  const cdn = [...Array.from({ length: 36 }, () => ips.take('cdn')), ...Array.from({ length: 4 }, () => ips.take('cdn6'))];
  for (const ip of cdn) ledger.benign('ip', ip, { role: 'cdn-ip' });
  const cloud = own('cloud', 'cloud-address', 50);

  for (const ip of RESOLVERS) {
    ips.reserve(ip);
    ledger.benign('ip', ip, { role: 'public-resolver' });
  }
  const doh = [
    createSite(world, { domain: 'dns.google', role: 'public-resolver', ips: ['8.8.8.8', '8.8.4.4'], paths: ['/dns-query', '/resolve?name=example.com'] }),
    createSite(world, { domain: 'cloudflare-dns.com', role: 'public-resolver', ips: ['1.1.1.1', '1.0.0.1'], paths: ['/dns-query'] }),
    createSite(world, { domain: 'dns.quad9.net', role: 'public-resolver', ips: ['9.9.9.9', '149.112.112.112'], paths: ['/dns-query'] }),
  ];

  const ipEcho = [
    ['api.ipify.org', ['/?format=json', '/']],
    ['ifconfig.me', ['/ip', '/all.json']],
    ['icanhazip.com', ['/']],
    ['checkip.amazonaws.com', ['/']],
    ['ipinfo.io', ['/json', '/ip']],
    ['ip-api.com', ['/json/', '/line/']],
  ].map(([domain, paths]) =>
    createSite(world, { domain: domain as string, role: 'ip-echo', ips: own('cloud', 'ip-echo', 2), paths: paths as string[], ...(domain === 'ip-api.com' ? { scheme: 'http' as const } : {}) }),
  );

  const shortenerSpecs: [string, (r: Rng) => string][] = [
    ['bit.ly', (r) => `/${base62(r, 7)}`],
    ['t.co', (r) => `/${base62(r, 10)}`],
    ['tinyurl.com', (r) => `/${alnum(r, 8)}`],
    ['ow.ly', (r) => `/${base62(r, 5)}50${base62(r, 5)}`],
    ['rb.gy', (r) => `/${alnum(r, 6)}`],
    ['is.gd', (r) => `/${base62(r, 6)}`],
    ['lnkd.in', (r) => `/e${base62(r, 7)}`],
  ];
  const shorteners = shortenerSpecs.map(([domain, path]) => ({
    site: createSite(world, { domain, role: 'shortener', ips: own('popular', 'shortener', 2), paths: ['/'] }),
    path,
  }));

  const shareSpecs: [string, (r: Rng, name: string) => string][] = [
    ['drive.google.com', (r) => (r.chance(0.5) ? `/uc?export=download&id=${base62(r, 33)}` : `/file/d/${base62(r, 33)}/view`)],
    ['pastebin.com', (r) => `/raw/${base62(r, 8)}`],
    ['raw.githubusercontent.com', (r, n) => `/${slug(r).split('-')[0]}${digits(r, 2)}/${slug(r)}/main/${n}`],
    ['cdn.discordapp.com', (r, n) => `/attachments/${digits(r, 18)}/${digits(r, 19)}/${n}`],
    ['www.dropbox.com', (r, n) => `/s/${alnum(r, 15)}/${n}?dl=1`],
    ['onedrive.live.com', (r) => `/download?cid=${chars(r, '0123456789ABCDEF', 16)}&resid=${chars(r, '0123456789ABCDEF', 16)}!${r.int(100, 999)}`],
    ['transfer.sh', (r, n) => `/${base62(r, 6)}/${n}`],
    ['mega.nz', (r) => `/file/${base62(r, 8)}`],
  ];
  const fileShares = shareSpecs.map(([domain, path]) => ({
    site: createSite(world, { domain, role: 'file-share-host', ips: own('popular', 'file-share-host', 2), paths: ['/'] }),
    path,
  }));

  const platforms = ['web.app', 'firebaseapp.com', 'pages.dev', 'netlify.app', 'vercel.app', 'github.io', 'glitch.me', 'workers.dev', 'azurewebsites.net', 'blogspot.com'].map(
    (suffix) => {
      // Platforms serve every tenant site from a handful of shared front ends.
      const front = rng.sample(cdn.slice(0, 36), 2);
      return { suffix: world.names.reserve(suffix), ips: rng.chance(0.3) ? [...front, ...own('cloud', 'cloud-address', 1)] : front };
    },
  );

  const sinkhole = ips.take('sinkhole');
  ledger.benign('ip', sinkhole, { role: 'sinkhole' });

  return { cdn, cloud, resolvers: RESOLVERS, doh, ipEcho, shorteners, fileShares, platforms, sinkhole };
}

/** A fresh benign site on a free hosting platform (a portfolio, a project page, a wedding). */
export function hostedSite(world: World, platform: Platform): Site {
  const domain = world.names.unique(() => `${hostedLabel(world.rng)}.${platform.suffix}`);
  const site = createSite(world, { domain, role: 'free-hosting', ips: platform.ips, paths: ['/'] });
  if (world.rng.chance(0.5)) addPage(world, site, `/${slug(world.rng)}`);
  return site;
}
