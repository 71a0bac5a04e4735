/**
 * An independent labelled threat-telemetry scenario, written from the telemetry event format
 * (schema v1) and a list of hard cases only — not from the scorer or the verdict logic — so
 * that verdict quality measured on it can expose tuning to the house simulator.
 *
 * The story: a dozen companies (the last one is an attacker's account) with some forty
 * Windows machines each, endpoint agents from five anti-malware vendors (plus an aggressive
 * ML add-on at a few), and at most companies a mail gateway, a web gateway, a DNS firewall
 * and a sandbox. Over the window:
 *
 * - the fleet does what fleets do: Windows processes, popular signed (and some unsigned)
 *   software with vendor updates and a patch day, famous sites, a body of smaller and
 *   regional sites, a long tail seen once, free-hosted pages, links through shorteners, files
 *   on file shares, public resolvers and IP-echo services, newsletters and partners' mail;
 * - some thirty malware campaigns: droppers from the attacker's domains, compromised sites,
 *   file shares, bare IPs and a code host (sometimes polymorphic, sometimes signed with an
 *   abused certificate), macro documents and script archives by mail, second stages that
 *   run as EXEs or inside rundll32, check their address, use public DNS, beacon daily to C2
 *   (some behind a CDN, one sinkholed), and get quarantined when an engine catches up;
 * - some fifty phishing waves: look-alike or hijacked senders, links (per-recipient, behind
 *   shorteners, or in HTML attachments) to brand-impersonating pages on young domains, free
 *   hosting or compromised sites; a few clicks and submissions;
 * - compromised legitimate sites that keep their benign audience while a few planted URLs
 *   serve malware or phishing;
 * - engines that are late, partial, disagree on names, are sometimes cloaked out, and are
 *   sometimes wrong about benign things (and take some of it back);
 * - an attacker tenant reporting popular benign indicators as malicious from invented
 *   sensors, and vouching clean for one campaign's file.
 *
 * Ground truth: everything the attacker owns or built is malicious (its domains, servers,
 * files, URLs, including a planted URL on a borrowed host); everything borrowed (CDNs,
 * clouds, resolvers, shorteners, file shares, free-hosting platforms, compromised sites,
 * sinkholes) and everything else is benign. Only indicators that appear in the stream are
 * labelled.
 */
import { createRng, type Scenario } from '@repute/simulator';
import { createAddressAllocator } from './addresses.ts';
import { assemble } from './assemble.ts';
import { planBackground, runBackground } from './background.ts';
import { DAY, createClock } from './clock.ts';
import { createCompromised } from './compromised.ts';
import type { Context } from './context.ts';
import { createFleet } from './fleet.ts';
import { createHubs } from './hubs.ts';
import { createKnowledge } from './knowledge.ts';
import { createLedger } from './ledger.ts';
import { runMalware } from './malware.ts';
import { createNameRegistry } from './names.ts';
import { planEngineNoise } from './noise.ts';
import { runPhishing } from './phishing.ts';
import { runPoisoning } from './poisoning.ts';
import { createSensors } from './sensors.ts';
import { createSoftware } from './software.ts';
import { createWeb } from './web.ts';
import { createWorld } from './world.ts';

export interface IndependentScenarioOptions {
  seed: number;
  /** Start of the window, epoch ms. */
  start: number;
  durationMs: number;
  /** Tenants including the attacker (the last one); 12 by default. */
  tenants?: number;
  /** Rough number of machines per customer tenant; 40 by default. */
  endpointsPerTenant?: number;
}

/** Campaigns per week of window. */
const MALWARE_PER_WEEK = 32;
const PHISHING_PER_WEEK = 55;

export function generateIndependentScenario(o: IndependentScenarioOptions): Scenario {
  if (!Number.isFinite(o.start) || !(o.durationMs > 0)) throw new RangeError('a scenario needs a start and a positive duration');
  const rng = createRng(o.seed);
  const clock = createClock(o.start, o.durationMs);
  const fleet = createFleet(rng.fork('fleet'), o.tenants ?? 12, o.endpointsPerTenant ?? 40);
  const world = createWorld({
    rng,
    clock,
    fleet,
    names: createNameRegistry(),
    ips: createAddressAllocator(rng.fork('addresses')),
    ledger: createLedger(),
    knowledge: createKnowledge(),
  });
  const hubs = createHubs(world);
  const web = createWeb(world, hubs, fleet);
  const software = createSoftware(world, web);
  const compromised = createCompromised(world, web);
  const ctx: Context = { world, sensors: createSensors(world), hubs, web, software, compromised };

  // Engines' beliefs must be in place before any sensor reports, so noise comes first.
  const plan = planBackground(ctx);
  planEngineNoise(ctx, plan);
  const weeks = o.durationMs / (7 * DAY);
  runMalware(ctx, Math.max(1, Math.round(MALWARE_PER_WEEK * weeks)));
  runPhishing(ctx, Math.max(1, Math.round(PHISHING_PER_WEEK * weeks)));
  runBackground(ctx, plan);
  runPoisoning(ctx);
  return assemble(world, o.seed);
}
