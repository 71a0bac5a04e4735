import { DAY } from './clock.ts';
import { WEB_ENGINES } from './engines.ts';
import { businessDomain, slug } from './names.ts';
import { createSite, type Site } from './site.ts';
import type { Web } from './web.ts';
import type { World } from './world.ts';

/**
 * Established small sites (a dental practice, a rotary club, a local paper on an outdated
 * CMS) that intruders take over for a while to serve malware or phishing from a few URLs
 * of their own. The site, its address and its ordinary pages stay benign: its regular
 * visitors keep coming all week. Only the planted URLs are malicious.
 */
export interface Compromised {
  sites: Site[];
  /** Plants a malicious URL on one of the sites; the caller declares the URL and tells its story. */
  plant(purpose: 'malware' | 'phishing', fileName: string, brand: string, start: number): { site: Site; url: string };
}

export function createCompromised(world: World, web: Web): Compromised {
  const { rng, ips, ledger, knowledge } = world;
  const sites = Array.from({ length: 7 }, () => {
    const ip = ips.take('hosting');
    ledger.benign('ip', ip, { role: 'compromised-site-ip' });
    const domain = world.names.unique(() => businessDomain(rng));
    const paths = ['/', '/about-us/', '/contact/', ...Array.from({ length: 6 }, () => `/${rng.pick(['news', 'blog', 'events', 'gallery'])}/${slug(rng)}/`)];
    return createSite(world, { domain, role: 'compromised-site', ips: [ip], paths });
  });
  // They are established sites with a real audience: place them in the busier half of the
  // sites the fleet browses.
  for (const [i, site] of sites.entries()) web.midTier.splice(2 + i * 4 + rng.int(0, 3), 0, site);
  for (const site of sites) web.byDomain.set(site.domain, site);

  return {
    sites,
    plant(purpose, fileName, brand, start) {
      const site = rng.pick(sites);
      const year = new Date(world.clock.start).getUTCFullYear();
      const path =
        purpose === 'malware'
          ? `/wp-content/uploads/${year}/${String(rng.int(1, 12)).padStart(2, '0')}/${fileName}`
          : rng.pick([
              `/wp-includes/${rng.pick(['css', 'js', 'fonts'])}/${brand}/${rng.pick(['login.php', 'index.html', 'verify.php'])}`,
              `/.well-known/${brand}-secure/${rng.pick(['index.php', 'signin.html'])}`,
              `/wp-admin/css/${brand}${rng.int(1, 99)}/auth/`,
            ]);
      const url = world.names.unique(() => `https://${site.domain}${path}`);
      // Some web filters list the whole site once they hear of the planted page, for a day
      // or two, so the site's ordinary visitors get blocked too.
      if (rng.chance(0.35)) {
        const from = start + rng.int(6, 36) * 3_600_000;
        knowledge.learn(rng.pick(WEB_ENGINES), 'domain', site.domain, { category: rng.chance(0.5) ? 'malicious' : 'suspicious', from, until: from + rng.int(1, 2) * DAY });
      }
      return { site, url };
    },
  };
}
