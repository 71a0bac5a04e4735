import { DAY, HOUR, MINUTE, isWeekend, workMoment } from './clock.ts';
import { addressOf, appFile, browse, systemFile, type Context } from './context.ts';
import type { Host, Tenant } from './fleet.ts';
import { alnum, businessDomain, digits, personLocal, slug } from './names.ts';
import { addPage, type Site } from './site.ts';
import type { FileRef } from './world.ts';

/** Software only one customer runs: its own agents and tools, unsigned, pushed to every host at once. */
export interface InternalTool {
  tenant: string;
  file: FileRef;
  from: number;
}

export interface BackgroundPlan {
  internal: InternalTool[];
}

const INTERNAL_NAMES = ['InventoryCollector.exe', 'corp-vpn-helper.exe', 'PrinterMapper.exe', 'TimesheetSync.exe', 'asset-agent.exe', 'LoginScriptRunner.exe'];
const NICHE = ['ImageResizer.exe', 'csv2json.exe', 'DiskSpaceViewer.exe', 'ScreenRuler.exe', 'hexview.exe', 'PortScanner.exe', 'md2pdf.exe', 'WinAutoClicker.exe', 'TreeSizeLite.exe', 'ClipboardHistory.exe'];
const DOCS = ['Invoice_{n}.pdf', 'Quote_{n}.pdf', 'Minutes_{n}.docx', 'Forecast_Q{q}.xlsx', 'Budget_{n}.xlsm', 'Contract_{n}.pdf', 'Agenda_{n}.docx', 'Photos_{n}.zip'];

/** Decides the tenant-specific software before anything runs, so engines can misjudge it. */
export function planBackground(ctx: Context): BackgroundPlan {
  const { world } = ctx;
  const { rng, ledger, clock } = world;
  const internal: InternalTool[] = [];
  for (const tenant of world.fleet.customers) {
    if (!rng.chance(0.5)) continue;
    const file: FileRef = { sha256: rng.hex(32), name: rng.pick(INTERNAL_NAMES), size: rng.int(200_000, 9_000_000) };
    ledger.benign('file', file.sha256, { role: 'internal-software' });
    internal.push({ tenant: tenant.id, file, from: clock.start + rng.int(6, Math.max(7, Math.floor((clock.end - clock.start) / HOUR) - 24)) * HOUR });
  }
  return { internal };
}

/**
 * What a fleet does all week when nothing is wrong: Windows starting its processes, people
 * opening their applications, browsing the famous sites and the long tail, reading mail with
 * links and attachments, updating software on the vendors' schedule, downloading the odd
 * tool, checking their public address, Firefox using DNS over HTTPS.
 */
export function runBackground(ctx: Context, plan: BackgroundPlan): void {
  const { world } = ctx;
  for (const tenant of world.fleet.customers) {
    const tool = plan.internal.find((t) => t.tenant === tenant.id);
    for (const host of tenant.hosts) {
      for (let day = 0; day < world.clock.days; day++) hostDay(ctx, tenant, host, day, tool);
    }
  }
}

