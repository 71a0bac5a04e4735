import type { Fleet } from './fleet.ts';
import type { Hubs } from './hubs.ts';
import { hostedSite } from './hubs.ts';
import { businessDomain, slug } from './names.ts';
import { addPage, createSite, type Site } from './site.ts';
import type { World } from './world.ts';

/** Well-known sites everybody visits, most visited first, with the pages people open. */
const POPULAR: [string, string[]][] = [
  ['www.google.com', ['/', '/search?q=weather', '/maps', '/search?q=translate']],
  ['login.microsoftonline.com', ['/common/oauth2/v2.0/authorize', '/', '/common/login']],
  ['outlook.office365.com', ['/mail/', '/owa/', '/calendar/view/week']],
  ['www.office.com', ['/', '/launch/word', '/launch/excel']],
  ['teams.microsoft.com', ['/', '/v2/', '/_/conversations']],
  ['www.youtube.com', ['/', '/watch?v=dQw4w9WgXcQ', '/watch?v=jNQXAC9IVRw', '/feed/subscriptions']],
  ['www.linkedin.com', ['/feed/', '/in/', '/jobs/', '/notifications/']],
  ['en.wikipedia.org', ['/wiki/Main_Page', '/wiki/Transport_Layer_Security', '/wiki/Python_(programming_language)']],
  ['github.com', ['/', '/notifications', '/pulls', '/microsoft/vscode/issues']],
  ['stackoverflow.com', ['/questions', '/questions/11227809', '/questions/927358']],
  ['www.amazon.com', ['/', '/gp/cart/view.html', '/s?k=usb+c+cable']],
  ['zoom.us', ['/', '/signin', '/download', '/j/83475629104']],
  ['app.slack.com', ['/client', '/']],
  ['www.bbc.co.uk', ['/news', '/news/world', '/sport']],
  ['www.reuters.com', ['/', '/business/', '/technology/']],
  ['www.nytimes.com', ['/', '/section/world', '/section/technology']],
  ['www.cnn.com', ['/', '/world', '/business']],
  ['weather.com', ['/', '/weather/today/l/USNY0996']],
  ['www.salesforce.com', ['/', '/products/']],
  ['myaccount.google.com', ['/', '/security']],
  ['mail.google.com', ['/mail/u/0/', '/mail/u/0/?tab=rm']],
  ['docs.google.com', ['/document/u/0/', '/spreadsheets/u/0/']],
  ['www.apple.com', ['/', '/iphone/', '/support/']],
  ['www.adobe.com', ['/', '/acrobat/online/pdf-to-word.html']],
  ['www.microsoft.com', ['/en-us/', '/en-us/download', '/en-us/security/blog/']],
  ['learn.microsoft.com', ['/en-us/windows/', '/en-us/azure/', '/en-us/powershell/']],
  ['portal.azure.com', ['/', '/home']],
  ['console.aws.amazon.com', ['/console/home', '/ec2/home']],
  ['www.atlassian.com', ['/software/jira', '/']],
  ['www.dropbox.com', ['/home', '/login']],
  ['www.paypal.com', ['/signin', '/myaccount/summary']],
  ['www.facebook.com', ['/', '/marketplace/']],
  ['x.com', ['/home', '/explore']],
  ['www.instagram.com', ['/']],
  ['www.reddit.com', ['/', '/r/sysadmin/', '/r/technology/']],
  ['news.ycombinator.com', ['/', '/newest']],
  ['www.bing.com', ['/', '/search?q=timezone+converter']],
  ['www.docusign.com', ['/', '/products/electronic-signature']],
  ['www.dhl.com', ['/global-en/home/tracking.html', '/']],
  ['www.fedex.com', ['/en-us/tracking.html', '/']],
  ['www.wetransfer.com', ['/', '/about']],
  ['chat.openai.com', ['/', '/c/']],
  ['www.canva.com', ['/', '/design/']],
  ['www.spotify.com', ['/', '/account/overview/']],
  ['api.telegram.org', ['/']],
];

/**
 * The benign web the fleet browses: a head of famous sites, a body of established smaller
 * ones (some popular with one tenant only: regional news, suppliers), a long tail that
 * keeps growing, sites on free hosting, and sites that launch during the week.
 */
