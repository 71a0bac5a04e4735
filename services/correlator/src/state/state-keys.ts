/**
 * Redis keys of an indicator's streaming state. Every key of one indicator shares a hash tag
 * (its record key), so the per-event script touches one slot on a Redis Cluster.
 */
export function stateKeys(prefix: string, recordKey: string) {
  const base = `${prefix}corr:{${recordKey}}`;
  return {
    state: `${base}:s`,
    sensors: `${base}:hs`,
    tenants: `${base}:ht`,
    detectingSensors: `${base}:hds`,
    detectingTenants: `${base}:hdt`,
    graph: `${base}:g`,
    override: `${base}:o`,
    /** Ids (hashed) of the events applied, per minute of event time. */
    dedup: (minute: number) => `${base}:d:${minute}`,
  };
}

/** Sorted set of indicators whose verdict changed, waiting for propagation. */
export function pendingPropagationKey(prefix: string): string {
  return `${prefix}corr:propagate`;
}
