import type { SystemFiles } from './benign.ts';
import type { SitePool } from './compromised-sites.ts';
import type { EventStream } from './event-stream.ts';
import type { Endpoint, Fleet, TenantSensors } from './fleet.ts';
import type { IndicatorPool } from './indicator-pool.ts';
import { fileShareUrl, shortUrl, type SharedInfrastructure } from './infrastructure.ts';
import type { Rng } from './rng.ts';
import type { CampaignInfo, SimFileRef } from './types.ts';

/** How a campaign reaches its victims. */
export const VECTORS = ['download', 'maldoc', 'phishing', 'attachment'] as const;
export type Vector = (typeof VECTORS)[number];
/** The malware vectors: the hard-case scenario builds its phishing apart (see phishing.ts). */
export const MALWARE_VECTORS = ['download', 'maldoc', 'attachment'] as const satisfies readonly Vector[];

/**
 * What malware campaigns of the hard-case scenario use besides their own infrastructure:
 * download paths planted on compromised sites, files on sharing hosts, short links in front,
 * distribution and C2 domains behind a CDN, C2 domains sinkholed after a takedown, payloads
 * that ask a public resolver or an IP-echo service. Its draws come from `rng` alone.
 */
export interface CampaignHardCases {
  rng: Rng;
  infra: SharedInfrastructure;
  sites: SitePool;
}

const FAMILIES = ['lumma', 'redline', 'asyncrat', 'remcos', 'formbook', 'agenttesla', 'qakbot', 'icedid', 'pikabot', 'darkgate', 'vidar', 'raccoon'];
const MIN = 60_000;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Hands out pool values without repeating them; generated ones once a list runs dry. */
function taker<T>(rng: Rng, items: readonly T[], make: () => T): () => T {
  const queue = rng.sample(items, items.length);
  return () => queue.pop() ?? make();
}

interface Infra {
  urls: string[];
  /** Hosting domains of the URLs with their addresses. */
  domains: Map<string, string[]>;
  c2Domain: string;
  c2Ips: string[];
  senders: string[];
  firstStage: SimFileRef[];
  payload: SimFileRef | undefined;
}

/**
 * Adds `count` campaigns. Each one spreads from its infrastructure (URLs on bad domains or bare
 * IPs, C2 domains and addresses, lure mail) to a few dozen hosts at most, and its evidence comes
 * late and partial: an endpoint engine detects a family only if its vendor covers it, and then
 * on most hosts not all; sandboxes report tens of minutes later and are sometimes evaded; IPS,
 * web-gateway and mail-gateway signatures exist for some campaigns only.
 */