export interface Web {
  popular: Site[];
  midTier: Site[];
  /** Sites mostly one tenant visits. */
  regional: Map<string, Site[]>;
  hosted: Site[];
  /** Sites that appear during the window; `tenant` when only one tenant adopts it. */
  launches: { site: Site; from: number; tenant?: string }[];
  byDomain: Map<string, Site>;
  /** The popular site for `domain`, created with `paths` if it is not there yet. */
  vendor(domain: string, paths: string[]): Site;
  /** A site nobody visited before (a recipe blog, a local plumber). */
  longTail(): Site;
}

export function createWeb(world: World, hubs: Hubs, fleet: Fleet): Web {
  const { rng, ips, ledger } = world;
  const byDomain = new Map<string, Site>();
  const popularIps = (): string[] => {
    if (rng.chance(0.4)) return rng.sample(hubs.cdn, 2);
    return Array.from({ length: rng.int(1, 3) }, () => {
      const ip = ips.take('popular');
      ledger.benign('ip', ip, { role: 'popular-site' });
      return ip;
    });
  };
  const smallSiteIps = (): string[] => {
    const r = rng.float();
    if (r < 0.35) return rng.sample(hubs.cdn, 2);
    if (r < 0.6) return [rng.pick(hubs.cloud)];
    const ip = ips.take('hosting');
    ledger.benign('ip', ip, { role: 'cloud-address', tags: ['shared-hosting'] });
    return [ip];
  };
  const remember = (site: Site): Site => {
    byDomain.set(site.domain, site);
    return site;
  };

  const popular = POPULAR.filter(([domain]) => !byDomain.has(domain) && !hubs.fileShares.some((f) => f.site.domain === domain)).map(([domain, paths]) =>
    remember(createSite(world, { domain, role: 'popular-site', pageRole: 'popular-url', ips: popularIps(), paths })),
  );
  // www.dropbox.com is both a popular site and a file share: keep the one story.
  for (const share of hubs.fileShares) byDomain.set(share.site.domain, share.site);

  const businessSite = (role: string, pageRole: string, pages: number): Site => {
    const domain = world.names.unique(() => businessDomain(rng));
    const paths = ['/', ...Array.from({ length: pages - 1 }, () => `/${rng.pick(['blog', 'news', 'products', 'services', 'about', 'events', 'docs'])}/${slug(rng)}`)];
    return remember(createSite(world, { domain, role, pageRole, ips: smallSiteIps(), paths }));
  };

  const midTier = Array.from({ length: 220 }, () => businessSite('benign-site', 'benign-page', rng.int(3, 8)));
  const regional = new Map<string, Site[]>();
  for (const tenant of fleet.customers) regional.set(tenant.id, Array.from({ length: 12 }, () => businessSite('benign-site', 'benign-page', rng.int(2, 6))));
  const hosted = Array.from({ length: 40 }, () => remember(hostedSite(world, rng.pick(hubs.platforms))));

  // New sites that many hosts start visiting at once: a SaaS one customer adopts mid-week, a
  // big brand's event site. Young and suddenly popular, and benign.
  const launches: Web['launches'] = [];
  const span = world.clock.end - world.clock.start;
  for (let i = 0; i < 2; i++) {
    const domain = world.names.unique(() => (i === 0 ? `app.${slug(rng).replace(/-/g, '')}.io` : `www.${slug(rng)}-summit.com`));
    const site = remember(
      createSite(world, { domain, role: 'popular-site', pageRole: 'popular-url', tags: ['new-site'], ips: rng.sample(hubs.cdn, 2), paths: ['/', '/login', `/${slug(rng)}`] }),
    );
    const from = world.clock.start + Math.round(span * (0.25 + 0.3 * rng.float()));
    launches.push(i === 0 ? { site, from, tenant: rng.pick(fleet.customers).id } : { site, from });
  }

  return {
    popular,
    midTier,
    regional,
    hosted,
    launches,
    byDomain,
    vendor(domain, paths) {
      const site = byDomain.get(domain) ?? remember(createSite(world, { domain, role: 'popular-site', pageRole: 'popular-url', ips: popularIps(), paths: [] }));
      for (const path of paths) addPage(world, site, path);
      return site;
    },
    longTail: () => businessSite('long-tail-site', 'long-tail-page', rng.int(1, 2)),
  };
}
