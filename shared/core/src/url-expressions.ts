import { canonicalizeUrl } from './canonicalize-url.ts';
import { endsInANumber } from './ipv4.ts';

const MAX_HOST_SUFFIXES = 4;
const MAX_PATH_PREFIXES = 4;

function hostVariants(host: string): string[] {
  const hosts = [host];
  // IP hosts are never suffixed: 2.3.4 is not a "parent" of 1.2.3.4.
  if (host.charCodeAt(0) === 91 || endsInANumber(host)) return hosts;
  const labels = host.split('.');
  const start = Math.max(1, labels.length - (MAX_HOST_SUFFIXES + 1));
  for (let i = start; i < labels.length - 1; i++) hosts.push(labels.slice(i).join('.'));
  return hosts;
}

function pathVariants(path: string, query: string | undefined): string[] {
  const paths: string[] = [];
  if (query !== undefined && query.length > 0) paths.push(`${path}?${query}`);
  paths.push(path);
  if (path !== '/') paths.push('/');
  const components = path.split('/');
  // components[0] is the empty string before the leading slash; the last one is the file name
  // (or empty for a directory path), which the exact path already covers.
  const last = Math.min(components.length - 1, MAX_PATH_PREFIXES);
  let prefix = '/';
  for (let i = 1; i < last; i++) {
    prefix += `${components[i]}/`;
    if (prefix !== path) paths.push(prefix);
  }
  return paths;
}

/**
 * The Safe Browsing host-suffix / path-prefix expressions of a URL, most specific first: the
 * exact host and up to four suffixes of its last five labels (never the top-level label
 * alone, never for an IP), each with the path and query, the path, and up to four path
 * prefixes from the root. At most 30 strings of the form `host/path?query`, no scheme. An
 * empty query (`/q?`) adds no query-bearing expression. The input need not be canonical.
 * @throws {IndicatorError} as {@link canonicalizeUrl}.
 */
export function urlExpressions(url: string): string[] {
  return expressionsOfCanonical(canonicalizeUrl(url));
}

/**
 * {@link urlExpressions} of a URL that {@link canonicalizeUrl} returned, without canonicalising
 * it again: a lookup derives its expressions from the very string a record's key came from.
 */
export function expressionsOfCanonical(canonical: string): string[] {
  const hostStart = canonical.indexOf('://') + 3;
  const pathStart = canonical.indexOf('/', hostStart);
  const host = canonical.slice(hostStart, pathStart);
  const rest = canonical.slice(pathStart);
  const questionMark = rest.indexOf('?');
  const path = questionMark === -1 ? rest : rest.slice(0, questionMark);
  const query = questionMark === -1 ? undefined : rest.slice(questionMark + 1);
  const paths = pathVariants(path, query);
  const expressions: string[] = [];
  for (const h of hostVariants(host)) for (const p of paths) expressions.push(h + p);
  return expressions;
}

/**
 * The most specific expression of an already canonical URL (`urlExpressions(url)[0]`) without
 * building the others: the URL less its scheme, and less a `?` with an empty query.
 */
export function mostSpecificExpression(canonicalUrl: string): string {
  const start = canonicalUrl.indexOf('://') + 3;
  const end = canonicalUrl.indexOf('?') === canonicalUrl.length - 1 ? canonicalUrl.length - 1 : canonicalUrl.length;
  return canonicalUrl.slice(start, end);
}

/**
 * Whether a broader expression of a URL (its most specific expression `exact`) may answer for
 * it. Every one may except a host's root page (`host/`, with or without a query) that is not
 * the URL's own page: as a prefix of every page on the host and its subdomains, it would make
 * the verdict on one page the verdict on the whole host. A root page convicted on a
 * compromised or shared site is common (the page a lure or a download linked to); a whole host
 * is convicted through its domain record, which needs evidence about the host. A root answers
 * for itself with any query (per-recipient tokens).
 */
export function expressionAnswersFor(expression: string, exact: string): boolean {
  const slash = expression.indexOf('/');
  if (slash + 1 < expression.length && expression.charCodeAt(slash + 1) !== 63) return true;
  const root = expression.slice(0, slash + 1);
  return exact.startsWith(root) && (exact.length === root.length || exact.charCodeAt(root.length) === 63);
}
