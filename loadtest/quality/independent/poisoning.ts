import { HOUR, MINUTE } from './clock.ts';
import type { Context } from './context.ts';
import { alnum, digits } from './names.ts';
import type { Draft, FileRef } from './world.ts';

type Target = { kind: 'file'; file: FileRef } | { kind: 'url'; url: string } | { kind: 'domain'; domain: string; ips: string[] };

/**
 * The attacker tenant: a trial account whose "sensors" are scripts. In a few bursts it
 * reports popular, benign things as malicious (a software installer everybody downloads,
 * the app itself, famous URLs and domains) under many invented sensor and host ids and with
 * engine names borrowed from real products, hoping to get them blocked for everybody. It
 * also vouches "clean" for one of the campaigns' files, and sends a little ordinary-looking
 * traffic to look like a customer.
 */
export function runPoisoning(ctx: Context): void {
  const { world, software, web } = ctx;
  const { rng, ledger, clock } = world;
  const attacker = world.fleet.attacker.id;

  // The installer the customers download most: the more it is blocked, the more it hurts.
  const sightings = new Map<string, number>();
  for (const p of world.pending) if (p.draft.file !== undefined) sightings.set(p.draft.file.sha256, (sightings.get(p.draft.file.sha256) ?? 0) + 1);
  const seen = (p: (typeof software.products)[number]): number => sightings.get(p.installer?.file.sha256 ?? '') ?? 0;
  const product = software.products.filter((p) => p.installer !== undefined).reduce((a, b) => (seen(b) > seen(a) ? b : a));
  const app = rng.pick(software.products.filter((p) => ['chrome', 'teams', 'zoom', 'edge', 'word'].includes(p.key) && p !== product));
  const installerUrl = product.installer!.url;
  const famous = web.popular.slice(0, 6);
  const pageSite = rng.pick(famous);
  const domainSites = rng.sample(web.popular.slice(0, 15).filter((s) => s !== pageSite), 2);
  const targets: Target[] = [
    { kind: 'file', file: product.installer!.file },
    { kind: 'file', file: app.releases[0]!.file },
    { kind: 'url', url: installerUrl },
    { kind: 'url', url: pageSite.pages[0]! },
    ...domainSites.map((s): Target => ({ kind: 'domain', domain: s.domain, ips: s.ips })),
  ];
  for (const t of targets) ledger.poisoned(t.kind, t.kind === 'file' ? t.file.sha256 : t.kind === 'url' ? t.url : t.domain);

  const sensorIds = Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? `sandbox-${alnum(rng, 5)}` : i % 4 === 1 ? `webgw-${digits(rng, 3)}` : `ep-${digits(rng, 5)}`));
  const hostIds = Array.from({ length: 60 }, () => `h-${alnum(rng, 10)}`);
  const engines = ['av-alpha', 'av-bravo', 'av-charlie', 'av-omega', 'webfilter-x', 'dnsshield-z', 'detonator-q'];
  const names = ['Trojan:Win32/Wacatac.B!ml', 'Gen:Variant.Zusy.512345', 'Backdoor.Agent.Generic', 'Phishing.Generic', 'Malware'];
  const verdict = (): NonNullable<Draft['verdict']> => ({ engine: rng.pick(engines), name: rng.pick(names), category: rng.chance(0.85) ? 'malicious' : 'suspicious' });
  const emit = (draft: Draft): void => void world.emit(attacker, draft);

  const span = clock.end - clock.start;
  for (const centre of [0.2, 0.5, 0.8]) {
    const burst = clock.start + Math.round(span * centre) + rng.int(-6, 6) * HOUR;
    const n = rng.int(60, 110);
    for (let i = 0; i < n; i++) {
      const time = burst + rng.int(0, 3 * HOUR);
      const sensor = rng.pick(sensorIds);
      const host = rng.pick(hostIds);
      const target = rng.pick(targets);
      if (target.kind === 'file') {
        const type = sensor.startsWith('sandbox') ? 'sandbox_report' : rng.chance(0.7) ? 'detection' : 'file_seen';
        emit({ time, sensor, host, type, file: target.file, verdict: verdict() });
      } else if (target.kind === 'url') {
        emit({ time, sensor, host, type: rng.chance(0.5) ? 'url_visit' : 'detection', url: target.url, verdict: verdict() });
      } else if (rng.chance(0.5)) {
        emit({ time, sensor, host, type: 'dns_resolve', domain: target.domain, relations: { resolvedIps: target.ips }, verdict: verdict() });
      } else {
        emit({ time, sensor, host, type: 'detection', domain: target.domain, verdict: verdict() });
      }
    }
  }

  // Whitewashing: "clean" reports for a campaign's file once it is out.
  const campaign = world.campaigns.find((c) => c.primary.kind === 'file');
  const released = Math.min(...world.pending.filter((p) => p.campaign !== undefined && p.campaign === campaign?.id).map((p) => p.draft.time));
  if (campaign !== undefined && Number.isFinite(released)) {
    const file: FileRef = { sha256: campaign.primary.value, name: 'setup.exe' };
    for (let i = 0; i < 25; i++) {
      const time = released + rng.int(10 * MINUTE, 48 * HOUR);
      emit({ time, sensor: rng.pick(sensorIds), host: rng.pick(hostIds), type: 'detection', file, verdict: { engine: rng.pick(['av-alpha', 'av-bravo', 'av-omega']), category: 'clean' } });
    }
  }

  // Cover traffic: the same system binaries any Windows fleet reports.
  const system = [...software.system.win11.values()].map((r) => r[0]!.file);
  for (let i = 0; i < 60; i++) {
    emit({ time: clock.start + Math.round(rng.float() * span), sensor: rng.pick(sensorIds.filter((s) => s.startsWith('ep-'))), host: rng.pick(hostIds), type: 'process_start', file: rng.pick(system) });
  }
}
