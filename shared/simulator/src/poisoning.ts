import type { BenignWorld } from './benign.ts';
import type { EventStream } from './event-stream.ts';
import type { IndicatorPool } from './indicator-pool.ts';
import type { SharedInfrastructure } from './infrastructure.ts';
import type { Rng } from './rng.ts';

const MIN = 60_000;

/**
 * An attacker with one tenant's ingest key (a trial account) tries to get popular benign
 * indicators convicted for everyone: from five invented sensors it claims `malicious` on the
 * Chrome download page, the Chrome installer and the most browsed domain, with the engine,
 * gateway, DNS-firewall and sandbox names real tenants use, within a couple of hours, behind a
 * little ordinary-looking traffic. The targets are labelled benign with role `poisoned`.
 */
export function addPoisoning(rng: Rng, stream: EventStream, pool: IndicatorPool, infra: SharedInfrastructure, benign: BenignWorld, attacker: string): void {
  const span = stream.end - stream.start;
  const sensors = Array.from({ length: 5 }, (_, i) => ({ sensor: `ep-x${rng.int(20, 99)}-${String(i + 1).padStart(4, '0')}`, host: `host-${rng.hex(6)}` }));
  const domain = pool.topDomains[0] ?? 'example.com';
  const file = infra.chrome.installer.ref;
  const url = infra.chrome.page;
  stream.label('domain', domain, 'benign', 'popular-site');
  for (const [kind, value] of [['url', url], ['file', file.sha256], ['domain', domain]] as const) stream.retag(kind, value, 'poisoned');

  // Cover: a little of what an ordinary small tenant sends.
  const when = () => stream.start + rng.float() * span;
  for (const s of sensors) {
    stream.add(attacker, when(), { ...s, type: 'process_start', file: benign.system.explorer.ref });
    for (let n = rng.int(2, 5); n > 0; n--) {
      const site = pool.topDomains[rng.zipf(Math.min(100, pool.topDomains.length), 1)]!;
      stream.add(attacker, when(), { ...s, type: 'url_visit', url: `https://${site}/` });
    }
  }

  const at = stream.start + span * (0.3 + 0.3 * rng.float());
  const t = () => at + rng.float() * 120 * MIN;
  const fileClaims = [['av-aurora', 'Trojan.GenericKD.71234'], ['av-borealis', 'Win32/Agent.TJS'], ['av-cirrus', 'Trojan:Win32/Wacatac'], ['av-dynamo', 'HEUR:Trojan.Win32.Generic']] as const;
  fileClaims.forEach(([engine, name], i) => {
    stream.add(attacker, t(), { ...sensors[i]!, type: 'detection', file, verdict: { engine, name, category: 'malicious' } });
  });
  stream.add(attacker, t(), { ...sensors[4]!, type: 'sandbox_report', file, verdict: { engine: 'sandbox-orbit', name: 'Trojan.Dropper', category: 'malicious' } });
  stream.add(attacker, t(), { ...sensors[0]!, type: 'url_visit', url, verdict: { engine: 'swg-atlas', name: 'Malware.Distribution', category: 'malicious' } });
  stream.add(attacker, t(), { ...sensors[1]!, type: 'url_visit', url, verdict: { engine: 'swg-beacon', name: 'Phishing', category: 'malicious' } });
  stream.add(attacker, t(), { ...sensors[2]!, type: 'sandbox_report', url, verdict: { engine: 'sandbox-prism', name: 'Dropper', category: 'malicious' } });
  stream.add(attacker, t(), { ...sensors[3]!, type: 'detection', url, verdict: { engine: 'av-ember', name: 'URL:Mal', category: 'malicious' } });
  stream.add(attacker, t(), { ...sensors[0]!, type: 'dns_resolve', domain, verdict: { engine: 'dnsfw-quad', name: 'malware', category: 'malicious' } });
  stream.add(attacker, t(), { ...sensors[1]!, type: 'dns_resolve', domain, verdict: { engine: 'dnsfw-umbra', name: 'c2', category: 'malicious' } });
  stream.add(attacker, t(), { ...sensors[2]!, type: 'detection', domain, verdict: { engine: 'ips-crest', name: 'ET CNC', category: 'malicious' } });
}