function hostDay(ctx: Context, tenant: Tenant, host: Host, day: number, tool: InternalTool | undefined): void {
  const { world, sensors, software, hubs, web } = ctx;
  const { rng, clock } = world;
  const noon = clock.start + day * DAY + 12 * HOUR;
  const weekend = isWeekend(noon, tenant.tz);
  if (!rng.chance(weekend ? 0.3 : host.presence)) return;
  const at = (): number => workMoment(rng, clock, day, tenant.tz);

  // Windows at work: a logon, some services, what users start.
  const logon = at();
  if (rng.chance(0.5)) sensors.processStart(host, logon, systemFile(ctx, host, 'explorer.exe', logon), systemFile(ctx, host, 'userinit.exe', logon));
  for (let i = rng.int(1, 3); i > 0; i--) {
    const t = at();
    const name = software.systemNames[rng.zipf(software.systemNames.length, 1.1)]!;
    sensors.processStart(host, t, systemFile(ctx, host, name, t), systemFile(ctx, host, software.parentOf[name]!, t));
  }
  const apps = [host.browser, ...host.apps.flatMap((a) => (a === 'office' ? ['outlook', 'word', 'excel'] : [a]))];
  for (const key of rng.sample(apps, rng.int(1, 2))) {
    const t = at();
    sensors.processStart(host, t, appFile(ctx, host, key, t), systemFile(ctx, host, 'explorer.exe', t));
  }

  updates(ctx, host, day);
  if (tool !== undefined) internalTool(ctx, host, day, tool);

  const visits = weekend ? rng.int(0, 2) : rng.int(2, 6);
  for (let i = 0; i < visits; i++) visit(ctx, tenant, host, at());
  if (!weekend && rng.chance(0.8)) mail(ctx, tenant, host, at());

  // Windows talks to its own services every day.
  if (rng.chance(0.3)) {
    const t = at();
    const ms = web.vendor('settings-win.data.microsoft.com', []);
    sensors.resolve(host, t, ms.domain, ms.ips, undefined);
    sensors.connect(host, t + 200, { ip: addressOf(ctx, ms), port: 443, domain: ms.domain, file: systemFile(ctx, host, 'svchost.exe', t) });
  }
  // Firefox resolves names over HTTPS at a public resolver.
  if (host.browser === 'firefox' && rng.chance(0.7)) {
    const t = at();
    const doh = hubs.doh[1]!;
    sensors.connect(host, t, { ip: addressOf(ctx, doh), port: 443, domain: doh.domain, file: appFile(ctx, host, 'firefox', t) });
  }
  // An admin's nslookup against a public resolver, a VPN client checking its public address.
  if (rng.chance(0.02)) sensors.connect(host, at(), { ip: rng.pick(hubs.resolvers.slice(0, 7)), port: 53, file: systemFile(ctx, host, 'powershell.exe', noon) });
  if (rng.chance(0.03)) {
    const echo = rng.pick(hubs.ipEcho);
    browse(ctx, host, at(), echo, rng.pick(echo.pages));
  }
  if (rng.chance(0.03)) installSoftware(ctx, tenant, host, at());
  if (rng.chance(0.015)) nicheTool(ctx, host, at());
  if (rng.chance(0.004)) adminScript(ctx, host, at());
}

function updates(ctx: Context, host: Host, day: number): void {
  const { world, sensors, software } = ctx;
  const { clock, rng } = world;
  const dayStart = clock.start + day * DAY;
  const installedOn = (from: number): number | undefined => {
    const t = from + host.lag;
    return from > 0 && t >= dayStart && t < dayStart + DAY ? t : undefined;
  };
  for (const product of software.products) {
    if (product.app !== host.browser && !host.apps.includes(product.app)) continue;
    for (const release of product.releases) {
      const t = installedOn(release.from);
      if (t === undefined) continue;
      sensors.fileSeen(host, t, release.file, release.url);
    }
  }
  for (const releases of software.system[host.os].values()) {
    for (const release of releases) {
      const t = installedOn(release.from);
      if (t !== undefined) sensors.fileSeen(host, t + rng.int(0, 20) * MINUTE, release.file);
    }
  }
}

function internalTool(ctx: Context, host: Host, day: number, tool: InternalTool): void {
  const { world, sensors } = ctx;
  const dayStart = world.clock.start + day * DAY;
  if (tool.from >= dayStart + DAY) return;
  const t = Math.max(tool.from, dayStart) + world.rng.int(0, 3 * HOUR);
  // Pushed by the management system: it appears everywhere within hours, started by a service.
  if (tool.from >= dayStart) sensors.fileSeen(host, t, tool.file);
  if (world.rng.chance(0.6)) sensors.processStart(host, t + MINUTE, tool.file, systemFile(ctx, host, 'services.exe', t));
}

