import { domainToASCII } from 'node:url';
import { getDomain } from 'tldts';
import { IndicatorError } from './indicator-error.ts';
import { endsInANumber } from './ipv4.ts';

const MAX_DOMAIN_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

// LDH plus underscore: underscores are common in real names (_dmarc, SRV owners, some CDNs).
const LABEL_CHAR = new Uint8Array(128);
for (let c = 48; c <= 57; c++) LABEL_CHAR[c] = 1;
for (let c = 97; c <= 122; c++) LABEL_CHAR[c] = 1;
LABEL_CHAR[45] = 1;
LABEL_CHAR[95] = 1;

function invalid(raw: string, problem: string, kind: 'domain' | 'email' = 'domain'): IndicatorError {
  return new IndicatorError(kind === 'domain' ? 'REPUTE_INDICATOR_INVALID_DOMAIN' : 'REPUTE_INDICATOR_INVALID_EMAIL', problem, raw, { kind });
}

/** @internal Canonicalises a domain, reporting problems against `raw` as `kind`. */
export function canonicalDomain(raw: string, text: string, kind: 'domain' | 'email'): string {
  let name = text;
  if (name.length > 1024) throw new IndicatorError('REPUTE_INDICATOR_TOO_LONG', 'domain name is too long', raw, { kind });
  if (name.charCodeAt(name.length - 1) === 46) name = name.slice(0, -1);
  if (name.length === 0) throw invalid(raw, 'domain name is empty', kind);
  let ascii = true;
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    name = name.toLowerCase();
  } else {
    const converted = domainToASCII(name);
    if (converted.length === 0) throw invalid(raw, 'domain name is not a valid internationalised name', kind);
    name = converted.charCodeAt(converted.length - 1) === 46 ? converted.slice(0, -1) : converted;
  }
  if (name.length > MAX_DOMAIN_LENGTH) throw invalid(raw, `domain name is longer than ${MAX_DOMAIN_LENGTH} characters`, kind);
  let labelStart = 0;
  for (let i = 0; i <= name.length; i++) {
    const c = i === name.length ? 46 : name.charCodeAt(i);
    if (c === 46) {
      const labelLength = i - labelStart;
      if (labelLength === 0) throw invalid(raw, 'domain name has an empty label', kind);
      if (labelLength > MAX_LABEL_LENGTH) throw invalid(raw, `domain label is longer than ${MAX_LABEL_LENGTH} characters`, kind);
      labelStart = i + 1;
    } else if (c >= 128 || LABEL_CHAR[c] !== 1) {
      throw invalid(raw, 'domain name has a character other than letters, digits, hyphen and underscore', kind);
    }
  }
  // A name whose last label is numeric is read as an IPv4 address by every browser.
  if (endsInANumber(name)) throw invalid(raw, 'domain name ends in a number (an IP address is an ip indicator)', kind);
  return name;
}

/**
 * Canonicalises a domain name: trimmed, one trailing dot dropped, lower-cased, IDN converted
 * to Punycode (UTS #46 as browsers do), labels of 1-63 letters, digits, hyphens or
 * underscores, at most 253 characters, the last label not numeric.
 * @throws {IndicatorError} `REPUTE_INDICATOR_INVALID_DOMAIN` or `REPUTE_INDICATOR_TOO_LONG`.
 */
export function canonicalizeDomain(raw: string): string {
  if (typeof raw !== 'string') throw invalid(String(raw), 'domain name is not a string');
  return canonicalDomain(raw, raw.trim(), 'domain');
}

/**
 * The registrable domain (public suffix + one label) of a domain, by the Public Suffix List
 * including its private section: `evil.github.io` stays `evil.github.io` because github.io,
 * blogspot.com, duckdns.org and the like hand out names to unrelated owners, and reputation
 * must not spill from one tenant of such a suffix to all of them. Null for a public suffix
 * itself and for IP addresses.
 * @throws {IndicatorError} `REPUTE_INDICATOR_INVALID_DOMAIN` when it is not a domain name.
 */
export function registrableDomain(domain: string): string | null {
  if (typeof domain !== 'string') throw invalid(String(domain), 'domain name is not a string');
  const text = domain.trim();
  if (text.includes(':') || text.startsWith('[') || endsInANumber(text)) return null;
  const name = canonicalDomain(domain, text, 'domain');
  return getDomain(name, { allowPrivateDomains: true, extractHostname: false, validateHostname: false, detectIp: false });
}
