import type { SitePool } from './compromised-sites.ts';
import type { EventStream } from './event-stream.ts';
import type { Endpoint, Fleet, TenantSensors } from './fleet.ts';
import type { IndicatorPool } from './indicator-pool.ts';
import { shortUrl, type Hub, type SharedInfrastructure } from './infrastructure.ts';
import type { Rng } from './rng.ts';
import type { CampaignInfo } from './types.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const BRANDS = ['microsoft365', 'docusign', 'dhl', 'paypal', 'sharepoint', 'netflix', 'adobe', 'linkedin', 'coinbase', 'wellsfargo'];

type Hosting = 'dedicated' | 'free-hosting' | 'compromised';

/** Where a phishing page lives: its URLs and the hosts (domain with addresses) that serve them. */
interface PhishingHosts {
  urls: string[];
  hosts: Map<string, { ips: string[]; bad: boolean }>;
}

/**
 * Adds `count` phishing campaigns as they arrive in a real fleet: lure mail to tens of
 * recipients in one to three tenants (a fifth of the campaigns go to everyone), a third of
 * them clicking within hours, pages on dedicated young domains (55 %), free hosting (25 %) or
 * compromised sites (20 %), some behind a short link. Detections are partial and come over
 * hours: a mail-gateway signature from some point of the campaign on (and a post-delivery scan
 * of what came before), a web-filter category some hours after the first click, a DNS-firewall
 * listing of the domain, a sandbox detonating a clicked URL (and sometimes cloaked from it).
 */
