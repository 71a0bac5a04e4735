import type { TestContext } from 'node:test';
import { startDeployment as start, type Deployment as Running } from '../quality/deployment.ts';

/** A live deployment for one test (see quality/deployment.ts), closed and deleted in `t.after`. */
export interface Deployment extends Running {
  /** A key with the lookup scope (the global view). */
  lookupKey: string;
  /** One ingest key per tenant, in tenant order. */
  ingestKeysInOrder: string[];
}

/** Starts the real pipeline for `tenants` tenants named `tenant-01`, `tenant-02`, ... (or as given). */
export async function startDeployment(t: TestContext, tenants: number | readonly string[], correlatorEnv?: Record<string, string>): Promise<Deployment> {
  const names = typeof tenants === 'number' ? Array.from({ length: tenants }, (_, i) => `tenant-${String(i + 1).padStart(2, '0')}`) : tenants;
  const d = await start({ tenants: names, ...(correlatorEnv !== undefined ? { correlatorEnv } : {}) });
  t.after(() => d.close());
  return { ...d, lookupKey: d.observerKey, ingestKeysInOrder: names.map((n) => d.ingestKeys.get(n)!) };
}
