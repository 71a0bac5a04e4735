import type { IndicatorKind } from './indicator-kind.ts';

/**
 * The text an API request may give for an indicator of each kind, as one regular expression
 * per kind: the OpenAPI document publishes these patterns and the API enforces them, so that
 * what the document calls valid is exactly what is accepted. Each pattern is a subset of what
 * the kind's canonicaliser accepts (a property test holds every match to parsing), in the
 * syntax ECMAScript and Python read alike (no lookaround, no `\d`, no flags).
 *
 * The API takes indicators in their plain ASCII form: URLs as RFC 3986 text (non-ASCII
 * percent-encoded, IDN hosts in Punycode), domains as A-labels. Telemetry keeps taking raw
 * text as sensors see it (Unicode, whitespace, browser leniency); the canonical form of
 * anything stored matches these patterns again, so whatever is stored can be looked up.
 */
export interface IndicatorSyntax {
  /** An anchored regular expression. */
  pattern: string;
  /** Longest accepted text, in characters. */
  maxLength: number;
  /** What the pattern admits, for the document and for error messages. */
  description: string;
}

const HEX = '[0-9A-Fa-f]';
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
const H16 = `${HEX}{1,4}`;
// RFC 4291 text forms without an embedded IPv4 tail (an IPv4-mapped address is an IPv4 one).
const IPV6 = [
  `(?:${H16}:){7}${H16}`,
  `(?:${H16}:){1,7}:`,
  `(?:${H16}:){1,6}:${H16}`,
  `(?:${H16}:){1,5}(?::${H16}){1,2}`,
  `(?:${H16}:){1,4}(?::${H16}){1,3}`,
  `(?:${H16}:){1,3}(?::${H16}){1,4}`,
  `(?:${H16}:){1,2}(?::${H16}){1,5}`,
  `${H16}:(?::${H16}){1,6}`,
  `:(?:(?::${H16}){1,7}|:)`,
].map((form) => `(?:${form})`).join('|');
const IPV4_PREFIX = '(?:3[0-2]|[12]?[0-9])';
const IPV6_PREFIX = '(?:12[0-8]|1[01][0-9]|[1-9]?[0-9])';

// Labels of letters, digits, hyphens and underscores; the last starts with a letter, so that
// the name never ends in a number (that would be an IP address).
const LABEL = '[A-Za-z0-9_-]{1,63}';
const LAST_LABEL = '[A-Za-z][A-Za-z0-9_-]{0,62}';
const DOMAIN = `(?:${LABEL}\\.)*${LAST_LABEL}`;

// RFC 5322 dot-atom local part, at most 64 characters (three atoms of up to 21).
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,21}";
const ATOM_NO_PERCENT = "[A-Za-z0-9!#$&'*+/=?^_`{|}~-]{1,21}";

// A URL: an optional scheme with `//`, a host (name, dotted-quad or bracketed IPv6), an
// optional port up to 65535, then a path or query of printable ASCII with `%` only as an
// escape, then an optional fragment (dropped by canonicalisation, so any printable text).
const SCHEME = '(?:[A-Za-z][A-Za-z0-9+.-]*://)?';
const hostOf = (char: string): string => `(?:(?:${char}+\\.)*[A-Za-z]${char}*\\.?|${IPV4}|\\[(?:${IPV6})\\])`;
// A URL host label may carry escaped non-ASCII bytes: the canonical form of a label that is
// no valid IDN keeps its UTF-8 escaped, and what is stored must be looked up.
const URL_HOST = hostOf(`(?:[A-Za-z0-9_-]|%[89A-Fa-f]${HEX})`);
const ASCII_HOST = hostOf('[A-Za-z0-9_-]');
const PORT = '(?::(?:[0-9]{1,4}|[0-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?';
const URL_CHAR = `(?:[!"$&-~]|%${HEX}{2})`;
const url = (host: string, char: string, fragmentChar: string): string => `${SCHEME}${host}${PORT}(?:[/?]${char}*)?(?:#${fragmentChar}*)?`;

/**
 * Longest URL the API takes, as the contract states; a GET carrying one, every character
 * percent-encoded UTF-8, fits the server's header limit. Canonicalising API text adds at most
 * `http://` and a `/`, within MAX_URL_LENGTH. Longer URLs (telemetry keeps up to
 * MAX_URL_LENGTH) are looked up through the batch.
 */
export const MAX_API_URL_LENGTH = 4096;

