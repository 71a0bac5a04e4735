// @ts-check
// A search box takes any indicator; its kind is guessed from its shape, the way an analyst
// would read it. The API canonicalises and validates; this only picks the route.

/** @param {string} raw @returns {'file' | 'url' | 'domain' | 'ip' | 'email'} */
export function guessKind(raw) {
  const v = raw.trim();
  if (/^[0-9a-f]{32}$|^[0-9a-f]{40}$|^[0-9a-f]{64}$/i.test(v)) return 'file';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return 'url';
  if (/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(v) || (v.includes(':') && /^[0-9a-f:.]+(\/\d{1,3})?$/i.test(v.replace(/^\[|\]$/g, '')))) return 'ip';
  if (/^[^@\s]+@[^@\s]+$/.test(v)) return 'email';
  // A host with a path but no scheme is a URL as a gateway logs it.
  if (/^[^\s/]+\/\S*/.test(v)) return 'url';
  return 'domain';
}

/**
 * The text the API takes for what an analyst pasted: URLs as RFC 3986 text (an IDN host in
 * Punycode, anything else non-ASCII percent-encoded; the browser's own URL parser does it) and
 * domains as A-labels. Anything the parser refuses goes as typed, and the API says why.
 * @param {string} kind @param {string} raw @returns {string}
 */
export function apiText(kind, raw) {
  const v = raw.trim();
  if (!/[^\x21-\x7e]/.test(v)) return v;
  try {
    if (kind === 'url') return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `http://${v}`).href;
    if (kind === 'domain') return new URL(`http://${v}/`).hostname;
  } catch {
    // Not a URL the browser reads: the API names the problem.
  }
  return v;
}
