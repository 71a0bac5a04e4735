import { HOUR, MINUTE, delay } from './clock.ts';
import type { Context } from './context.ts';
import { attackerIp, fetchFrom, shortLink, type Location } from './delivery.ts';
import { DNS_ENGINES, MAIL_ENGINES, WEB_ENGINES, learnNetwork } from './engines.ts';
import type { Host, Tenant } from './fleet.ts';
import { base62, businessDomain, digits, hostedLabel, lookalikeDomain, personLocal } from './names.ts';
import { drawReach, drawVictims } from './victims.ts';
import type { FileRef } from './world.ts';

/** Brands phishers impersonate, with the real site whose pages lures sometimes link to for credibility. */
const BRANDS: [string, string][] = [
  ['office365', 'www.office.com'], ['microsoft', 'www.microsoft.com'], ['sharepoint', 'www.office.com'], ['outlook', 'outlook.office365.com'],
  ['docusign', 'www.docusign.com'], ['dhl', 'www.dhl.com'], ['fedex', 'www.fedex.com'], ['paypal', 'www.paypal.com'],
  ['wetransfer', 'www.wetransfer.com'], ['adobe', 'www.adobe.com'], ['dropbox', 'www.dropbox.com'], ['linkedin', 'www.linkedin.com'],
  ['apple', 'www.apple.com'], ['amazon', 'www.amazon.com'], ['okta', 'login.microsoftonline.com'],
];

type Landing = Location & { hosting: 'dedicated' | 'free-hosting' | 'compromised' };

function landingPage(ctx: Context, id: string, brand: string, start: number): Landing {
  const { world, hubs, compromised } = ctx;
  const { rng, ledger } = world;
  const r = rng.float();
  const brandPath = (): string =>
    rng.pick([`/${brand}/login.php`, `/secure/${brand}/signin/`, `/${brand}-verify/index.html`, `/auth/${brand}/`, `/${brand}/document/view.php`, '/login', '/']);
  if (r < 0.2) {
    const { site, url } = compromised.plant('phishing', '', brand, start);
    return { url, domain: site.domain, ips: site.ips, hosting: 'compromised' };
  }
  let domain: string;
  let ips: string[];
  let hosting: Landing['hosting'];
  if (r < 0.45) {
    // Anybody gets a subdomain on a free platform, with its TLS certificate and its CDN.
    const platform = rng.pick(hubs.platforms);
    domain = world.names.unique(() => `${hostedLabel(rng, `${brand}-${rng.pick(['docs', 'secure', 'view', 'share', 'auth'])}`)}.${platform.suffix}`);
    ips = platform.ips;
    hosting = 'free-hosting';
  } else {
    domain = world.names.unique(() => lookalikeDomain(rng, brand));
    ips = rng.chance(0.6) ? [attackerIp(world, id, 'phishing-ip')] : rng.sample(hubs.cdn, 2);
    hosting = 'dedicated';
  }
  ledger.malicious('domain', domain, { role: 'phishing-domain', campaign: id });
  learnNetwork(world, WEB_ENGINES, 'domain', domain, start, 0.45, 18 * HOUR);
  learnNetwork(world, DNS_ENGINES, 'domain', domain, start, 0.5, 22 * HOUR);
  learnNetwork(world, MAIL_ENGINES, 'domain', domain, start, 0.3, 10 * HOUR);
  return { url: `https://${domain}${brandPath()}`, domain, ips, hosting };
}

const dirOf = (url: string): string => url.slice(0, url.split('?')[0]!.lastIndexOf('/') + 1);

/**
 * Credential phishing: a burst of lure e-mails from look-alike or hijacked senders, carrying
 * a link (sometimes behind a shortener, sometimes unique per recipient, sometimes inside an
 * HTML attachment) to a brand-impersonating page on a young domain, a free-hosting subdomain
 * or a compromised site. A few recipients click, fewer submit. Gateways, DNS firewalls and
 * sandboxes get to it partially and late; a sandbox is sometimes cloaked out.
 */
export function runPhishing(ctx: Context, count: number): void {
  const { world } = ctx;
  const span = world.clock.end - world.clock.start;
  for (let k = 0; k < count; k++) {
    const id = `phish-${String(k + 1).padStart(2, '0')}`;
    const start = world.clock.start + Math.round(world.rng.float() * Math.max(span - 8 * HOUR, HOUR));
    phishingCampaign(ctx, id, start);
  }
}