export function addCampaigns(rng: Rng, stream: EventStream, fleet: Fleet, pool: IndicatorPool, system: SystemFiles, count: number, hard?: CampaignHardCases): CampaignInfo[] {
  const word = () => rng.hex(3);
  const takeHost = taker(rng, pool.downloadHosts, () => ({ host: `dl-${word()}.top`, path: '' }));
  const takeIp = taker(rng, pool.c2Ips, () => `185.${rng.int(1, 254)}.${rng.int(0, 255)}.${rng.int(1, 254)}`);
  const takeC2 = taker(rng, pool.c2Domains, () => `${word()}${word()}.shop`);
  const takePhish = taker(rng, pool.phishingDomains, () => `login-${word()}.online`);
  const takeHash = taker(rng, pool.malwareHashes, () => rng.hex(32));
  const span = stream.end - stream.start;
  const campaigns: CampaignInfo[] = [];
  const vectors: readonly Vector[] = rng.sample(hard === undefined ? VECTORS : MALWARE_VECTORS, VECTORS.length);

  for (let c = 0; c < count; c++) {
    const vector = vectors[c % vectors.length]!;
    const family = FAMILIES[c % FAMILIES.length]!;
    const id = `c${String(c + 1).padStart(2, '0')}-${family}`;
    const r = rng.fork(id);
    const h = hard?.rng.fork(id);
    const file = (name: string): SimFileRef => ({ sha256: takeHash(), name, size: r.int(30_000, 4_000_000) });
    // Hosts of shared, benign infrastructure the campaign uses: resolved on visits, never labelled.
    const shared = new Map<string, string[]>();
    const benignIps = new Set<string>();
    const urlRoles = new Map<string, string>();

    // Infrastructure.
    const infra: Infra = { urls: [], domains: new Map(), c2Domain: takeC2(), c2Ips: [takeIp()], senders: [], firstStage: [], payload: undefined };
    if (r.chance(0.5)) infra.c2Ips.push(takeIp());
    if (vector === 'phishing') {
      for (let d = r.int(1, 2); d > 0; d--) {
        const domain = takePhish();
        infra.domains.set(domain, [takeIp()]);
        for (let u = r.int(1, 2); u > 0; u--) infra.urls.push(`https://${domain}/${r.pick(['secure', 'account', 'office365', 'billing'])}/${word()}/login.php?id=${word()}`);
      }
    } else {
      for (let u = r.int(1, 2); u > 0; u--) {
        const hosting = h === undefined ? 'dedicated' : h.pick(['dedicated', 'dedicated', 'dedicated', 'dedicated', 'compromised', 'compromised', 'file-share', 'file-share']);
        if (hard !== undefined && h !== undefined && hosting === 'compromised') {
          const path = `/wp-content/uploads/2026/0${h.int(1, 3)}/${h.pick(['inv', 'doc', 'scan', 'statement', 'update'])}_${h.hex(2)}.${h.pick(['exe', 'zip', 'msi'])}`;
          const { site, url } = hard.sites.plant(h, id, path);
          shared.set(site.domain, site.ips);
          infra.urls.push(url);
          urlRoles.set(url, 'compromised-site-url');
          continue;
        }
        if (hard !== undefined && h !== undefined && hosting === 'file-share') {
          const hub = h.pick(hard.infra.fileShares.filter((x) => x.domain !== 'pastebin.com'));
          const url = fileShareUrl(h, hub, `${h.pick(['Invoice', 'Payment', 'Order', 'Setup'])}_${h.int(1000, 9999)}.${h.pick(['zip', 'exe', 'rar'])}`);
          shared.set(hub.domain, hub.ips);
          infra.urls.push(url);
          urlRoles.set(url, 'file-share-url');
          continue;
        }
        const { host, path } = takeHost();
        if (!IPV4.test(host) && !infra.domains.has(host)) {
          // A quarter of the distribution domains of the hard cases sit behind a CDN address.
          const cdn = hard && h?.chance(0.25) ? h.pick(hard.infra.cdnIps) : undefined;
          if (cdn !== undefined) benignIps.add(cdn);
          infra.domains.set(host, [cdn ?? takeIp()]);
        }
        infra.urls.push(`http://${host}${path !== '' && path.startsWith('/') ? path : `/${r.pick(['bins', 'wp-content/uploads', 'files', 'dl'])}/${word()}.${r.pick(['exe', 'bin', 'dll'])}`}`);
      }
    }
    if (vector !== 'download' || r.chance(0.5)) {
      const lookalike = `${r.pick(['docusign', 'dhl', 'invoice', 'microsoft', 'paypal'])}-${word()}.com`;
      for (let s = r.int(1, 2); s > 0; s--) infra.senders.push(`${r.pick(['noreply', 'billing', 'support', 'hr'])}${r.int(1, 99)}@${lookalike}`);
    }
    if (vector === 'download') for (let v = r.int(1, 3); v > 0; v--) infra.firstStage.push(file(`${r.pick(['setup', 'update', 'crack', 'installer'])}_${word()}.exe`));
    if (vector === 'attachment') for (let v = r.int(1, 2); v > 0; v--) infra.firstStage.push(file(`${r.pick(['invoice', 'order', 'scan'])}_${r.int(1000, 9999)}.${r.pick(['js', 'iso', 'exe'])}`));
    if (vector === 'maldoc') infra.firstStage.push(file(`${r.pick(['invoice', 'contract', 'report'])}_${r.int(1000, 9999)}.docm`));
    if (vector !== 'phishing') infra.payload = file(`${r.pick(['svchost', 'winupd', 'runtime', 'msedge_helper'])}.exe`);

    // Hard cases: a short link in front of the first URL, a CDN in front of the C2 domain, a
    // takedown that sinkholes it, a second stage from a sharing host, and what the payload asks
    // of shared services once it runs.
    const hx = hard !== undefined && h !== undefined ? { h, infra: hard.infra } : undefined;
    const shortener = hx !== undefined && vector === 'download' && hx.h.chance(0.3) ? hx.h.pick(hx.infra.shorteners) : undefined;
    const short = shortener !== undefined && hx !== undefined ? shortUrl(hx.h, shortener) : undefined;
    if (shortener !== undefined) shared.set(shortener.domain, shortener.ips);
    const c2OnCdn = hx?.h.chance(0.15);
    if (hx !== undefined && c2OnCdn) infra.c2Ips = [hx.h.pick(hx.infra.cdnIps)];
    const sinkhole = hx?.h.chance(0.35) ? hx.h.pick(hx.infra.sinkholes) : undefined;
    const resolverIp = hx?.h.chance(0.4) ? hx.h.pick(hx.infra.resolvers) : undefined;
    const echo = hx?.h.chance(0.5) ? hx.h.pick(hx.infra.ipEcho) : undefined;
    const stageHub = hx !== undefined && vector === 'download' && hx.h.chance(0.25) ? hx.h.pick(hx.infra.fileShares) : undefined;
    const stageUrl = stageHub !== undefined && hx !== undefined && infra.payload !== undefined ? fileShareUrl(hx.h, stageHub, infra.payload.name) : undefined;
    if (stageHub !== undefined && stageUrl !== undefined) {
      shared.set(stageHub.domain, stageHub.ips);
      urlRoles.set(stageUrl, 'file-share-url');
    }

    // Ground truth.
    for (const u of infra.urls) stream.label('url', u, 'malicious', urlRoles.get(u) ?? (vector === 'phishing' ? 'phishing-url' : 'download-url'), id);
    if (short !== undefined) stream.label('url', short, 'malicious', 'shortener-url', id);
    if (stageUrl !== undefined) stream.label('url', stageUrl, 'malicious', 'file-share-url', id);
    for (const [d, ips] of infra.domains) {
      stream.label('domain', d, 'malicious', vector === 'phishing' ? 'phishing-domain' : 'distribution-domain', id);
      for (const ip of ips) if (!benignIps.has(ip)) stream.label('ip', ip, 'malicious', 'hosting-ip', id);
    }
    for (const u of infra.urls) {
      const host = new URL(u).hostname;
      if (IPV4.test(host)) stream.label('ip', host, 'malicious', 'hosting-ip', id);
    }
    if (vector !== 'phishing') {
      stream.label('domain', infra.c2Domain, 'malicious', 'c2-domain', id);
      if (!c2OnCdn) for (const ip of infra.c2Ips) stream.label('ip', ip, 'malicious', 'c2-ip', id);
    }
    for (const f of infra.firstStage) stream.label('file', f.sha256, 'malicious', vector === 'download' ? 'payload' : 'attachment', id);
    if (infra.payload !== undefined) stream.label('file', infra.payload.sha256, 'malicious', vector === 'download' ? 'second-stage' : 'payload', id);
    for (const s of infra.senders) stream.label('email', s, 'malicious', 'sender', id);

    // Victims: one to three tenants, or everyone for a broad campaign.
    const targeted = r.chance(0.3) ? fleet.tenants : r.sample(fleet.tenants, r.int(1, Math.min(3, fleet.tenants.length)));
    const candidates = targeted.flatMap((t) => t.endpoints);
    const victims = r.sample(candidates, Math.max(2, Math.min(candidates.length, r.int(3, Math.max(4, Math.round(fleet.endpoints.length * 0.12))))));
    const start = stream.start + span * (0.05 + 0.5 * r.float());
    const duration = span * (0.1 + 0.2 * r.float());

    // Which signatures exist for this family, decided once per campaign.
    const engineCovers = new Map<string, boolean>();
    const covers = (engine: string) => {
      if (!engineCovers.has(engine)) engineCovers.set(engine, r.chance(0.6));
      return engineCovers.get(engine)!;
    };
    const ipsCovers = r.chance(0.5);
    const webCovers = r.chance(vector === 'phishing' ? 0.7 : 0.3);
    const mailCovers = r.chance(0.4);
    const sandboxSays = (): 'malicious' | 'suspicious' | 'clean' => {
      const u = r.float();
      return u < 0.75 ? 'malicious' : u < 0.9 ? 'suspicious' : 'clean';
    };
    const sandboxVerdicts = new Map<string, ReturnType<typeof sandboxSays>>();
    const submitted = new Set<string>();
    const detectionName = `${vector === 'phishing' ? 'Phish' : 'Trojan'}.Win32.${family[0]!.toUpperCase()}${family.slice(1)}`;

    const ep = (e: Endpoint) => ({ sensor: e.sensor, host: e.host });
    const tenantOf = (e: Endpoint) => fleet.tenants.find((t) => t.tenant === e.tenant)!;
    const detect = (e: Endpoint, f: SimFileRef, seen: number) => {
      if (covers(e.engine) && r.chance(0.8)) {
        stream.add(e.tenant, seen + (10 + 170 * r.float()) * MIN, { ...ep(e), type: 'detection', file: f, verdict: { engine: e.engine, name: detectionName, category: 'malicious' } }, id);
      }
    };
    const sandbox = (t: TenantSensors, f: SimFileRef, seen: number) => {
      const key = `${t.tenant}:${f.sha256}`;
      if (t.sandbox === undefined || submitted.has(key) || !r.chance(0.85)) return;
      submitted.add(key);
      if (!sandboxVerdicts.has(f.sha256)) sandboxVerdicts.set(f.sha256, sandboxSays());
      const at = seen + (15 + 45 * r.float()) * MIN;
      const s = { sensor: t.sandbox.sensor, host: t.sandbox.host };
      stream.add(t.tenant, at, { ...s, type: 'sandbox_report', file: f, verdict: { engine: t.sandbox.engine, name: detectionName, category: sandboxVerdicts.get(f.sha256)! } }, id);
      if (vector !== 'phishing') stream.add(t.tenant, at - MIN, { ...s, type: 'net_conn', file: f, domain: infra.c2Domain, ip: r.pick(infra.c2Ips), port: 443 }, id);
    };
    const resolve = (sensor: { sensor: string; host: string }, tenant: string, at: number, domain: string, ips: string[]) =>
      stream.add(tenant, at, { ...sensor, type: 'dns_resolve', domain, relations: { resolvedIps: ips } }, id);
    const visit = (e: Endpoint, at: number, url: string) => {
      const host = new URL(url).hostname;
      const ips = infra.domains.get(host) ?? shared.get(host);
      if (ips !== undefined) resolve(ep(e), e.tenant, at - 500, host, ips);
      stream.add(e.tenant, at, { ...ep(e), type: 'url_visit', url }, id);
      const web = tenantOf(e).web;
      if (webCovers && r.chance(0.6)) {
        stream.add(e.tenant, at + 200, { sensor: web.sensor, host: web.host, type: 'url_visit', url, verdict: { engine: web.engine, name: detectionName, category: 'malicious' } }, id);
      }
    };
    // After a takedown the C2 domain resolves to a sinkhole, and beacons (and the IPS
    // signatures that match them) go there.
    const takedownAt = sinkhole !== undefined ? start + duration * 0.6 : Number.POSITIVE_INFINITY;
    const beacon = (e: Endpoint, f: SimFileRef, at: number) => {
      resolve(ep(e), e.tenant, at, infra.c2Domain, sinkhole !== undefined && at >= takedownAt ? [sinkhole] : infra.c2Ips);
      for (let b = r.int(1, 3), t = at; b > 0; b--, t += r.int(5, 40) * MIN) {
        const picked = r.pick(infra.c2Ips);
        const ip = sinkhole !== undefined && t >= takedownAt ? sinkhole : picked;
        stream.add(e.tenant, t + 1000, { ...ep(e), type: 'net_conn', file: f, domain: infra.c2Domain, ip, port: r.pick([443, 8080, 4782]) }, id);
        const net = tenantOf(e).network;
        if (ipsCovers && r.chance(0.6)) {
          stream.add(e.tenant, t + 1500, { sensor: net.sensor, host: net.host, type: 'net_conn', ip, port: 443, verdict: { engine: net.engine, name: `${detectionName}.C2`, category: 'malicious' } }, id);
        }
      }
    };

    victims.forEach((e, i) => {
      // Early victims close together, then a longer tail: most campaigns burst and fade.
      const at = start + duration * (i === 0 ? 0 : (i / victims.length) ** 1.5);
      const t = tenantOf(e);
      const mail = infra.senders.length > 0 ? { sensor: t.mail.sensor, host: t.mail.host } : undefined;
      const sender = infra.senders.length > 0 ? r.pick(infra.senders) : undefined;
      const url = r.pick(infra.urls);
      const lureAt = at - r.int(2, 30) * MIN;

      if (vector === 'phishing') {
        stream.add(e.tenant, lureAt, { ...mail!, type: 'email_received', sender: sender!, relations: { carriedUrls: [url] } }, id);
        visit(e, at, url);
        if (t.sandbox !== undefined && !submitted.has(`${t.tenant}:${url}`) && r.chance(0.8)) {
          submitted.add(`${t.tenant}:${url}`);
          stream.add(e.tenant, at + (20 + 70 * r.float()) * MIN, { sensor: t.sandbox.sensor, host: t.sandbox.host, type: 'sandbox_report', url, verdict: { engine: t.sandbox.engine, name: detectionName, category: r.chance(0.85) ? 'malicious' : 'suspicious' } }, id);
        }
        return;
      }

      const first = r.pick(infra.firstStage);
      const payload = infra.payload!;
      // A short link stands in for the first URL wherever the campaign spreads it.
      const lureUrl = short !== undefined && url === infra.urls[0] ? short : url;
      if (lureUrl !== url) visit(e, at - 1500, lureUrl);
      if (vector === 'download') {
        if (sender !== undefined) stream.add(e.tenant, lureAt, { ...mail!, type: 'email_received', sender, relations: { carriedUrls: [lureUrl] } }, id);
        visit(e, at, url);
        stream.add(e.tenant, at + 5000, { ...ep(e), type: 'file_seen', file: first, relations: { downloadedFrom: url } }, id);
        stream.add(e.tenant, at + 20_000, { ...ep(e), type: 'process_start', file: first, relations: { parentFile: system.explorer.ref } }, id);
        if (stageUrl !== undefined) visit(e, at + 39_000, stageUrl);
        stream.add(e.tenant, at + 40_000, { ...ep(e), type: 'file_seen', file: payload, ...(stageUrl !== undefined ? { relations: { downloadedFrom: stageUrl } } : {}) }, id);
        stream.add(e.tenant, at + 41_000, { ...ep(e), type: 'process_start', file: payload, relations: { parentFile: first } }, id);
      } else {
        stream.add(e.tenant, lureAt, { ...mail!, type: 'email_received', sender: sender!, relations: { attachments: [first] } }, id);
        if (mailCovers && r.chance(0.7)) {
          stream.add(e.tenant, lureAt + 1000, { ...mail!, type: 'detection', file: first, verdict: { engine: t.mail.engine, name: detectionName, category: 'malicious' } }, id);
        }
        stream.add(e.tenant, at, { ...ep(e), type: 'file_seen', file: first }, id);
        const launcher = vector === 'maldoc' ? system.winword.ref : first;
        if (vector === 'attachment') stream.add(e.tenant, at + 3000, { ...ep(e), type: 'process_start', file: first, relations: { parentFile: system.explorer.ref } }, id);
        visit(e, at + 10_000, url);
        stream.add(e.tenant, at + 15_000, { ...ep(e), type: 'file_seen', file: payload, relations: { downloadedFrom: url } }, id);
        stream.add(e.tenant, at + 16_000, { ...ep(e), type: 'process_start', file: payload, relations: { parentFile: launcher } }, id);
      }
      beacon(e, payload, at + 60_000);
      if (resolverIp !== undefined) stream.add(e.tenant, at + 57_000, { ...ep(e), type: 'net_conn', file: payload, ip: resolverIp, port: 53 }, id);
      if (echo !== undefined && hx !== undefined) {
        resolve(ep(e), e.tenant, at + 58_000, echo.domain, echo.ips);
        stream.add(e.tenant, at + 58_500, { ...ep(e), type: 'net_conn', file: payload, domain: echo.domain, ip: hx.h.pick(echo.ips), port: 443 }, id);
      }
      // Some payloads check connectivity against a popular site first, as real malware does.
      if (i === 0 && r.chance(0.4) && pool.topDomains.length > 0) {
        const site = pool.topDomains[r.zipf(Math.min(50, pool.topDomains.length), 1)]!;
        stream.label('domain', site, 'benign', 'popular-site');
        stream.add(e.tenant, at + 55_000, { ...ep(e), type: 'net_conn', file: payload, domain: site, port: 443 }, id);
      }
      detect(e, first, at);
      if (r.chance(0.6)) detect(e, payload, at + 40_000);
      sandbox(t, first, at);
      sandbox(t, payload, at + 40_000);
    });

    const primary = vector === 'phishing' ? { kind: 'url' as const, value: infra.urls[0]! } : { kind: 'file' as const, value: infra.firstStage[0]!.sha256 };
    // The start is filled in from the finished stream (the first event carrying the campaign id).
    campaigns.push({ id, family, vector, primary, start: 0, end: 0, victims: victims.length, tenants: new Set(victims.map((v) => v.tenant)).size });
  }
  return campaigns;
}
