import { HOUR, MINUTE } from './clock.ts';
import type { Host, Tenant } from './fleet.ts';
import type { Category } from './knowledge.ts';
import type { IndicatorKind } from './ledger.ts';
import type { Draft, FileRef, World } from './world.ts';

type Verdict = NonNullable<Draft['verdict']>;

/** What a device saw when it reported an event. */
export interface Outcome {
  /** The device stopped it (a blocked URL or DNS name, a quarantined e-mail). */
  blocked: boolean;
  /** The category the device gave, if any. */
  category?: Category;
}

/** A file the endpoint agent scanned: when, if ever, its engines quarantined it. */
export interface Scan {
  quarantinedAt?: number;
}

/**
 * The devices of each tenant, reporting what happens on its hosts. Each device reports the
 * way such devices do: a DNS firewall or web gateway sees every lookup or visit and stamps
 * it with its engine's category; without one, the endpoint agent reports a share of them;
 * the endpoint's anti-malware engines scan every new file and raise detections, late when
 * their signature comes late.
 */
export interface Sensors {
  tenant(id: string): Tenant;
  resolve(host: Host, time: number, domain: string, ips: string[], campaign?: string): Outcome;
  visit(host: Host, time: number, url: string, campaign?: string): Outcome;
  connect(host: Host, time: number, to: { ip: string; port: number; domain?: string; file?: FileRef }, campaign?: string): void;
  fileSeen(host: Host, time: number, file: FileRef, from?: string, campaign?: string): Scan;
  processStart(host: Host, time: number, file: FileRef, parent: FileRef | undefined, campaign?: string): Scan;
  mail(host: Host, time: number, sender: string, urls: string[], attachments: FileRef[], campaign?: string): Outcome;
  detonate(tenant: Tenant, time: number, target: { file: FileRef } | { url: string }, verdict: Verdict, campaign?: string): void;
  /** A detection an engine raises outside a file scan (an EDR network rule, a mail retro-scan). */
  alert(host: Host, time: number, sensor: string, target: { url?: string; domain?: string; ip?: string; file?: FileRef }, verdict: Verdict, campaign?: string): void;
}

const hostOf = (url: string): string => url.slice(url.indexOf('//') + 2).split(/[/?]/, 1)[0]!;

