import type { BenignFile, BenignWorld } from './benign.ts';
import type { EventStream } from './event-stream.ts';
import { ENDPOINT_ENGINES, type Fleet } from './fleet.ts';
import type { Rng } from './rng.ts';

const HOUR = 3_600_000;

export interface EngineNoiseOptions {
  /** Share of benign files the false-positive-prone engine flags (about 2 % in the field). */
  noisyEngineRate: number;
  /** Share of benign files some engine flags and retracts hours later. */
  retractionRate: number;
}

/**
 * Engine noise beyond the basic scenario's: one of the five endpoint engines (a machine-learning
 * heuristic) flags about 2 % of benign files, popular signed ones included, and keeps flagging
 * them; and some engine flags a benign file then, two to twelve hours later, sends `clean` for
 * it from the same sensors (a retracted signature). Each case includes at least one of the
 * five most common signed programs, so every scenario has the hard variant.
 */
export function addEngineNoise(rng: Rng, stream: EventStream, fleet: Fleet, benign: BenignWorld, options: EngineNoiseOptions): { noisyEngine: string } {
  const engines = ENDPOINT_ENGINES.filter((x) => fleet.endpoints.some((e) => e.engine === x));
  const noisyEngine = rng.pick(engines);
  const span = stream.end - stream.start;
  const popular = benign.files.filter((f) => f.ref.signer !== undefined).slice(0, 5);
  const eligible = benign.files.filter((f) => (benign.installs.get(f) ?? []).length > 0);

  const choose = (rate: number, exclude: ReadonlySet<BenignFile>): BenignFile[] => {
    const picked = eligible.filter((f) => !exclude.has(f) && rng.chance(rate));
    const candidates = popular.filter((f) => !exclude.has(f) && (benign.installs.get(f) ?? []).length > 0);
    if (!picked.some((f) => popular.includes(f)) && candidates.length > 0) picked.push(rng.pick(candidates));
    return picked;
  };

  const flagged = choose(options.noisyEngineRate, new Set());
  for (const f of flagged) {
    stream.retag('file', f.ref.sha256, 'engine-fp');
    for (const e of benign.installs.get(f) ?? []) {
      if (e.engine !== noisyEngine || !rng.chance(0.85)) continue;
      stream.add(e.tenant, stream.start + rng.float() * span, { sensor: e.sensor, host: e.host, type: 'detection', file: f.ref, verdict: { engine: noisyEngine, name: 'Trojan:Win32/Wacatac.B!ml', category: 'malicious' } });
    }
  }

  for (const f of choose(options.retractionRate, new Set(flagged))) {
    const hosts = benign.installs.get(f) ?? [];
    const present = engines.filter((x) => hosts.some((e) => e.engine === x));
    if (present.length === 0) continue;
    const engine = rng.pick(present);
    stream.retag('file', f.ref.sha256, 'retracted-fp');
    const flaggedAt = stream.start + rng.float() * 0.8 * span;
    const retractedAt = flaggedAt + (2 + 10 * rng.float()) * HOUR;
    for (const e of hosts) {
      if (e.engine !== engine || !rng.chance(0.8)) continue;
      const at = flaggedAt + rng.float() * HOUR;
      stream.add(e.tenant, at, { sensor: e.sensor, host: e.host, type: 'detection', file: f.ref, verdict: { engine, name: 'Gen:Variant.Razy.9174', category: 'malicious' } });
      stream.add(e.tenant, retractedAt + rng.float() * HOUR, { sensor: e.sensor, host: e.host, type: 'detection', file: f.ref, verdict: { engine, name: 'Gen:Variant.Razy.9174', category: 'clean' } });
    }
  }
  return { noisyEngine };
}
