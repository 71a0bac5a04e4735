import { domainToASCII } from 'node:url';
import { IndicatorError } from './indicator-error.ts';
import { endsInANumber, formatIpv4, parseIpv4 } from './ipv4.ts';
import { embeddedIpv4, formatIpv6, parseIpv6 } from './ipv6.ts';
import { escapeBytes, isAscii, lowerAscii, toBinary, unescapeFully } from './url-bytes.ts';

/** Longest URL accepted, in UTF-16 code units (real feed URLs stay below 8 KiB). */
export const MAX_URL_LENGTH = 16384;

// Schemes a browser reads as hierarchical even without `//` (`http:evil.example`).
const SPECIAL_SCHEMES = new Set(['http', 'https', 'ftp', 'ws', 'wss']);

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function invalid(raw: string, problem: string): IndicatorError {
  return new IndicatorError('REPUTE_INDICATOR_INVALID_URL', problem, raw, { kind: 'url' });
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

// Trims C0 controls and space from both ends, as the WHATWG URL parser does.
function trimControls(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

// Strips leading and trailing dots and collapses runs of dots (step 4.1, 4.2).
function tidyDots(host: string): string {
  if (host.charCodeAt(0) !== 46 && host.charCodeAt(host.length - 1) !== 46 && !host.includes('..')) return host;
  return host.split('.').filter((label) => label.length > 0).join('.');
}

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
    if (ascii.endsWith('.a')) labels[i] = ascii.slice(0, -2);
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
 * and NAT64 to IPv4), IDN to Punycode, lower-cased; userinfo and port dropped; path `.`/`..`
 * resolved and slashes collapsed; bytes <= 0x20, >= 0x7f, `#` and `%` escaped in upper-case
 * hex. A URL without a scheme gets `http://`; backslashes before the query act as slashes, as
 * in browsers.
 * @throws {IndicatorError} `REPUTE_INDICATOR_INVALID_URL` or `REPUTE_INDICATOR_TOO_LONG`.
 */
export function canonicalizeUrl(url: string): string {
  if (typeof url !== 'string') throw invalid(String(url), 'URL is not a string');
  if (url.length > MAX_URL_LENGTH) {
    throw new IndicatorError('REPUTE_INDICATOR_TOO_LONG', `URL is longer than ${MAX_URL_LENGTH} characters`, url, { kind: 'url' });
  }
  let text = stripTabsAndNewlines(url);
  const hash = text.indexOf('#');
  if (hash !== -1) text = text.slice(0, hash);
  text = trimControls(text);
  if (text.length === 0) throw invalid(url, 'URL is empty');
  text = unescapeFully(toBinary(text));
  const length = text.length;

  let scheme = 'http';
  let pos = 0;
  let c = text.charCodeAt(0);
  if ((c | 0x20) >= 97 && (c | 0x20) <= 122) {
    let i = 1;
    while (i < length && isSchemeChar(text.charCodeAt(i))) i++;
    if (i < length && text.charCodeAt(i) === 58) {
      const candidate = lowerAscii(text.slice(0, i));
      const next = text.charCodeAt(i + 1);
      if (SPECIAL_SCHEMES.has(candidate)) {
        scheme = candidate;
        pos = i + 1;
        while (pos < length && isSlash(text.charCodeAt(pos))) pos++;
      } else if (next === 47 && text.charCodeAt(i + 2) === 47) {
        // Other schemes need `//` and an authority right after it (`file:///` has none).
        scheme = candidate;
        pos = i + 3;
      } else {
        // `host:port` without a scheme; anything else (`mailto:`, `javascript:`) is no web URL.
        let j = i + 1;
        while (j < length && (c = text.charCodeAt(j)) >= 48 && c <= 57) j++;
        if (j < length && !isSlash(c) && c !== 63) throw invalid(url, `URL scheme "${candidate.slice(0, 20)}" is not a web scheme`);
      }
    }
  } else if (isSlash(c)) {
    if (!isSlash(text.charCodeAt(1))) throw invalid(url, 'URL is a path without a host');
    while (pos < length && isSlash(text.charCodeAt(pos))) pos++;
  }

  let authorityEnd = pos;
  while (authorityEnd < length && (c = text.charCodeAt(authorityEnd)) !== 47 && c !== 92 && c !== 63) authorityEnd++;
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
  return `${scheme}://${host}${tail}`;
}
