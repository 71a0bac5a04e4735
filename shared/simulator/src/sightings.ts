import { isIP } from 'node:net';
import type { SensorEvent, SimEvent, TruthKind } from './types.ts';

/** When an indicator was first named by an event, overall and per tenant (virtual ms). */
export interface Sighting {
  first: number;
  tenants: Map<string, number>;
}

/** The truth key of an indicator (`url:https://…`), as `EventStream` labels it. */
export const truthKey = (kind: TruthKind, value: string): string => `${kind}:${value}`;

/**
 * The indicators an event names, as telemetry schema v1 defines them: its file, URL, domain,
 * IP and sender, the related files, URLs and addresses, and the host of every URL (a domain or
 * an address). Values as sent (the simulator sends canonical ones).
 */
export function indicatorsOf(e: SensorEvent, hostOf: (url: string) => { kind: TruthKind; value: string } | undefined): { kind: TruthKind; value: string }[] {
  const out: { kind: TruthKind; value: string }[] = [];
  const url = (u: string) => {
    out.push({ kind: 'url', value: u });
    const host = hostOf(u);
    if (host !== undefined) out.push(host);
  };
  if (e.file !== undefined) out.push({ kind: 'file', value: e.file.sha256 });
  if (e.url !== undefined) url(e.url);
  if (e.domain !== undefined) out.push({ kind: 'domain', value: e.domain });
  if (e.ip !== undefined) out.push({ kind: 'ip', value: e.ip });
  if (e.sender !== undefined) out.push({ kind: 'email', value: e.sender });
  const r = e.relations;
  if (r !== undefined) {
    if (r.downloadedFrom !== undefined) url(r.downloadedFrom);
    if (r.parentFile !== undefined) out.push({ kind: 'file', value: r.parentFile.sha256 });
    for (const ip of r.resolvedIps ?? []) out.push({ kind: 'ip', value: ip });
    for (const u of r.carriedUrls ?? []) url(u);
    for (const f of r.attachments ?? []) out.push({ kind: 'file', value: f.sha256 });
  }
  return out;
}

/** A URL host parser that remembers what it parsed (a stream repeats its URLs). */
export function createHostOf(): (url: string) => { kind: TruthKind; value: string } | undefined {
  const cache = new Map<string, { kind: TruthKind; value: string } | undefined>();
  return (url) => {
    if (cache.has(url)) return cache.get(url);
    let host: { kind: TruthKind; value: string } | undefined;
    try {
      const name = new URL(url).hostname;
      host = name === '' ? undefined : { kind: isIP(name) !== 0 ? 'ip' : 'domain', value: name };
    } catch {
      host = undefined;
    }
    cache.set(url, host);
    return host;
  };
}

/** Every indicator the stream names, with when each tenant first named it. */
export function collectSightings(events: readonly SimEvent[]): Map<string, Sighting> {
  const hostOf = createHostOf();
  const seen = new Map<string, Sighting>();
  for (const { tenant, event } of events) {
    for (const { kind, value } of indicatorsOf(event, hostOf)) {
      const key = truthKey(kind, value);
      let s = seen.get(key);
      if (s === undefined) seen.set(key, (s = { first: event.time, tenants: new Map() }));
      if (!s.tenants.has(tenant)) s.tenants.set(tenant, event.time);
    }
  }
  return seen;
}
