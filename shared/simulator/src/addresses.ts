import type { IndicatorPool } from './indicator-pool.ts';
import type { Rng } from './rng.ts';

/** An address inside one of the pool's cloud and CDN networks (the pool must have some). */
export function cloudAddress(rng: Rng, pool: IndicatorPool): string {
  const [net, bits] = rng.pick(pool.cloudNetworks).split('/') as [string, string];
  const base = net.split('.').map(Number);
  const span = 2 ** (32 - Number(bits));
  const n = ((base[0]! << 24) | (base[1]! << 16) | (base[2]! << 8) | base[3]!) + rng.int(1, Math.max(1, span - 2));
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** An address of ordinary hosting (the long tail of sites). */
export function hostingAddress(rng: Rng): string {
  return `${rng.pick([62, 80, 88, 94, 136, 152, 178, 212])}.${rng.int(1, 254)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}
