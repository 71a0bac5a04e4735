/** What a simulation report must carry to be judged against the floors. */
export interface FloorInput {
  evaluation: { kinds: Record<'file' | 'url' | 'domain' | 'ip' | 'all', { strict: { precision: number | null }; severe: { recall: number | null } }> };
  campaigns: readonly { tenants: number; timeToMaliciousMs: number | null }[];
}

/**
 * The floors a simulated week through the real pipeline must stay above, whichever way it is
 * run (in process, or through `npm start` and the CLI): a little under what the pipeline
 * measures, so a regression shows and noise does not.
 */
export const SIMULATION_FLOORS = { fileSevereRecall: 0.9, urlSevereRecall: 0.8, urlDomainIpPrecision: 0.95, severeRecall: 0.75, convictedSharedCampaigns: 0.6 };

/** Each floor the report is under, said in a line; empty when it clears them all. */
export function floorShortfalls(report: FloorInput): string[] {
  const f = SIMULATION_FLOORS;
  const k = report.evaluation.kinds;
  const out: string[] = [];
  const atLeast = (value: number | null, floor: number, what: string, nullOk = false) => {
    if (value === null ? !nullOk : value < floor) out.push(`${what} ${value} is under ${floor}`);
  };
  atLeast(k.file.severe.recall, f.fileSevereRecall, 'file recall (malicious or suspicious)');
  atLeast(k.url.severe.recall, f.urlSevereRecall, 'url recall (malicious or suspicious)');
  for (const kind of ['url', 'domain', 'ip'] as const) atLeast(k[kind].strict.precision, f.urlDomainIpPrecision, `${kind} precision`, true);
  atLeast(k.all.severe.recall, f.severeRecall, 'malicious-or-suspicious recall');
  // A campaign seen in two tenants or more is convicted for everyone.
  const shared = report.campaigns.filter((c) => c.tenants >= 2);
  const convicted = shared.filter((c) => c.timeToMaliciousMs !== null).length;
  if (convicted < f.convictedSharedCampaigns * shared.length) out.push(`${convicted} of ${shared.length} campaigns in two tenants or more convicted, under ${f.convictedSharedCampaigns}`);
  return out;
}
