import { digestAndKey } from '@repute/core';
import type { RedisClient } from '@repute/store';
import {
  execBySlot, homePageOf, isHomePage, SITE_LISTING_PREFIX, siteLister, stateKeys,
  type DecodedState, type IndicatorRef, type KeyCommand,
} from '@repute/verdicts';
import { hostOf } from '../events/observations.ts';

export interface SiteListingDeps {
  redis: RedisClient;
  prefix: string;
  /** The decoded state of an indicator (what the correlator holds). */
  read: (ref: IndicatorRef) => Promise<DecodedState>;
  /** The URLs seen on each host, most used first (the walk's `hosted_on` in reverse). */
  pagesOn: (hosts: IndicatorRef[]) => Promise<{ src_digest: string; dst_kind: string; dst_value: string; dst_digest: string }[]>;
}

const LISTING_SOURCE = 'webfilter';

/** The web filters whose detection (not a `clean`) a URL's state carries. */
function flaggedBy(state: DecodedState['state']): Set<string> {
  const engines = new Set<string>();
  for (const w of state.words) if (w.source === LISTING_SOURCE && w.category !== 'clean') engines.add(w.engine);
  return engines;
}

const urlRef = (value: string): IndicatorRef => ({ kind: 'url', value, ...digestAndKey('url', value) });

/**
 * Marks the web filters that list a whole site on the site's pages (`l|webfilter|<engine>`, see
 * `@repute/verdicts` site-listing.ts): a filter that flagged both a page and the site's home page
 * flagged the site. Looked at for the sources of a propagation round, both ways round, since
 * either may be flagged first: a page's home page is read; a home page's pages are listed from
 * the relations (the most visited, up to `fanout`) and read. Returns the pages newly marked, to
 * be re-scored before they walk.
 */
export async function markSiteListings(deps: SiteListingDeps, sources: { ref: IndicatorRef; decoded: DecodedState }[]): Promise<IndicatorRef[]> {
  const pages: { ref: IndicatorRef; state: DecodedState['state'] }[] = [];
  const homes = new Map<string, { ref: IndicatorRef; engines: Set<string> }>();
  const hostsOfHomes = new Map<string, IndicatorRef>();
  for (const { ref, decoded } of sources) {
    if (ref.kind !== 'url') continue;
    const engines = flaggedBy(decoded.state);
    if (engines.size === 0) continue;
    if (isHomePage(ref.value)) {
      homes.set(ref.value, { ref, engines });
      const host = hostOf(ref.value);
      if (host !== undefined) hostsOfHomes.set(ref.value, { ...host, ...digestAndKey(host.kind, host.value) });
    } else {
      pages.push({ ref, state: decoded.state });
    }
  }
  // A flagged home page: its site's other pages, read with their words.
  if (hostsOfHomes.size > 0) {
    const edges = await deps.pagesOn([...hostsOfHomes.values()]);
    const seen = new Set(pages.map((p) => p.ref.key));
    const found: IndicatorRef[] = [];
    for (const e of edges) {
      if (e.dst_kind !== 'url' || isHomePage(e.dst_value)) continue;
      const ref = urlRef(e.dst_value);
      if (seen.has(ref.key)) continue;
      seen.add(ref.key);
      found.push(ref);
    }
    const states = await Promise.all(found.map((r) => deps.read(r)));
    found.forEach((ref, i) => {
      pages.push({ ref, state: states[i]!.state });
    });
  }
  // A flagged page: its site's home page, unless it was a source itself.
  const wanted = [...new Set(pages.map((p) => homePageOf(p.ref.value)).filter((h): h is string => h !== undefined && !homes.has(h)))];
  const read = await Promise.all(wanted.map((h) => deps.read(urlRef(h))));
  wanted.forEach((home, i) => {
    homes.set(home, { ref: urlRef(home), engines: flaggedBy(read[i]!.state) });
  });

  const marked: IndicatorRef[] = [];
  const writes: KeyCommand[] = [];
  const now = Date.now();
  for (const page of pages) {
    const home = homes.get(homePageOf(page.ref.value) ?? '');
    if (home === undefined || home.engines.size === 0) continue;
    const listed = new Set(page.state.siteListers ?? []);
    const fields: (string | number)[] = [];
    for (const engine of flaggedBy(page.state)) {
      const lister = siteLister(LISTING_SOURCE, engine);
      if (home.engines.has(engine) && !listed.has(lister)) fields.push(`${SITE_LISTING_PREFIX}${lister}`, now);
    }
    if (fields.length === 0) continue;
    writes.push(['hset', stateKeys(deps.prefix, page.ref.key).state, ...fields]);
    marked.push(page.ref);
  }
  await execBySlot(deps.redis, writes);
  return marked;
}
