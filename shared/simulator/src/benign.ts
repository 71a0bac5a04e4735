import { cloudAddress, hostingAddress } from './addresses.ts';
import type { EventStream } from './event-stream.ts';
import { ENDPOINT_ENGINES, type Endpoint, type Fleet } from './fleet.ts';
import type { IndicatorPool } from './indicator-pool.ts';
import type { Rng } from './rng.ts';
import type { SimFileRef } from './types.ts';

/** A benign program as endpoints see it. */
export interface BenignFile {
  ref: SimFileRef;
  /** Share of hosts that have it. */
  prevalence: number;
  /** Where it is downloaded from, when it is. */
  source?: string;
}

/** The benign processes every campaign's payloads hang under (the user's shell, Office, mail). */
export interface SystemFiles {
  explorer: BenignFile;
  winword: BenignFile;
  outlook: BenignFile;
}

/** What benign activity installed: the hard cases build on it (noisy engines, resolver traffic). */
export interface BenignWorld {
  system: SystemFiles;
  /** Signed apps (most common first), then unsigned tools. */
  files: BenignFile[];
  /** The endpoints each catalogue file runs on. */
  installs: Map<BenignFile, Endpoint[]>;
}

export interface BenignOptions {
  signedApps: number;
  unsignedTools: number;
  /** Share of benign files some engine falsely detects. */
  falseDetectionRate: number;
  /** Benign page visits per host over the window. */
  visitsPerHost: number;
}

const PUBLISHERS = [
  'Microsoft Corporation', 'Google LLC', 'Adobe Inc.', 'Mozilla Corporation', 'Zoom Video Communications, Inc.',
  'Slack Technologies, LLC', 'Oracle America, Inc.', 'Dropbox, Inc.', 'Notepad++', 'Igor Pavlov', 'VideoLAN',
  'Citrix Systems, Inc.', 'Cisco Systems, Inc.', 'JetBrains s.r.o.', 'Python Software Foundation', 'Docker Inc',
];
const APP_WORDS = ['update', 'helper', 'agent', 'setup', 'service', 'launcher', 'sync', 'client', 'viewer', 'tray'];
const TOOL_WORDS = ['dump', 'scan', 'patch', 'crack', 'fix', 'ping', 'tweak', 'port', 'kit', 'mon'];

/** The benign software catalogue: three system programs, signed apps (Zipf prevalence) and rare unsigned tools. */
export function createCatalogue(rng: Rng, pool: IndicatorPool, options: BenignOptions): { system: SystemFiles; files: BenignFile[] } {
  const hashes = rng.sample(pool.benignHashes, options.signedApps + options.unsignedTools + 3);
  let h = 0;
  const file = (name: string, signer: string | undefined, prevalence: number): BenignFile => ({
    ref: { sha256: hashes[h++] ?? rng.hex(32), name, size: rng.int(40_000, 90_000_000), ...(signer !== undefined ? { signer } : {}) },
    prevalence,
  });
  const system: SystemFiles = {
    explorer: file('explorer.exe', 'Microsoft Windows', 1),
    winword: file('WINWORD.EXE', 'Microsoft Corporation', 0.85),
    outlook: file('OUTLOOK.EXE', 'Microsoft Corporation', 0.85),
  };
  const vendorSites = pool.topDomains.length > 0 ? rng.sample(pool.topDomains, PUBLISHERS.length) : [];
  const files: BenignFile[] = [];
  for (let k = 0; k < options.signedApps; k++) {
    const p = PUBLISHERS.indexOf(rng.pick(PUBLISHERS));
    // Zipf-like prevalence: the k-th most common app sits on 0.9 / (k + 1)^0.9 of the hosts.
    const f = file(`${rng.pick(APP_WORDS)}${rng.int(1, 99)}.exe`, PUBLISHERS[p], Math.min(0.95, 0.9 / (k + 1) ** 0.9));
    const site = vendorSites[p];
    if (site !== undefined && rng.chance(0.5)) f.source = `https://download.${site}/${rng.hex(3)}/${f.ref.name}`;
    files.push(f);
  }
  for (let k = 0; k < options.unsignedTools; k++) {
    const f = file(`${rng.pick(TOOL_WORDS)}${rng.pick(TOOL_WORDS)}.exe`, undefined, Math.max(0.01, 0.25 / (k + 1) ** 1.1));
    const site = pool.tailDomains.length > 0 ? rng.pick(pool.tailDomains) : undefined;
    if (site !== undefined && rng.chance(0.6)) f.source = `https://${site}/files/${f.ref.name}`;
    files.push(f);
  }
  return { system, files };
}

/** A benign domain's addresses: cloud ranges for popular sites, other hosting for the tail. */
function addressesOf(rng: Rng, pool: IndicatorPool, domain: string, popular: boolean, cache: Map<string, string[]>): string[] {
  let ips = cache.get(domain);
  if (ips === undefined) {
    const one = () => (popular && pool.cloudNetworks.length > 0 ? cloudAddress(rng, pool) : hostingAddress(rng));
    ips = Array.from({ length: rng.int(1, 2) }, one);
    cache.set(domain, ips);
  }
  return ips;
}

/**
 * Benign activity over the window: every host runs its installed programs (file_seen when
 * installed or downloaded, process_start under explorer.exe), browses popular and tail sites
 * (dns_resolve + url_visit), receives ordinary mail; engines mostly say nothing or `clean`,
 * and a few of them falsely detect a benign file (one engine, sometimes a second copying it).
 */
