import { domainToASCII } from 'node:url';
import { IndicatorError } from './indicator-error.ts';
import { endsInANumber, formatIpv4, parseIpv4 } from './ipv4.ts';
import { embeddedIpv4, formatIpv6, parseIpv6 } from './ipv6.ts';
import { escapeBytes, isAscii, lowerAscii, toBinary, unescapeFully } from './url-bytes.ts';

/**
 * Longest URL accepted, in UTF-16 code units, as input and as canonical form (real feed URLs
 * stay below 8 KiB). Escaping makes the canonical form up to nine times longer than its input;
 * bounding both keeps every canonical URL acceptable again, so a stored URL can be looked up
 * from its canonical value.
 */
export const MAX_URL_LENGTH = 16384;

// Schemes a browser reads as hierarchical even without `//` (`http:evil.example`).
const SPECIAL_SCHEMES = new Set(['http', 'https', 'ftp', 'ws', 'wss']);

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function invalid(raw: string, problem: string): IndicatorError {
  return new IndicatorError('REPUTE_INDICATOR_INVALID_URL', problem, raw, { kind: 'url' });
}

function tooLong(raw: string, problem: string): IndicatorError {
  return new IndicatorError('REPUTE_INDICATOR_TOO_LONG', problem, raw, { kind: 'url' });
}

function isSchemeChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
}

function isSlash(c: number): boolean {
  return c === 47 || c === 92;
}

// Removes the tab, CR and LF characters a URL may carry unescaped (step 1).
function stripTabsAndNewlines(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 9 || c === 10 || c === 13) return text.replace(/[\t\n\r]/g, '');
  }
  return text;
}

// Unicode White_Space is all in the BMP, so one UTF-16 unit tests one character.
const WHITE_SPACE = /^\p{White_Space}$/u;

// C0 controls and space (as the WHATWG URL parser trims) and any other Unicode White_Space
// (NBSP, NEL, U+2000-U+200A, U+3000, ...), which copied and fed URLs carry around them.
function isTrimmed(c: number): boolean {
  return c <= 0x20 || (c >= 0x80 && WHITE_SPACE.test(String.fromCharCode(c)));
}

function trimSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isTrimmed(text.charCodeAt(start))) start++;
  while (end > start && isTrimmed(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

interface AuthorityStart {
  scheme: string;
  /** Index of the first character of the authority. */
  pos: number;
}

// Reads the scheme and where the authority begins, or says why the text is no web URL.
function authorityStart(text: string): AuthorityStart | string {
  const length = text.length;
  let c = text.charCodeAt(0);
  if ((c | 0x20) >= 97 && (c | 0x20) <= 122) {
    let i = 1;
    while (i < length && isSchemeChar(text.charCodeAt(i))) i++;
    if (i < length && text.charCodeAt(i) === 58) {
      const candidate = lowerAscii(text.slice(0, i));
      if (SPECIAL_SCHEMES.has(candidate)) {
        let pos = i + 1;
        while (pos < length && isSlash(text.charCodeAt(pos))) pos++;
        return { scheme: candidate, pos };
      }
      // Other schemes need `//` and an authority right after it (`file:///` has none).
      if (text.charCodeAt(i + 1) === 47 && text.charCodeAt(i + 2) === 47) return { scheme: candidate, pos: i + 3 };
      // `host:port` without a scheme; anything else (`mailto:`, `javascript:`) is no web URL.
      let j = i + 1;
      while (j < length && (c = text.charCodeAt(j)) >= 48 && c <= 57) j++;
      if (j < length && !isSlash(c) && c !== 63) return `URL scheme "${candidate.slice(0, 20)}" is not a web scheme`;
    }
  } else if (isSlash(c)) {
    if (!isSlash(text.charCodeAt(1))) return 'URL is a path without a host';
    let pos = 2;
    while (pos < length && isSlash(text.charCodeAt(pos))) pos++;
    return { scheme: 'http', pos };
  }
  return { scheme: 'http', pos: 0 };
}

// Where the authority that begins at pos ends: a slash, backslash or `?` (the fragment is gone).
function endOfAuthority(text: string, pos: number): number {
  let end = pos;
  let c: number;
  while (end < text.length && (c = text.charCodeAt(end)) !== 47 && c !== 92 && c !== 63) end++;
  return end;
}

// Drops the user-info where a browser finds it: up to the last `@` of the authority as read
// before unescaping. Unescaping first would let `http://x%5C@evil.example/` end its authority
// at the backslash and send the lookup to `x`, while the browser connects to evil.example.
// Null when nothing follows the `@`: the host is empty (cut, `http://@/x` would read as
// `http:///x`, whose host is `x`).
function dropUserinfo(text: string): string | null {
  if (!text.includes('@')) return text;
  const start = authorityStart(text);
  if (typeof start === 'string') return text;
  const end = endOfAuthority(text, start.pos);
  const at = text.lastIndexOf('@', end - 1);
  if (at < start.pos) return text;
  return at === end - 1 ? null : text.slice(0, start.pos) + text.slice(at + 1);
}

// Strips leading and trailing dots and collapses runs of dots (step 4.1, 4.2).
function tidyDots(host: string): string {
  if (host.charCodeAt(0) !== 46 && host.charCodeAt(host.length - 1) !== 46 && !host.includes('..')) return host;
  return host.split('.').filter((label) => label.length > 0).join('.');
}

/** What a host name's labels hold once in Punycode. */
const HOST_NAME_TEXT = /^[A-Za-z0-9_.-]*$/;

// IDN to Punycode label by label, so that a label that is not a valid IDN (it stays escaped)
// does not stop its neighbours from converting, and every host suffix canonicalises alone.
function hostToAscii(host: string): string {
  const labels = host.split('.');
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (isAscii(label)) continue;
    let text: string;
    try {
      text = UTF8.decode(Buffer.from(label, 'latin1'));
    } catch {
      continue;
    }
    // The extra label keeps the host parser from reading a numeric label (fullwidth digits)
    // as a whole IPv4 address; the IPv4 decision is made later on the whole host.
    const ascii = domainToASCII(`${text}.a`);
    if (!ascii.endsWith('.a')) continue;
    // Mapping may also turn a letter into ASCII punctuation no host name holds (U+037E into
    // `;`): such a label stays escaped, as one that is no IDN does, so that the canonical form
    // is admitted by the API again. Punctuation the sender wrote as such is left as browsers
    // leave it.
    if (!HOST_NAME_TEXT.test(ascii) && [...ascii].some((c) => !HOST_NAME_TEXT.test(c) && !text.includes(c))) continue;
    labels[i] = ascii.slice(0, -2);
  }
  return tidyDots(labels.join('.'));
}

function canonicalHost(raw: string, host: string): string {
  if (host.charCodeAt(0) === 91) {
    if (host.charCodeAt(host.length - 1) !== 93) throw invalid(raw, 'URL host has an unclosed bracket');
    let inner = host.slice(1, -1);
    const zone = inner.indexOf('%');
    if (zone !== -1) inner = inner.slice(0, zone);
    const pieces = parseIpv6(inner);
    if (pieces === null) throw invalid(raw, 'URL host is not a valid IPv6 address');
    const v4 = embeddedIpv4(pieces);
    return v4 >= 0 ? formatIpv4(v4) : `[${formatIpv6(pieces)}]`;
  }
  // Brackets belong to IPv6 literals only (as in browsers); `.[` would otherwise tidy into a
  // host that reads back as an unclosed literal.
  if (host.includes('[') || host.includes(']')) throw invalid(raw, 'URL host has a bracket outside an IPv6 literal');
  let name = tidyDots(host);
  if (!isAscii(name)) name = hostToAscii(name);
  name = lowerAscii(name);
  // The Windows resolver reads a dotted-quad followed by a space and anything, up to 15
  // characters in all, as that address; Google's client does the same so the junk cannot
  // hide the IP (google/webrisk#3).
  if (name.length <= 15 && name.includes(' ')) {
    const quad = /^(?:[0-9]{1,3}\.){3}[0-9]{1,3} /.exec(name);
    if (quad !== null) name = quad[0].trimEnd();
  }
  if (name.length === 0) throw invalid(raw, 'URL has an empty host');
  if (endsInANumber(name)) {
    const v4 = parseIpv4(name);
    if (v4 < 0) throw invalid(raw, 'URL host ends in a number but is not a valid IPv4 address');
    return formatIpv4(v4);
  }
  return escapeBytes(name);
}

// Resolves `.` and `..` segments and collapses runs of slashes (step 5); a trailing `.` or
// `..` leaves a directory, as `http://www.google.com/blah/..` → `http://www.google.com/` says.
function canonicalPath(path: string): string {
  if (path.length === 0) return '/';
  if (!path.includes('//') && !path.includes('/.')) return path;
  const segments = path.split('/');
  const out: string[] = [];
  let directory = false;
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    directory = true;
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      out.pop();
      continue;
    }
    out.push(segment);
    directory = false;
  }
  if (out.length === 0) return '/';
  return directory ? `/${out.join('/')}/` : `/${out.join('/')}`;
}