/** One browsing visit: mostly the famous sites, then the body, the long tail, file shares and short links. */
function visit(ctx: Context, tenant: Tenant, host: Host, time: number): void {
  const { world, web, hubs } = ctx;
  const { rng } = world;
  const page = (site: Site): string => site.pages[rng.zipf(site.pages.length, 1.2)]!;
  const launched = web.launches.filter((l) => l.from <= time && (l.tenant === undefined || l.tenant === tenant.id));
  const r = rng.float();
  if (launched.length > 0 && r < (launched.some((l) => l.tenant === tenant.id) ? 0.12 : 0.03)) {
    const site = rng.pick(launched).site;
    browse(ctx, host, time, site, page(site));
  } else if (r < 0.55) {
    const site = web.popular[rng.zipf(web.popular.length, 1)]!;
    browse(ctx, host, time, site, page(site));
  } else if (r < 0.73) {
    const site = web.midTier[rng.zipf(web.midTier.length, 1.05)]!;
    browse(ctx, host, time, site, page(site));
  } else if (r < 0.83) {
    const site = rng.pick(web.regional.get(tenant.id)!);
    browse(ctx, host, time, site, page(site));
  } else if (r < 0.89) {
    const site = web.longTail();
    browse(ctx, host, time, site, page(site));
  } else if (r < 0.92) {
    const site = rng.pick(web.hosted);
    browse(ctx, host, time, site, page(site));
  } else if (r < 0.96) {
    // Somebody shared a document or a build on a file share.
    const share = rng.pick(hubs.fileShares);
    const name = DOCS[rng.int(0, DOCS.length - 1)]!.replace('{n}', digits(rng, 4)).replace('{q}', String(rng.int(1, 4)));
    const url = world.names.unique(() => `https://${share.site.domain}${share.path(rng, name)}`);
    world.ledger.benign('url', url, { role: 'file-share-host', tags: ['benign-link'] });
    browse(ctx, host, time, share.site, url);
    if (rng.chance(0.4)) ctx.sensors.fileSeen(host, time + rng.int(5_000, 60_000), benignFile(ctx, name, 'benign-document'), url);
  } else {
    // A short link in a post or a chat, to an ordinary page.
    const shortener = rng.pick(hubs.shorteners);
    const target = rng.chance(0.6) ? web.popular[rng.zipf(web.popular.length, 1)]! : web.midTier[rng.zipf(web.midTier.length, 1.05)]!;
    const url = world.names.unique(() => `https://${shortener.site.domain}${shortener.path(rng)}`);
    world.ledger.benign('url', url, { role: 'shortener', tags: ['benign-link'] });
    browse(ctx, host, time, shortener.site, url);
    browse(ctx, host, time + rng.int(300, 2_000), target, page(target));
  }
}

function benignFile(ctx: Context, name: string, role: string, signer?: string): FileRef {
  const { rng, ledger } = ctx.world;
  const file: FileRef = { sha256: rng.hex(32), name, size: rng.int(20_000, 4_000_000) };
  if (signer !== undefined) file.signer = signer;
  ledger.benign('file', file.sha256, { role });
  return file;
}

/** Ordinary mail: newsletters, collaboration notices, partners' documents, shared links. */
function mail(ctx: Context, tenant: Tenant, host: Host, time: number): void {
  const { world, web, hubs } = ctx;
  const { rng } = world;
  const r = rng.float();
  if (r < 0.4) {
    const site = rng.chance(0.5) ? web.popular[rng.zipf(web.popular.length, 1)]! : web.midTier[rng.zipf(web.midTier.length, 1.05)]!;
    const urls = rng.sample(site.pages, rng.int(1, 3));
    if (rng.chance(0.3)) {
      const shortener = rng.pick(hubs.shorteners);
      const url = world.names.unique(() => `https://${shortener.site.domain}${shortener.path(rng)}`);
      world.ledger.benign('url', url, { role: 'shortener', tags: ['benign-link'] });
      urls.push(url);
    }
    const outcome = ctx.sensors.mail(host, time, `${rng.pick(['news', 'newsletter', 'updates', 'hello'])}@${site.domain.replace(/^www\./, '')}`, urls, []);
    if (!outcome.blocked && rng.chance(0.15)) browse(ctx, host, time + rng.int(2, 120) * MINUTE, site, urls[0]!);
  } else if (r < 0.65) {
    const office = web.byDomain.get('www.office.com')!;
    const teams = web.byDomain.get('teams.microsoft.com')!;
    ctx.sensors.mail(host, time, rng.pick(['no-reply@sharepointonline.com', 'noreply@email.teams.microsoft.com']), [rng.pick(office.pages), rng.pick(teams.pages)], []);
  } else if (r < 0.9) {
    const name = rng.pick(DOCS).replace('{n}', digits(rng, 5)).replace('{q}', String(rng.int(1, 4)));
    const doc = benignFile(ctx, name, 'benign-attachment');
    const sender = `${personLocal(rng)}@${businessDomain(rng).replace(/^www\./, '')}`;
    const recipients = [host, ...rng.sample(tenant.hosts.filter((h) => h !== host), rng.int(0, 2))];
    for (const to of recipients) {
      const outcome = ctx.sensors.mail(to, time + rng.int(0, 20_000), sender, [], [doc]);
      if (!outcome.blocked && rng.chance(0.35)) ctx.sensors.fileSeen(to, time + rng.int(5, 240) * MINUTE, doc);
    }
    // Mail sandboxes detonate attachments; legitimate macro workbooks often look suspicious.
    if (tenant.sandbox !== undefined && rng.chance(0.3)) {
      const category = name.endsWith('.xlsm') || rng.chance(0.05) ? 'suspicious' : 'clean';
      ctx.sensors.detonate(tenant, time + rng.int(3, 20) * MINUTE, { file: doc }, { engine: 'detonator-q', category });
    }
  } else {
    const share = rng.pick(hubs.fileShares);
    const name = rng.pick(DOCS).replace('{n}', digits(rng, 4)).replace('{q}', String(rng.int(1, 4)));
    const url = world.names.unique(() => `https://${share.site.domain}${share.path(rng, name)}`);
    world.ledger.benign('url', url, { role: 'file-share-host', tags: ['benign-link'] });
    ctx.sensors.mail(host, time, `${personLocal(rng)}@${businessDomain(rng).replace(/^www\./, '')}`, [url], []);
    if (rng.chance(0.3)) browse(ctx, host, time + rng.int(5, 180) * MINUTE, share.site, url);
  }
}