export function addBenignActivity(rng: Rng, stream: EventStream, fleet: Fleet, pool: IndicatorPool, options: BenignOptions): BenignWorld {
  const { system, files } = createCatalogue(rng.fork('catalogue'), pool, options);
  const span = stream.end - stream.start;
  const when = () => stream.start + rng.float() * span;
  const ipCache = new Map<string, string[]>();

  const labelFile = (f: BenignFile, role: string) => stream.label('file', f.ref.sha256, 'benign', role);
  for (const f of Object.values(system)) labelFile(f, 'system-software');
  for (const f of files) labelFile(f, f.ref.signer !== undefined ? 'signed-software' : 'unsigned-tool');

  const resolve = (e: Endpoint, at: number, domain: string, popular: boolean) => {
    const ips = addressesOf(rng, pool, domain, popular, ipCache);
    stream.label('domain', domain, 'benign', popular ? 'popular-site' : 'site');
    for (const ip of ips) stream.label('ip', ip, 'benign', popular ? 'cloud-address' : 'hosting-address');
    stream.add(e.tenant, at, { sensor: e.sensor, host: e.host, type: 'dns_resolve', domain, relations: { resolvedIps: ips } });
  };
  const engineSays = (e: Endpoint) => (rng.chance(0.25) ? { verdict: { engine: e.engine, category: 'clean' as const } } : {});

  const run = (e: Endpoint, f: BenignFile) => {
    const installed = when();
    if (f.source !== undefined) {
      const host = new URL(f.source).hostname;
      resolve(e, installed - 2000, host, true);
      stream.label('url', f.source, 'benign', 'software-download');
      stream.add(e.tenant, installed - 1000, { sensor: e.sensor, host: e.host, type: 'url_visit', url: f.source });
      stream.add(e.tenant, installed, { sensor: e.sensor, host: e.host, type: 'file_seen', file: f.ref, relations: { downloadedFrom: f.source }, ...engineSays(e) });
    } else {
      stream.add(e.tenant, installed, { sensor: e.sensor, host: e.host, type: 'file_seen', file: f.ref, ...engineSays(e) });
    }
    for (let n = rng.int(1, 2); n > 0; n--) {
      stream.add(e.tenant, installed + rng.float() * (stream.end - installed), {
        sensor: e.sensor, host: e.host, type: 'process_start', file: f.ref, relations: { parentFile: system.explorer.ref },
      });
    }
  };

  const hostsOf = new Map<BenignFile, Endpoint[]>();
  for (const e of fleet.endpoints) {
    for (const f of Object.values(system)) if (rng.chance(f.prevalence)) run(e, f);
    for (const f of files) {
      if (!rng.chance(f.prevalence)) continue;
      run(e, f);
      hostsOf.set(f, [...(hostsOf.get(f) ?? []), e]);
    }
    for (let v = 0; v < options.visitsPerHost; v++) {
      const popular = rng.chance(0.7) || pool.tailDomains.length === 0;
      const domain = popular ? pool.topDomains[rng.zipf(Math.min(300, pool.topDomains.length), 1)]! : rng.pick(pool.tailDomains);
      const at = when();
      resolve(e, at, domain, popular);
      const url = `https://${rng.chance(0.5) ? 'www.' : ''}${domain}/${rng.pick(['', 'news/', 'docs/', 'products/', 'search?q='])}${rng.hex(2)}`;
      stream.label('url', url, 'benign', 'page');
      stream.add(e.tenant, at + 500, { sensor: e.sensor, host: e.host, type: 'url_visit', url });
    }
  }

  // Ordinary mail: colleagues and vendors with links to popular sites.
  for (const t of fleet.tenants) {
    for (let m = Math.ceil(t.endpoints.length * 1.5); m > 0; m--) {
      const site = pool.topDomains[rng.zipf(Math.min(300, pool.topDomains.length), 1)]!;
      const url = `https://${site}/${rng.pick(['share', 'invite', 'doc', 'event'])}/${rng.hex(4)}`;
      stream.label('url', url, 'benign', 'mail-link');
      stream.label('domain', site, 'benign', 'popular-site');
      const sender = `${rng.pick(['news', 'team', 'billing', 'hr', 'support'])}@${site}`;
      stream.label('email', sender, 'benign', 'sender');
      stream.add(t.tenant, when(), { sensor: t.mail.sensor, host: t.mail.host, type: 'email_received', sender, relations: { carriedUrls: [url] } });
    }
  }

  // False detections: an engine's signature hits a benign file on the hosts running that engine.
  // Copycat labels (a second vendor following the first) hit only unsigned tools.
  const engines = new Set(fleet.endpoints.map((e) => e.engine));
  for (const f of files) {
    const seenOn = hostsOf.get(f) ?? [];
    if (seenOn.length === 0 || !rng.chance(options.falseDetectionRate)) continue;
    const noisy = [rng.pick(ENDPOINT_ENGINES.filter((x) => engines.has(x)))];
    if (f.ref.signer === undefined && rng.chance(0.15)) {
      const other = ENDPOINT_ENGINES.filter((x) => engines.has(x) && x !== noisy[0]);
      if (other.length > 0) noisy.push(rng.pick(other));
    }
    // Hack tools are as often called malware as PUA; signed software gets a heuristic hit.
    const category = f.ref.signer === undefined && rng.chance(0.5) ? ('pua' as const) : ('malicious' as const);
    const name = f.ref.signer === undefined ? 'HackTool.Win32.Generic' : 'Heur.Suspicious.Gen';
    for (const engine of noisy) {
      for (const e of seenOn.filter((x) => x.engine === engine)) {
        if (!rng.chance(0.7)) continue;
        stream.add(e.tenant, when(), { sensor: e.sensor, host: e.host, type: 'detection', file: f.ref, verdict: { engine, name, category } });
      }
    }
  }
  return { system, files, installs: hostsOf };
}
