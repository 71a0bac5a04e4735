import type { IndicatorState, Word } from './types.ts';

/**
 * Web filters judge sites as often as pages: a category engine that hears of one planted page
 * on a compromised site lists the whole site for a while, so every visitor of its home page and
 * news pages is blocked too. Such a word says nothing about the page it came with. It shows
 * where the filter also flagged the site's home page: a word on the home page of a site is a
 * word on the site, and so is that engine's word on any other page of it. A listing counts as a
 * hedge (`webfilter.site_listing`, half a detection, never hard evidence): a page it alone
 * accuses is suspicious, and a site is convicted only when it is shown dedicated to what it
 * serves, as for any other site (then its pages answer through the site's record).
 */

/** The home page of a canonical URL's site (`https://site/` for `https://site/a/b?x`), or undefined when not a URL. */
export function homePageOf(url: string): string | undefined {
  const scheme = url.indexOf('://');
  if (scheme < 0) return undefined;
  // A canonical URL always has a path: its host ends at the first slash after the scheme.
  const slash = url.indexOf('/', scheme + 3);
  return slash < 0 ? `${url}/` : url.slice(0, slash + 1);
}

/** Whether a canonical URL is its site's home page (path `/`, no query). */
export function isHomePage(url: string): boolean {
  const scheme = url.indexOf('://');
  return scheme >= 0 && url.indexOf('/', scheme + 3) === url.length - 1;
}

/** How a listing engine is named in `IndicatorState.siteListers` (and, after SITE_LISTING_PREFIX, in the state hash). */
export function siteLister(source: string, engine: string): string {
  return `${source}|${engine}`;
}

/** Whether a word on this indicator is a web filter's listing of its whole site. */
export function listsSite(state: IndicatorState, word: Word): boolean {
  if (state.kind !== 'url' || word.source !== 'webfilter' || word.category === 'clean') return false;
  return state.siteListers?.includes(siteLister(word.source, word.engine)) === true || isHomePage(state.value);
}
