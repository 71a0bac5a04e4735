import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A seeded random source; every draw of a simulation goes through one, so a seed replays it exactly. */
export interface Rng {
  /** Integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** Float in [0, 1). */
  float(): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** `n` distinct items (all of them when there are fewer). */
  sample<T>(items: readonly T[], n: number): T[];
  /** Lowercase hex of `bytes` random bytes. */
  hex(bytes: number): string;
  /** Index in [0, n) with probability proportional to 1 / (rank + 1)^s (Zipf). */
  zipf(n: number, s: number): number;
  /** An independent stream named `label`: adding draws to one component never shifts another's. */
  fork(label: string): Rng;
}

// FNV-1a: a stable 32-bit hash to derive child seeds from labels.
function fnv1a(text: string, basis = 0x811c9dc5): number {
  let h = basis;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Creates the random source of `seed`. */
export function createRng(seed: number | string): Rng {
  const base = typeof seed === 'number' ? seed >>> 0 : fnv1a(seed);
  const gen = xoroshiro128plus(base);
  const zipfTables = new Map<string, Float64Array>();
  const rng: Rng = {
    int: (min, max) => uniformInt(gen, min, max),
    float: () => uniformFloat64(gen),
    chance: (p) => p > 0 && uniformFloat64(gen) < p,
    pick(items) {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[uniformInt(gen, 0, items.length - 1)]!;
    },
    sample(items, n) {
      const copy = items.slice();
      const k = Math.min(n, copy.length);
      // Partial Fisher-Yates: only the first k positions are drawn.
      for (let i = 0; i < k; i++) {
        const j = uniformInt(gen, i, copy.length - 1);
        [copy[i], copy[j]] = [copy[j]!, copy[i]!];
      }
      return copy.slice(0, k);
    },
    hex(bytes) {
      let out = '';
      for (let i = 0; i < bytes; i++) out += uniformInt(gen, 0, 255).toString(16).padStart(2, '0');
      return out;
    },
    zipf(n, s) {
      const id = `${n}:${s}`;
      let cdf = zipfTables.get(id);
      if (cdf === undefined) {
        cdf = new Float64Array(n);
        let sum = 0;
        for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 1) ** s;
        for (let i = 0; i < n; i++) cdf[i] = cdf[i]! / sum;
        zipfTables.set(id, cdf);
      }
      const u = uniformFloat64(gen);
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! < u) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
    fork: (label) => createRng(fnv1a(label, fnv1a(String(base)))),
  };
  return rng;
}
