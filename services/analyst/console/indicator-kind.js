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
