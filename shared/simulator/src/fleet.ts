import type { Rng } from './rng.ts';

/** An endpoint: one agent (sensor) on one host, running its tenant's engine. */
export interface Endpoint {
  tenant: string;
  sensor: string;
  host: string;
  engine: string;
}

/** A tenant's sensors: endpoints plus the gateways and sandbox that report for the whole tenant. */
export interface TenantSensors {
  tenant: string;
  endpoints: Endpoint[];
  /** Endpoint engine vendor of the tenant (one vendor per tenant, as in a real deployment). */
  engine: string;
  mail: { sensor: string; host: string; engine: string };
  web: { sensor: string; host: string; engine: string };
  network: { sensor: string; host: string; engine: string };
  sandbox: { sensor: string; host: string; engine: string } | undefined;
  /** A DNS firewall (resolver with a threat feed), in the hard-case scenario only. */
  dns?: { sensor: string; host: string; engine: string } | undefined;
}

export interface Fleet {
  tenants: TenantSensors[];
  endpoints: Endpoint[];
}

/** Endpoint engine vendors; they differ in which families they detect (see campaigns). */
export const ENDPOINT_ENGINES = ['av-aurora', 'av-borealis', 'av-cirrus', 'av-dynamo', 'av-ember'] as const;
const WEB_ENGINES = ['swg-atlas', 'swg-beacon'];
const IPS_ENGINES = ['ips-crest', 'ips-delta'];
const SANDBOXES = ['sandbox-orbit', 'sandbox-prism'];
const DNS_FIREWALLS = ['dnsfw-quad', 'dnsfw-umbra'];

/**
 * Builds the fleet: `sensors` endpoints over `tenants` tenants (uneven sizes, every tenant at
 * least one endpoint), each tenant with a mail gateway, a web gateway, an IPS, and for most a
 * sandbox.
 */
export function createFleet(rng: Rng, tenantCount: number, sensorCount: number): Fleet {
  const names = Array.from({ length: tenantCount }, (_, i) => `tenant-${String(i + 1).padStart(2, '0')}`);
  // Uneven sizes: weights in [1, 3), then every tenant keeps at least one endpoint.
  const weights = names.map(() => 1 + 2 * rng.float());
  const total = weights.reduce((a, b) => a + b, 0);
  const spare = Math.max(0, sensorCount - tenantCount);
  const sizes = weights.map((w) => 1 + Math.floor((spare * w) / total));
  for (let i = 0, left = sensorCount - sizes.reduce((a, b) => a + b, 0); left > 0; i = (i + 1) % sizes.length, left--) sizes[i]! += 1;
  const tenants: TenantSensors[] = names.map((tenant, t) => {
    const engine = ENDPOINT_ENGINES[t % ENDPOINT_ENGINES.length]!;
    const short = `t${t + 1}`;
    const endpoints = Array.from({ length: sizes[t]! }, (_, i): Endpoint => ({
      tenant,
      sensor: `ep-${short}-${String(i + 1).padStart(4, '0')}`,
      host: `host-${rng.hex(6)}`,
      engine,
    }));
    return {
      tenant,
      endpoints,
      engine,
      mail: { sensor: `mx-${short}`, host: `mx-${rng.hex(4)}`, engine: `mx-${rng.pick(['guard', 'shield'])}` },
      web: { sensor: `swg-${short}`, host: `proxy-${rng.hex(4)}`, engine: rng.pick(WEB_ENGINES) },
      network: { sensor: `ips-${short}`, host: `ips-${rng.hex(4)}`, engine: rng.pick(IPS_ENGINES) },
      sandbox: rng.chance(0.8) ? { sensor: `sbx-${short}`, host: `sbx-${rng.hex(4)}`, engine: rng.pick(SANDBOXES) } : undefined,
    };
  });
  return { tenants, endpoints: tenants.flatMap((t) => t.endpoints) };
}

/**
 * Gives most tenants (70 %) a DNS firewall: a resolver that answers `dns_resolve` with its
 * feed's verdict. Drawn from `rng` alone, so the rest of the fleet is the same with or without.
 */
export function addDnsFirewalls(rng: Rng, fleet: Fleet): void {
  fleet.tenants.forEach((t, i) => {
    if (rng.chance(0.7)) t.dns = { sensor: `dnsfw-t${i + 1}`, host: `resolver-${rng.hex(4)}`, engine: rng.pick(DNS_FIREWALLS) };
  });
}
