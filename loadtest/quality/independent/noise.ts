import { DAY, HOUR } from './clock.ts';
import type { Context } from './context.ts';
import { AGGRESSIVE_AV } from './fleet.ts';
import type { BackgroundPlan } from './background.ts';

/**
 * Engines being wrong about benign things, as they are every week: an aggressive ML engine
 * convicting popular tools and an in-house agent (and taking some of it back), a vendor
 * calling a remote-support tool a PUA, web filters and a DNS firewall listing ordinary sites
 * for a while, a mail filter distrusting a newsletter's pages.
 */
export function planEngineNoise(ctx: Context, plan: BackgroundPlan): void {
  const { world, software, web } = ctx;
  const { rng, knowledge, clock } = world;
  const span = clock.end - clock.start;
  const when = (): number => clock.start + Math.round(rng.float() * span * 0.8);

  // Tools that look like hacking tools to a model trained on malware.
  const candidates = software.products.filter((p) => ['putty', 'winscp', '7zip', 'keepass', 'vlc', 'notepadpp', 'python'].includes(p.key));
  for (const product of rng.sample(candidates, 3)) {
    const release = rng.pick(product.releases);
    const files = [release.file, ...(product.installer !== undefined && rng.chance(0.5) ? [product.installer.file] : [])];
    for (const file of files) {
      const from = when();
      const retracted = rng.chance(0.5);
      knowledge.learn(AGGRESSIVE_AV, 'file', file.sha256, { category: 'malicious', name: rng.pick(['Heur.AdvML.B', 'ML.Attribute.HighConfidence']), from, ...(retracted ? { until: from + rng.int(6, 48) * HOUR } : {}) });
    }
  }
  for (const tool of rng.sample(plan.internal, 2)) {
    const from = Math.max(clock.start, tool.from - DAY);
    knowledge.learn(AGGRESSIVE_AV, 'file', tool.file.sha256, { category: 'malicious', name: 'ML.Attribute.HighConfidence', from, ...(rng.chance(0.5) ? { until: from + rng.int(12, 72) * HOUR } : {}) });
  }
  const anydesk = software.products.find((p) => p.key === 'anydesk');
  if (anydesk !== undefined) {
    for (const f of [anydesk.releases[0]!.file, ...(anydesk.installer ? [anydesk.installer.file] : [])]) {
      knowledge.learn('av-delta', 'file', f.sha256, { category: 'pua', name: 'not-a-virus:RemoteAdmin.Win32.AnyDesk', from: clock.start - 30 * DAY });
    }
  }

  // A web filter miscategorises a well-visited site for a day and a small free-hosted site all week.
  const busy = web.midTier[rng.int(0, 8)]!;
  const from = when();
  knowledge.learn('webfilter-x', 'domain', busy.domain, { category: 'malicious', name: 'Malicious Sites', from, until: from + rng.int(18, 36) * HOUR });
  knowledge.learn('webfilter-w', 'domain', rng.pick(web.hosted).domain, { category: 'suspicious', name: 'Newly Observed Domain', from: clock.start - DAY });
  // The DNS firewall lists a site for half a day, and calls a freshly launched SaaS suspicious.
  const listed = rng.pick([...web.midTier.slice(0, 8), ...web.popular.slice(10, 30)].filter((s) => s !== busy));
  const at = when();
  knowledge.learn('dnsshield-z', 'domain', listed.domain, { category: 'malicious', name: 'Malware', from: at, until: at + rng.int(12, 30) * HOUR });
  const launch = web.launches[0];
  if (launch !== undefined) knowledge.learn('dnsshield-z', 'domain', launch.site.domain, { category: 'suspicious', name: 'Newly Registered Domain', from: launch.from, until: launch.from + 2 * DAY });
  // A mail filter distrusts the links of a site whose newsletter goes out widely.
  const newsletter = rng.pick(web.midTier.slice(0, 4));
  const t = when();
  knowledge.learn('mailguard-y', 'domain', newsletter.domain, { category: 'suspicious', name: 'Spam.Newsletter', from: t, until: t + 2 * DAY });
}