/**
 * Canonicalises a URL by the Safe Browsing rules (v4 "URLs and Hashing", with the v5 IPv6
 * host rules): tab/CR/LF removed, fragment removed, percent-unescaped until stable, host
 * dots tidied, IPv4 in any browser form normalised to dotted-quad, IPv6 to RFC 5952 (mapped
 * and NAT64 to IPv4), IDN to Punycode, lower-cased; userinfo (up to the authority's last `@`
 * as a browser reads it, before unescaping) and port dropped; path `.`/`..` resolved and
 * slashes collapsed; bytes <= 0x20, >= 0x7f, `#` and `%` escaped in upper-case hex. Unicode
 * whitespace around the URL is trimmed. A URL without a scheme gets `http://`; backslashes
 * before the query act as slashes, as in browsers. Input and result are at most
 * {@link MAX_URL_LENGTH} long, so every result is accepted again, unchanged.
 * @throws {IndicatorError} `REPUTE_INDICATOR_INVALID_URL` or `REPUTE_INDICATOR_TOO_LONG`.
 */
export function canonicalizeUrl(url: string): string {
  if (typeof url !== 'string') throw invalid(String(url), 'URL is not a string');
  if (url.length > MAX_URL_LENGTH) throw tooLong(url, `URL is longer than ${MAX_URL_LENGTH} characters`);
  let text = stripTabsAndNewlines(url);
  const hash = text.indexOf('#');
  if (hash !== -1) text = text.slice(0, hash);
  text = trimSpace(text);
  if (text.length === 0) throw invalid(url, 'URL is empty');
  const hostward = dropUserinfo(toBinary(text));
  if (hostward === null) throw invalid(url, 'URL has an empty host');
  text = unescapeFully(hostward);

  const start = authorityStart(text);
  if (typeof start === 'string') throw invalid(url, start);
  const { scheme, pos } = start;
  const authorityEnd = endOfAuthority(text, pos);
  const at = text.lastIndexOf('@', authorityEnd - 1);
  const hostStart = at >= pos ? at + 1 : pos;
  let hostEnd = authorityEnd;
  if (text.charCodeAt(hostStart) === 91) {
    const close = text.indexOf(']', hostStart);
    if (close === -1 || close >= authorityEnd) throw invalid(url, 'URL host has an unclosed bracket');
    hostEnd = close + 1;
  } else {
    const colon = text.indexOf(':', hostStart);
    if (colon !== -1 && colon < authorityEnd) hostEnd = colon;
  }
  if (hostEnd < authorityEnd) {
    if (text.charCodeAt(hostEnd) !== 58) throw invalid(url, 'URL has text after its IPv6 host');
    const port = text.slice(hostEnd + 1, authorityEnd);
    if (!/^[0-9]*$/.test(port) || (port.length > 0 && Number(port) > 65535)) throw invalid(url, 'URL port is not a number from 0 to 65535');
  }
  if (hostEnd === hostStart) throw invalid(url, 'URL has an empty host');
  const host = canonicalHost(url, text.slice(hostStart, hostEnd));

  let path: string;
  let query: string | undefined;
  const questionMark = text.indexOf('?', authorityEnd);
  if (questionMark === -1) {
    path = text.slice(authorityEnd);
  } else {
    path = text.slice(authorityEnd, questionMark);
    query = text.slice(questionMark + 1);
  }
  if (path.includes('\\')) path = path.replace(/\\/g, '/');
  path = escapeBytes(canonicalPath(path));
  const tail = query === undefined ? path : `${path}?${escapeBytes(query)}`;
  const canonical = `${scheme}://${host}${tail}`;
  if (canonical.length > MAX_URL_LENGTH) throw tooLong(url, `URL is longer than ${MAX_URL_LENGTH} characters once escaped`);
  return canonical;
}
