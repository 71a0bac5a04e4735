import type { Compromised } from './compromised.ts';
import type { Host } from './fleet.ts';
import type { Hubs } from './hubs.ts';
import type { Sensors } from './sensors.ts';
import type { Site } from './site.ts';
import type { Software } from './software.ts';
import type { Web } from './web.ts';
import type { FileRef, World } from './world.ts';

/** The world and its furniture, as the stories use it. */
export interface Context {
  world: World;
  sensors: Sensors;
  hubs: Hubs;
  web: Web;
  software: Software;
  compromised: Compromised;
}

/** The build of system binary `name` a host runs at `time`. */
export function systemFile(ctx: Context, host: Host, name: string, time: number): FileRef {
  const releases = ctx.software.system[host.os].get(name);
  if (releases === undefined) throw new Error(`no system binary ${name}`);
  return ctx.software.current(host, releases, time).file;
}

/** The binary of product `key` a host runs at `time`. */
export function appFile(ctx: Context, host: Host, key: string, time: number): FileRef {
  const product = ctx.software.products.find((p) => p.key === key);
  if (product === undefined) throw new Error(`no product ${key}`);
  return ctx.software.current(host, product.releases, time).file;
}

/** A random address of a site, as a resolver would rotate them. */
export function addressOf(ctx: Context, site: Site): string {
  return ctx.world.rng.pick(site.ips);
}

/** Opens a page in the browser: the name lookup, the visit, sometimes the connection the agent logs. */
export function browse(ctx: Context, host: Host, time: number, site: Site, url: string, campaign?: string): boolean {
  const { sensors, world } = ctx;
  const dns = world.rng.chance(0.7) ? sensors.resolve(host, time, site.domain, site.ips, campaign) : { blocked: false };
  if (dns.blocked) return false;
  const seen = sensors.visit(host, time + world.rng.int(50, 900), url, campaign);
  if (seen.blocked) return false;
  if (world.rng.chance(0.2)) {
    const port = url.startsWith('http:') ? 80 : 443;
    sensors.connect(host, time + world.rng.int(100, 1500), { ip: addressOf(ctx, site), port, domain: site.domain, file: appFile(ctx, host, host.browser, time) }, campaign);
  }
  return true;
}
