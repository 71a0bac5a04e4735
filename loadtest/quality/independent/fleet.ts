import type { Rng } from '@repute/simulator';
import { DAY } from './clock.ts';
import { alnum } from './names.ts';

/** Anti-malware engines on endpoints; `av-foxtrot` is an aggressive machine-learning engine. */
export const AV_ENGINES = ['av-alpha', 'av-bravo', 'av-charlie', 'av-delta', 'av-echo'] as const;
export const AGGRESSIVE_AV = 'av-foxtrot';

export type Browser = 'chrome' | 'edge' | 'firefox';

/** One managed machine and the endpoint agent on it. */
export interface Host {
  tenant: string;
  id: string;
  /** The endpoint agent's sensor id. */
  sensor: string;
  os: 'win10' | 'win11';
  browser: Browser;
  /** Keys of the popular applications installed (see software.ts). */
  apps: string[];
  /** Share of days the host is on: laptops and part-time staff miss some. */
  presence: number;
  /** How long after a release this host installs it (patch rings, machines that were off). */
  lag: number;
}

/** A network device of a tenant: its sensor id, the engine that gives its verdicts. */
export interface Device {
  sensor: string;
  engine: string;
}

export interface Tenant {
  id: string;
  /** Hours from UTC of the office. */
  tz: number;
  hosts: Host[];
  /** Engines of the endpoint agents: every tenant has one, a few run a second. */
  av: string[];
  mail?: Device;
  web?: Device;
  dns?: Device;
  /** The sandbox detonates mail attachments and links, and some downloads; `host` is its appliance. */
  sandbox?: Device & { host: string };
}

export interface Fleet {
  tenants: Tenant[];
  /** Tenants with real users. */
  customers: Tenant[];
  attacker: Tenant;
}

const APPS = ['teams', 'zoom', 'slack', 'acrobat', 'office', 'vscode', 'notepadpp', '7zip', 'vlc', 'python', 'putty', 'winscp', 'keepass', 'anydesk'];
const APP_SHARE: Record<string, number> = {
  teams: 0.8, zoom: 0.55, slack: 0.35, acrobat: 0.7, office: 0.9, vscode: 0.2, notepadpp: 0.3, '7zip': 0.45,
  vlc: 0.25, python: 0.15, putty: 0.1, winscp: 0.08, keepass: 0.12, anydesk: 0.06,
};
const TIMEZONES = [-8, -5, -5, 0, 1, 1, 1, 2, 5.5, 8, 9, 10];

export function createFleet(rng: Rng, tenantCount: number, endpointsPerTenant: number): Fleet {
  if (!Number.isInteger(tenantCount) || tenantCount < 2) throw new RangeError('a scenario needs at least one customer tenant and the attacker');
  const tenants: Tenant[] = [];
  const hostIds = new Set<string>();
  for (let t = 0; t < tenantCount; t++) {
    const id = `tenant-${t + 1}`;
    const attacker = t === tenantCount - 1;
    const size = attacker ? 0 : Math.max(3, rng.int(Math.round(endpointsPerTenant * 0.8), Math.round(endpointsPerTenant * 1.2)));
    const win11Share = rng.float();
    const browserMix = rng.pick<Browser[]>([['chrome', 'edge'], ['edge'], ['chrome'], ['chrome', 'firefox', 'edge']]);
    const hosts: Host[] = [];
    for (let h = 0; h < size; h++) {
      let hostId: string;
      do hostId = `h-${alnum(rng, 10)}`;
      while (hostIds.has(hostId));
      hostIds.add(hostId);
      hosts.push({
        tenant: id,
        id: hostId,
        sensor: `ep-${h + 1}`,
        os: rng.chance(win11Share) ? 'win11' : 'win10',
        browser: rng.pick(browserMix),
        apps: APPS.filter((a) => rng.chance(APP_SHARE[a] ?? 0)),
        presence: rng.chance(0.2) ? 0.6 : 0.95,
        lag: Math.round(rng.float() ** 2 * 3 * DAY),
      });
    }
    const av: string[] = [AV_ENGINES[t % AV_ENGINES.length]!];
    // The aggressive engine runs beside the main one at a few customers (it is sold as an add-on).
    if (!attacker && t % 4 === 1) av.push(AGGRESSIVE_AV);
    const tenant: Tenant = { id, tz: TIMEZONES[t % TIMEZONES.length]!, hosts, av };
    if (!attacker) {
      if (rng.chance(0.85)) tenant.mail = { sensor: 'mailgw-1', engine: rng.pick(['mailguard-y', 'mailshield-k']) };
      if (rng.chance(0.65)) tenant.web = { sensor: 'webgw-1', engine: rng.pick(['webfilter-x', 'webfilter-w']) };
      if (rng.chance(0.55)) tenant.dns = { sensor: 'dnsfw-1', engine: 'dnsshield-z' };
      if (rng.chance(0.45)) tenant.sandbox = { sensor: 'sandbox-1', engine: 'detonator-q', host: `sbx-${alnum(rng, 6)}` };
    }
    tenants.push(tenant);
  }
  return { tenants, customers: tenants.slice(0, -1), attacker: tenants[tenants.length - 1]! };
}
