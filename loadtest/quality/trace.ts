import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { QualityReplay, Scenario } from '@repute/simulator';

/**
 * Writes one seed's scenario and every verdict the replay saw, so that a mistake in the report
 * can be traced to the events behind it: per checkpoint, the verdict codes of the global view
 * (aligned with `plan.items`) and of the victims' view (aligned with `plan.victims`), and the
 * final answers with their reasons.
 */
export function writeTrace(dir: string, scenario: Scenario, replay: QualityReplay): void {
  mkdirSync(dir, { recursive: true });
  const { plan } = replay;
  const trace = {
    scenario,
    items: plan.items.map((it) => ({ ...it, tenants: Object.fromEntries(it.tenants) })),
    victims: plan.victims,
    checkpoints: replay.checkpoints.map((cp) => ({ at: cp.at, global: Array.from(cp.global), victims: Array.from(cp.victims) })),
    final: replay.final,
  };
  writeFileSync(join(dir, `seed-${scenario.seed}.json`), JSON.stringify(trace));
}
