import type { Rng } from '@repute/simulator';
import type { Host, Tenant } from './fleet.ts';

/** How far a campaign spreads: one company, a few, or everybody it can reach. */
export type Reach = 'targeted' | 'regional' | 'wide';

export function drawReach(rng: Rng): Reach {
  const r = rng.float();
  return r < 0.4 ? 'targeted' : r < 0.75 ? 'regional' : 'wide';
}

/**
 * The hosts a campaign lands on: a few tenants, and within each a handful of hosts, as a
 * spear-phishing run or a spam wave would reach them. `scale` multiplies the host counts
 * (a phishing wave lands in more inboxes than a dropper on disks).
 */
export function drawVictims(rng: Rng, customers: readonly Tenant[], reach: Reach, scale = 1): Host[] {
  const [tMin, tMax, hMin, hMax] = reach === 'targeted' ? [1, 1, 1, 3] : reach === 'regional' ? [1, 3, 2, 6] : [3, 8, 2, 7];
  const tenants = rng.sample(customers, rng.int(tMin, Math.min(tMax, customers.length)));
  return tenants.flatMap((t) => rng.sample(t.hosts, Math.max(1, Math.round(rng.int(hMin, hMax) * scale))));
}
