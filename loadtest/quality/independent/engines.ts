import { delay, DAY } from './clock.ts';
import { AGGRESSIVE_AV, AV_ENGINES } from './fleet.ts';
import type { Category } from './knowledge.ts';
import type { IndicatorKind } from './ledger.ts';
import type { World } from './world.ts';

export const ALL_AV: readonly string[] = [...AV_ENGINES, AGGRESSIVE_AV];
export const WEB_ENGINES = ['webfilter-x', 'webfilter-w'] as const;
export const DNS_ENGINES = ['dnsshield-z'] as const;
export const MAIL_ENGINES = ['mailguard-y', 'mailshield-k'] as const;

// How much of what is out there each engine catches, relative to the others.
const SKILL: Record<string, number> = { 'av-alpha': 0.95, 'av-bravo': 0.85, 'av-charlie': 0.75, 'av-delta': 0.7, 'av-echo': 0.8, [AGGRESSIVE_AV]: 0.9 };

/** The detection name each vendor gives; they never agree on names. */
export function detectionName(engine: string, family: string, variant: number, kind: 'exe' | 'dll' | 'doc' | 'script' | 'archive'): string {
  const platform = kind === 'doc' ? 'O97M' : kind === 'script' ? 'JS' : 'Win32';
  switch (engine) {
    case 'av-alpha': return `Trojan:${platform}/${family}.${String.fromCharCode(65 + (variant % 26))}!ml`;
    case 'av-bravo': return `Gen:Variant.${family}.${100 + variant * 7}`;
    case 'av-charlie': return `${platform === 'Win32' ? 'W32' : platform}/${family}.${String.fromCharCode(65 + (variant % 26))}!tr`;
    case 'av-delta': return variant % 3 === 0 ? `HEUR:Trojan.${platform}.Generic` : `Trojan-Downloader.${platform}.${family}.${variant}`;
    case 'av-echo': return `${platform === 'Win32' ? 'Win' : 'Doc'}.Malware.${family}-${9_000_000 + variant * 131}-0`;
    default: return variant % 2 === 0 ? 'ML.Attribute.HighConfidence' : 'Heur.AdvML.B';
  }
}

/** How well the anti-malware world covers one file. */
export interface Coverage {
  /** Share of engines that get a signature at all (scaled by each engine's skill). */
  share: number;
  /** Median delay from the campaign's start to a signature. */
  medianDelay: number;
  /** Only this engine ever detects it. */
  only?: string;
}

/**
 * Signatures for one malicious file. Most come hours to days after the campaign starts; a
 * few engines already catch it with a generic rule; some never do; the weaker heuristic
 * engines often say only `suspicious`.
 */
export function learnFile(world: World, sha256: string, start: number, coverage: Coverage, name: (engine: string) => string): void {
  const { rng, knowledge } = world;
  for (const engine of ALL_AV) {
    const p = coverage.only !== undefined ? (engine === coverage.only ? 1 : 0) : coverage.share * (SKILL[engine] ?? 0.8);
    if (!rng.chance(p)) continue;
    const from = rng.chance(0.12) ? start - DAY : start + delay(rng, coverage.medianDelay, 1.1);
    const weak = engine === 'av-delta' || engine === AGGRESSIVE_AV;
    const category: Category = rng.chance(weak ? 0.4 : 0.08) ? 'suspicious' : 'malicious';
    knowledge.learn(engine, 'file', sha256, { category, name: name(engine), from });
  }
}

/**
 * Blocklist entries of network engines (web, DNS, mail) for one indicator: each engine lists
 * it with probability `p`, a log-normal delay after `start`.
 */
export function learnNetwork(world: World, engines: readonly string[], kind: IndicatorKind, value: string, start: number, p: number, medianDelay: number, name?: string): void {
  const { rng, knowledge } = world;
  for (const engine of engines) {
    if (!rng.chance(p)) continue;
    const category: Category = rng.chance(0.8) ? 'malicious' : 'suspicious';
    const from = start + Math.max(10 * 60_000, delay(rng, medianDelay, 0.9));
    knowledge.learn(engine, kind, value, name === undefined ? { category, from } : { category, name, from });
  }
}