/** A user installs a popular application from the vendor's site. */
function installSoftware(ctx: Context, tenant: Tenant, host: Host, time: number): void {
  const { world, sensors, software, web } = ctx;
  const { rng } = world;
  // What people install follows popularity: browsers and meeting clients far more than SSH tools.
  const installable = software.products.filter((p) => p.installer !== undefined);
  const product = installable[rng.zipf(installable.length, 1)]!;
  const installer = product.installer!;
  const domain = installer.url.slice(8).split(/[/?]/, 1)[0]!;
  const site = web.byDomain.get(domain)!;
  if (!browse(ctx, host, time, site, installer.url)) return;
  sensors.fileSeen(host, time + rng.int(5_000, 90_000), installer.file, installer.url);
  const run = time + rng.int(2, 10) * MINUTE;
  sensors.processStart(host, run, installer.file, appFile(ctx, host, host.browser, run));
  if (tenant.sandbox !== undefined && rng.chance(0.2)) {
    // Installers write everywhere and touch autoruns: sandboxes often call that suspicious.
    sensors.detonate(tenant, time + rng.int(5, 30) * MINUTE, { file: installer.file }, { engine: 'detonator-q', category: rng.chance(0.35) ? 'suspicious' : 'clean' });
  }
}

/** A small unsigned tool from a code host or an obscure site, run on one machine. */
function nicheTool(ctx: Context, host: Host, time: number): void {
  const { world, sensors, web } = ctx;
  const { rng } = world;
  const name = rng.pick(NICHE);
  let site: Site;
  let url: string;
  if (rng.chance(0.5)) {
    site = web.byDomain.get('github.com')!;
    url = addPage(world, site, `/${slug(rng).split('-')[0]}${digits(rng, 2)}/${slug(rng)}/releases/download/v${rng.int(0, 3)}.${rng.int(0, 20)}/${name}`);
  } else {
    site = web.longTail();
    url = addPage(world, site, `/downloads/${name}`);
  }
  if (!browse(ctx, host, time, site, url)) return;
  const file = benignFile(ctx, name, 'niche-software', rng.chance(0.2) ? `${slug(rng).split('-')[0]} software` : undefined);
  sensors.fileSeen(host, time + rng.int(5_000, 60_000), file, url);
  const run = time + rng.int(1, 15) * MINUTE;
  sensors.processStart(host, run, file, systemFile(ctx, host, 'explorer.exe', run));
}

/** An administrator's own PowerShell script. */
function adminScript(ctx: Context, host: Host, time: number): void {
  const file = benignFile(ctx, `${ctx.world.rng.pick(['Cleanup', 'Get-Inventory', 'Reset-Spooler', 'Map-Drives'])}_${alnum(ctx.world.rng, 4)}.ps1`, 'admin-script');
  ctx.sensors.fileSeen(host, time, file);
  ctx.sensors.processStart(host, time + 30_000, systemFile(ctx, host, 'powershell.exe', time), systemFile(ctx, host, 'explorer.exe', time));
}