export const INDICATOR_SYNTAX: Readonly<Record<IndicatorKind, IndicatorSyntax>> = {
  file: {
    pattern: `^(?:${HEX}{32}|${HEX}{40}|${HEX}{64})$`,
    maxLength: 64,
    description: 'MD5, SHA-1 or SHA-256 as hex',
  },
  url: {
    pattern: `^${url(URL_HOST, URL_CHAR, '[!-~]')}$`,
    maxLength: MAX_API_URL_LENGTH,
    description: 'a URL in RFC 3986 text (non-ASCII percent-encoded, IDN hosts in Punycode), scheme optional',
  },
  domain: {
    pattern: `^${DOMAIN}\\.?$`,
    maxLength: 253,
    description: 'a domain name in ASCII (IDN as Punycode A-labels): labels of 1-63 letters, digits, hyphens or underscores, the last starting with a letter',
  },
  ip: {
    pattern: `^(?:${IPV4}(?:/${IPV4_PREFIX})?|(?:${IPV6})(?:/${IPV6_PREFIX})?)$`,
    maxLength: 43,
    description: 'an IPv4 address as four decimal octets or an IPv6 address, optionally a CIDR block',
  },
  email: {
    pattern: `^${ATOM}(?:\\.${ATOM}){0,2}@${DOMAIN}$`,
    maxLength: 254,
    description: 'an e-mail address: a dot-atom local part of at most 64 characters, @, an ASCII domain',
  },
};

/**
 * The syntax of a kind's text in a path segment, as the document states it: without `%`.
 * A path segment is percent-decoded once before the route sees it, so a client sends an
 * escape inside a URL or an address as `%25`; the document leaves escapes out because
 * generic clients (and fuzzers) cannot tell a literal `%` from an encoding they should undo.
 * The routes still accept a decoded escape (INDICATOR_SYNTAX).
 */
export const PATH_SYNTAX: Readonly<Record<IndicatorKind, IndicatorSyntax>> = {
  ...INDICATOR_SYNTAX,
  url: { ...INDICATOR_SYNTAX.url, pattern: `^${url(ASCII_HOST, '[!"$&-~]', '[!-$&-~]')}$`, description: `${INDICATOR_SYNTAX.url.description}; in a path, send % as %25` },
  email: { ...INDICATOR_SYNTAX.email, pattern: `^${ATOM_NO_PERCENT}(?:\\.${ATOM_NO_PERCENT}){0,2}@${DOMAIN}$`, description: `${INDICATOR_SYNTAX.email.description}; in a path, send % as %25` },
};

/**
 * An absolute http(s) URL without credentials, as a webhook target is given: the same host and
 * port rules, then any printable ASCII.
 */
export const HTTP_URL_SYNTAX: IndicatorSyntax = {
  pattern: `^[Hh][Tt][Tt][Pp][Ss]?://${ASCII_HOST}${PORT}(?:[/?#][!-~]*)?$`,
  maxLength: 2048,
  description: 'an absolute http or https URL in ASCII, without credentials',
};

/** A single IP address (no CIDR block), as the lookup of one address takes it. */
export const IP_ADDRESS_SYNTAX: IndicatorSyntax = {
  pattern: `^(?:${IPV4}|${IPV6})$`,
  maxLength: 39,
  description: 'an IPv4 address as four decimal octets or an IPv6 address',
};

const COMPILED = new Map<IndicatorSyntax, RegExp>();

/**
 * Why `value` is not API text for the syntax, or null when it is.
 */
export function syntaxProblem(syntax: IndicatorSyntax, value: string): string | null {
  if (value.length > syntax.maxLength) return `must be at most ${syntax.maxLength} characters`;
  let re = COMPILED.get(syntax);
  if (re === undefined) COMPILED.set(syntax, (re = new RegExp(syntax.pattern)));
  return re.test(value) ? null : `must be ${syntax.description}`;
}

/** Why `value` is not API text for an indicator of `kind`, or null when it is. */
export function indicatorSyntaxProblem(kind: IndicatorKind, value: string): string | null {
  return syntaxProblem(INDICATOR_SYNTAX[kind], value);
}

/** The JSON Schema of a text in the syntax, for route schemas and the OpenAPI document. */
export function syntaxSchema(syntax: IndicatorSyntax): { type: 'string'; minLength: 1; maxLength: number; pattern: string; description: string } {
  return { type: 'string', minLength: 1, maxLength: syntax.maxLength, pattern: syntax.pattern, description: `${syntax.description[0]!.toUpperCase()}${syntax.description.slice(1)}.` };
}