export function createSensors(world: World): Sensors {
  const { rng, knowledge } = world;
  const tenants = new Map(world.fleet.tenants.map((t) => [t.id, t]));
  const tenant = (id: string): Tenant => tenants.get(id)!;
  const scans = new Map<string, Scan>();

  const verdictOf = (engine: string, time: number, probes: [IndicatorKind, string][]): Verdict | undefined => {
    for (const [kind, value] of probes) {
      const belief = knowledge.at(engine, kind, value, time);
      if (belief !== undefined) return belief.name === undefined ? { engine, category: belief.category } : { engine, name: belief.name, category: belief.category };
    }
    return undefined;
  };
  const urlProbes = (url: string): [IndicatorKind, string][] => {
    const host = hostOf(url);
    return [['url', url], [/^[0-9.]+$/.test(host) ? 'ip' : 'domain', host]];
  };
  const outcome = (verdict: Verdict | undefined): Outcome =>
    verdict === undefined ? { blocked: false } : { blocked: verdict.category === 'malicious', category: verdict.category };

  // One scan per file and host: the agent's engines look at a file when it first appears,
  // and again when a new signature arrives (the scheduled scan), which is when late
  // detections come from.
  const scan = (host: Host, seen: number, file: FileRef, campaign?: string): Scan => {
    const k = `${host.tenant}\u0000${host.id}\u0000${file.sha256}`;
    const known = scans.get(k);
    if (known !== undefined) return known;
    const result: Scan = {};
    for (const engine of tenant(host.tenant).av) {
      for (const belief of knowledge.all(engine, 'file', file.sha256)) {
        if (belief.category === 'clean' || belief.category === 'unknown') continue;
        if (belief.until !== undefined && belief.until <= seen) continue;
        const at = belief.from <= seen ? seen + rng.int(2_000, 3 * MINUTE) : belief.from + rng.int(HOUR, 24 * HOUR);
        if (belief.until !== undefined && at >= belief.until) continue;
        const verdict: Verdict = belief.name === undefined ? { engine, category: belief.category } : { engine, name: belief.name, category: belief.category };
        if (!world.emit(host.tenant, { time: at, sensor: host.sensor, host: host.id, type: 'detection', file, verdict }, campaign)) continue;
        if (belief.category === 'malicious' && (result.quarantinedAt === undefined || at < result.quarantinedAt)) result.quarantinedAt = at;
        if (belief.until !== undefined) {
          // The vendor took the signature back; the agent reports the file clean on its next scan.
          world.emit(host.tenant, { time: belief.until + rng.int(30 * MINUTE, 12 * HOUR), sensor: host.sensor, host: host.id, type: 'detection', file, verdict: { engine, category: 'clean' } }, campaign);
        }
      }
    }
    scans.set(k, result);
    return result;
  };

  return {
    tenant,
    resolve(host, time, domain, ips, campaign) {
      const dns = tenant(host.tenant).dns;
      if (dns === undefined) {
        if (rng.chance(0.45)) world.emit(host.tenant, { time, sensor: host.sensor, host: host.id, type: 'dns_resolve', domain, relations: { resolvedIps: ips } }, campaign);
        return { blocked: false };
      }
      const verdict = verdictOf(dns.engine, time, [['domain', domain]]);
      const draft: Draft = { time, sensor: dns.sensor, host: host.id, type: 'dns_resolve', domain };
      // A blocked name gets no answer from the firewall.
      if (verdict?.category !== 'malicious') draft.relations = { resolvedIps: ips };
      if (verdict !== undefined) draft.verdict = verdict;
      world.emit(host.tenant, draft, campaign);
      return outcome(verdict);
    },
    visit(host, time, url, campaign) {
      const web = tenant(host.tenant).web;
      if (web === undefined) {
        if (rng.chance(0.55)) world.emit(host.tenant, { time, sensor: host.sensor, host: host.id, type: 'url_visit', url }, campaign);
        return { blocked: false };
      }
      const verdict = verdictOf(web.engine, time, urlProbes(url));
      const draft: Draft = { time, sensor: web.sensor, host: host.id, type: 'url_visit', url };
      if (verdict !== undefined) draft.verdict = verdict;
      world.emit(host.tenant, draft, campaign);
      return outcome(verdict);
    },
    connect(host, time, to, campaign) {
      const draft: Draft = { time, sensor: host.sensor, host: host.id, type: 'net_conn', ip: to.ip, port: to.port };
      if (to.domain !== undefined) draft.domain = to.domain;
      if (to.file !== undefined) draft.file = to.file;
      world.emit(host.tenant, draft, campaign);
    },
    fileSeen(host, time, file, from, campaign) {
      const draft: Draft = { time, sensor: host.sensor, host: host.id, type: 'file_seen', file };
      if (from !== undefined) draft.relations = { downloadedFrom: from };
      if (!world.emit(host.tenant, draft, campaign)) return {};
      return scan(host, time, file, campaign);
    },
    processStart(host, time, file, parent, campaign) {
      const draft: Draft = { time, sensor: host.sensor, host: host.id, type: 'process_start', file };
      if (parent !== undefined) draft.relations = { parentFile: parent };
      if (!world.emit(host.tenant, draft, campaign)) return {};
      return scan(host, time, file, campaign);
    },
    mail(host, time, sender, urls, attachments, campaign) {
      const gateway = tenant(host.tenant).mail;
      if (gateway === undefined) return { blocked: false };
      const probes: [IndicatorKind, string][] = [...attachments.map((a): [IndicatorKind, string] => ['file', a.sha256]), ...urls.flatMap(urlProbes)];
      const verdict = verdictOf(gateway.engine, time, probes);
      const relations: NonNullable<Draft['relations']> = {};
      if (urls.length > 0) relations.carriedUrls = urls;
      if (attachments.length > 0) relations.attachments = attachments;
      const draft: Draft = { time, sensor: gateway.sensor, host: host.id, type: 'email_received', sender, relations };
      if (verdict !== undefined) draft.verdict = verdict;
      world.emit(host.tenant, draft, campaign);
      return outcome(verdict);
    },
    detonate(t, time, target, verdict, campaign) {
      const box = t.sandbox;
      if (box === undefined) return;
      world.emit(t.id, { time, sensor: box.sensor, host: box.host, type: 'sandbox_report', ...target, verdict }, campaign);
    },
    alert(host, time, sensor, target, verdict, campaign) {
      world.emit(host.tenant, { time, sensor, host: host.id, type: 'detection', ...target, verdict }, campaign);
    },
  };
}
