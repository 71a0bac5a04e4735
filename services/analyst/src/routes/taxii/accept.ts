/** The TAXII version this server speaks; an Accept naming another one is answered 406. */
export const TAXII_VERSION = '2.1';

/** Media ranges this server answers besides TAXII itself: plain JSON clients and wildcards. */
const LENIENT = new Set(['application/json', 'application/*', '*/*']);

/**
 * Does an Accept header admit a TAXII 2.1 answer? TAXII 2.1 §1.6.8.1: `application/taxii+json`
 * without a version means the newest the server supports (2.1 here); with a version it must be
 * 2.1. A matching range with `q=0` refuses it. A missing header accepts anything (RFC 9110 §12.5.1).
 */
export function acceptsTaxii21(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const [type = '', ...parameters] = range.split(';').map((p) => p.trim());
    const params = new Map(parameters.map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? [p.toLowerCase(), ''] : [p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1')];
    }));
    const q = params.get('q');
    if (q !== undefined && !(Number(q) > 0)) return false;
    const media = type.toLowerCase();
    if (LENIENT.has(media)) return true;
    if (media !== 'application/taxii+json') return false;
    const version = params.get('version');
    return version === undefined || version === TAXII_VERSION;
  });
}