function phishingCampaign(ctx: Context, id: string, start: number): void {
  const { world, sensors, web } = ctx;
  const { rng, ledger, knowledge } = world;
  const [brand, realSite] = rng.pick(BRANDS);
  const landing = landingPage(ctx, id, brand, start);
  ledger.malicious('url', landing.url, { role: 'phishing-url', campaign: id });
  learnNetwork(world, WEB_ENGINES, 'url', landing.url, start, 0.55, 14 * HOUR);
  learnNetwork(world, MAIL_ENGINES, 'url', landing.url, start, 0.45, 8 * HOUR);
  world.campaigns.push({ id, family: `phish-${brand}`, vector: 'phishing', primary: { kind: 'url', value: landing.url } });
  // Some waves are known to a mail engine when they land (a reused kit, a known sender).
  if (rng.chance(0.25)) knowledge.learn(rng.pick(MAIL_ENGINES), 'url', landing.url, { category: rng.chance(0.6) ? 'malicious' : 'suspicious', name: `Phish.${brand}`, from: start - HOUR });

  const submitUrl = `${dirOf(landing.url)}${rng.pick(['next.php', 'verify.php', 'auth.php', 'complete.html'])}`;
  if (submitUrl !== landing.url) ledger.malicious('url', submitUrl, { role: 'phishing-url', campaign: id });

  const tokenised = rng.chance(0.3);
  const short = !tokenised && rng.chance(0.18) ? shortLink(ctx, id, landing, start) : undefined;
  const htmlAttachment: FileRef | undefined = rng.chance(0.15)
    ? { sha256: rng.hex(32), name: `${rng.pick(['Remittance', 'Voicemail', 'Invoice', 'Secure_Message'])}_${digits(rng, 5)}.html`, size: rng.int(2_000, 40_000) }
    : undefined;
  if (htmlAttachment !== undefined) ledger.malicious('file', htmlAttachment.sha256, { role: 'phishing-attachment', campaign: id });
  // Lures often link to the real brand's site too, to look genuine.
  const decoy = rng.chance(0.5) ? web.byDomain.get(realSite)?.pages[0] : undefined;
  const sender = rng.chance(0.7)
    ? `${rng.pick(['no-reply', 'notification', 'support', 'account-security', 'docs'])}@${lookalikeDomain(rng, brand)}`
    : `${personLocal(rng)}@${businessDomain(rng).replace(/^www\./, '')}`; // a hijacked mailbox of a real business
  const clickRate = 0.05 + 0.25 * rng.float();
  const cloaked = rng.chance(0.25);
  const sandboxed = new Set<string>();

  const victims = drawVictims(rng, world.fleet.customers, drawReach(rng), 2);
  for (const host of victims) {
    const tenant = sensors.tenant(host.tenant);
    const t0 = host === victims[0] ? start : start + rng.int(0, 150 * MINUTE);
    let lure = landing.url;
    if (tokenised) {
      lure = `${landing.url}${landing.url.includes('?') ? '&' : '?'}e=${base62(rng, 14)}`;
      ledger.malicious('url', lure, { role: 'lure-url', campaign: id });
    } else if (short !== undefined) {
      lure = short.via!.url;
    }
    const carried = htmlAttachment !== undefined ? [] : [lure];
    if (decoy !== undefined) carried.push(decoy);
    const mail = sensors.mail(host, t0, sender, carried, htmlAttachment === undefined ? [] : [htmlAttachment], id);
    if (mail.blocked) continue;
    retroScan(ctx, tenant, host, t0, carried, id);
    if (tenant.sandbox !== undefined && !sandboxed.has(tenant.id)) {
      sandboxed.add(tenant.id);
      const at = t0 + rng.int(3, 20) * MINUTE;
      const target = htmlAttachment !== undefined ? { file: htmlAttachment } : { url: lure };
      // Kits that recognise the sandbox show it a harmless page.
      const category = cloaked ? 'clean' : rng.chance(0.75) ? 'malicious' : 'suspicious';
      sensors.detonate(tenant, at, target, category === 'clean' ? { engine: 'detonator-q', category } : { engine: 'detonator-q', name: `Phishing.${brand}`, category }, id);
    }
    if (!rng.chance(clickRate)) continue;
    const click = t0 + delay(rng, 35 * MINUTE, 1.2);
    if (htmlAttachment !== undefined) sensors.fileSeen(host, click - 5_000, htmlAttachment, undefined, id);
    const first: Location = tokenised ? { ...landing, url: lure } : short ?? landing;
    if (!fetchFrom(ctx, host, click, first, id)) continue;
    if (tokenised) sensors.visit(host, click + rng.int(500, 2_000), landing.url, id);
    if (rng.chance(0.5) && submitUrl !== landing.url) sensors.visit(host, click + rng.int(MINUTE, 4 * MINUTE), submitUrl, id);
  }
}

/** A mail gateway that learns of a URL (or its site) after delivering it goes back and reports the messages. */
function retroScan(ctx: Context, tenant: Tenant, host: Host, delivered: number, urls: string[], id: string): void {
  const gateway = tenant.mail;
  if (gateway === undefined) return;
  const { knowledge, rng } = ctx.world;
  for (const url of urls) {
    const domain = url.slice(url.indexOf('//') + 2).split(/[/?]/, 1)[0]!;
    const late = [...knowledge.all(gateway.engine, 'url', url), ...knowledge.all(gateway.engine, 'domain', domain)].find((b) => b.from > delivered);
    if (late === undefined) continue;
    const verdict = late.name === undefined ? { engine: gateway.engine, category: late.category } : { engine: gateway.engine, name: late.name, category: late.category };
    ctx.sensors.alert(host, late.from + rng.int(MINUTE, 30 * MINUTE), gateway.sensor, { url }, verdict, id);
    return;
  }
}