export function addPhishing(rng: Rng, stream: EventStream, fleet: Fleet, pool: IndicatorPool, infra: SharedInfrastructure, sites: SitePool, count: number): CampaignInfo[] {
  const queue = rng.sample(pool.phishingDomains, pool.phishingDomains.length);
  const takeDomain = () => queue.pop() ?? `login-${rng.hex(3)}.online`;
  const ipQueue = rng.sample(pool.c2Ips, pool.c2Ips.length);
  const takeIp = () => ipQueue.pop() ?? `185.${rng.int(1, 254)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
  const span = stream.end - stream.start;
  const campaigns: CampaignInfo[] = [];

  for (let c = 0; c < count; c++) {
    const brand = BRANDS[c % BRANDS.length]!;
    const id = `p${String(c + 1).padStart(2, '0')}-${brand}`;
    const r = rng.fork(id);
    const hosting: Hosting = r.float() < 0.55 ? 'dedicated' : r.float() < 0.55 ? 'free-hosting' : 'compromised';
    const page = () => `/${r.pick([brand, 'secure', 'account', 'verify', 'signin'])}/${r.hex(3)}/${r.pick(['index.html', 'login.php', 'auth.php', ''])}`;
    const ph: PhishingHosts = { urls: [], hosts: new Map() };
    if (hosting === 'dedicated') {
      for (let d = r.int(1, 2); d > 0; d--) {
        const domain = takeDomain();
        ph.hosts.set(domain, r.chance(0.3) ? { ips: [r.pick(infra.cdnIps)], bad: false } : { ips: [takeIp()], bad: true });
        for (let u = r.int(1, 3); u > 0; u--) ph.urls.push(`https://${domain}${page()}`);
      }
    } else if (hosting === 'free-hosting') {
      const platform: Hub = r.pick(infra.freeHosting);
      const domain = `${brand}-${r.pick(['login', 'secure', 'verify', 'portal'])}-${r.hex(3)}.${platform.domain}`;
      ph.hosts.set(domain, { ips: platform.ips, bad: false });
      for (let u = r.int(1, 2); u > 0; u--) ph.urls.push(`https://${domain}${page()}`);
    } else {
      for (let u = r.int(1, 2); u > 0; u--) {
        const { site, url } = sites.plant(r, id, `/wp-includes/js/${r.hex(3)}/${brand}/${r.pick(['login.php', 'index.html'])}`);
        ph.hosts.set(site.domain, { ips: site.ips, bad: false });
        ph.urls.push(url);
      }
    }
    const shortener = r.chance(0.25) ? r.pick(infra.shorteners) : undefined;
    const short = shortener !== undefined ? shortUrl(r, shortener) : undefined;
    const lookalike = `${r.pick([brand, 'secure-mail', 'notify', 'billing'])}-${r.hex(3)}.${r.pick(['com', 'net', 'info'])}`;
    const senders = Array.from({ length: r.int(1, 3) }, () => `${r.pick(['noreply', 'security', 'billing', 'support', 'hr'])}${r.int(1, 99)}@${lookalike}`);

    // Ground truth: the URLs and the attacker's own domains and addresses; hosts it borrowed stay benign.
    const urlRole = hosting === 'compromised' ? 'compromised-site-url' : 'phishing-url';
    for (const u of ph.urls) stream.label('url', u, 'malicious', urlRole, id);
    if (short !== undefined) stream.label('url', short, 'malicious', 'shortener-url', id);
    for (const [d, host] of ph.hosts) {
      if (hosting === 'compromised') continue;
      stream.label('domain', d, 'malicious', hosting === 'free-hosting' ? 'phishing-subdomain' : 'phishing-domain', id);
      for (const ip of host.ips) if (host.bad) stream.label('ip', ip, 'malicious', 'hosting-ip', id);
    }
    for (const s of senders) stream.label('email', s, 'malicious', 'sender', id);

    const targeted = r.chance(0.2) ? fleet.tenants : r.sample(fleet.tenants, r.int(1, Math.min(3, fleet.tenants.length)));
    const candidates = targeted.flatMap((t) => t.endpoints);
    const recipients = r.sample(candidates, Math.max(2, Math.min(candidates.length, r.int(5, 60))));
    const start = stream.start + span * (0.01 + 0.9 * r.float());
    const duration = (4 + 44 * r.float()) * HOUR;
    const detectionName = `Phish.${brand[0]!.toUpperCase()}${brand.slice(1)}`;

    // Signatures and listings, decided once per campaign: from when each source knows it.
    const mailFrom = r.chance(0.45) ? start + r.float() * 12 * HOUR : Number.POSITIVE_INFINITY;
    const webDelay = r.chance(0.6) ? (1 + 29 * r.float()) * HOUR : undefined;
    const dnsFrom = r.chance(hosting === 'compromised' ? 0.1 : 0.45) ? start + (2 + 34 * r.float()) * HOUR : Number.POSITIVE_INFINITY;
    const sandboxVerdict = () => {
      const u = r.float();
      return u < 0.65 ? ('malicious' as const) : u < 0.85 ? ('suspicious' as const) : ('clean' as const);
    };
    let firstClick = Number.POSITIVE_INFINITY;
    const detonated = new Set<string>();

    const tenantOf = (e: Endpoint): TenantSensors => fleet.tenants.find((t) => t.tenant === e.tenant)!;
    const ep = (e: Endpoint) => ({ sensor: e.sensor, host: e.host });
    const resolve = (e: Endpoint, at: number, domain: string, ips: string[]) => {
      stream.add(e.tenant, at, { ...ep(e), type: 'dns_resolve', domain, relations: { resolvedIps: ips } }, id);
      const dns = tenantOf(e).dns;
      if (dns !== undefined && at >= dnsFrom) {
        stream.add(e.tenant, at + 50, { sensor: dns.sensor, host: dns.host, type: 'dns_resolve', domain, relations: { resolvedIps: ips }, verdict: { engine: dns.engine, name: 'phishing', category: 'malicious' } }, id);
      }
    };
    const hostOf = (url: string) => new URL(url).hostname;
    const visit = (e: Endpoint, at: number, url: string, ips: string[]): boolean => {
      resolve(e, at - 400, hostOf(url), ips);
      const web = tenantOf(e).web;
      if (webDelay !== undefined && at >= firstClick + webDelay) {
        // The category is known by now: the gateway reports the visit it blocked.
        stream.add(e.tenant, at, { sensor: web.sensor, host: web.host, type: 'url_visit', url, verdict: { engine: web.engine, name: detectionName, category: 'malicious' } }, id);
        return false;
      }
      stream.add(e.tenant, at, { ...ep(e), type: 'url_visit', url }, id);
      return true;
    };

    // Recipients get the lure in a burst that fades; a third click, minutes to hours later.
    const events = recipients.map((e, i) => ({ e, at: start + duration * (i / recipients.length) ** 1.6 }));
    for (const { e, at } of events) {
      const t = tenantOf(e);
      const mail = { sensor: t.mail.sensor, host: t.mail.host };
      const sender = r.pick(senders);
      const url = r.pick(ph.urls);
      const carried = short ?? url;
      if (at >= mailFrom && r.chance(0.8)) {
        // Caught at delivery: the gateway quarantines it and says why.
        stream.add(e.tenant, at, { ...mail, type: 'email_received', sender, url: carried, relations: { carriedUrls: [carried] }, verdict: { engine: t.mail.engine, name: detectionName, category: 'malicious' } }, id);
        continue;
      }
      stream.add(e.tenant, at, { ...mail, type: 'email_received', sender, relations: { carriedUrls: [carried] } }, id);
      if (Number.isFinite(mailFrom) && r.chance(0.5)) {
        // Post-delivery scan once the signature exists.
        stream.add(e.tenant, Math.max(at, mailFrom) + r.int(5, 60) * MIN, { ...mail, type: 'detection', url: carried, sender, verdict: { engine: t.mail.engine, name: detectionName, category: 'malicious' } }, id);
      }
      if (!r.chance(0.35)) continue;
      const clickAt = at + (1 + 360 * r.float() ** 2) * MIN;
      firstClick = Math.min(firstClick, clickAt);
      if (short !== undefined && shortener !== undefined) visit(e, clickAt - 1200, short, shortener.ips);
      const reached = visit(e, clickAt, url, ph.hosts.get(hostOf(url))!.ips);
      const key = `${t.tenant} ${url}`;
      if (reached && t.sandbox !== undefined && !detonated.has(key) && r.chance(0.5)) {
        detonated.add(key);
        stream.add(e.tenant, clickAt + (20 + 70 * r.float()) * MIN, { sensor: t.sandbox.sensor, host: t.sandbox.host, type: 'sandbox_report', url, verdict: { engine: t.sandbox.engine, name: detectionName, category: sandboxVerdict() } }, id);
      }
    }
    campaigns.push({
      id,
      family: brand,
      vector: hosting === 'dedicated' ? 'phishing' : `phishing-${hosting}`,
      primary: { kind: 'url', value: ph.urls[0]! },
      start: 0,
      end: 0,
      victims: recipients.length,
      tenants: new Set(recipients.map((v) => v.tenant)).size,
    });
  }
  return campaigns;
}
