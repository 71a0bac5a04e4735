import { canonicalDomain } from './domain.ts';
import { IndicatorError } from './indicator-error.ts';
import { parseIp } from './ip.ts';

const MAX_EMAIL_LENGTH = 254; // RFC 5321 path limit less the angle brackets
const MAX_LOCAL_LENGTH = 64;

// RFC 5322 atext; non-ASCII is allowed in the local part by RFC 6531 (SMTPUTF8).
const ATEXT = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+$/;
// A quoted local part: printable ASCII, with backslash pairs.
const QUOTED = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e\u0080-\uFFFF]|\\[\x20-\x7e])*"$/;

function invalid(raw: string, problem: string): IndicatorError {
  return new IndicatorError('REPUTE_INDICATOR_INVALID_EMAIL', problem, raw, { kind: 'email' });
}

function validLocal(local: string): boolean {
  if (local.charCodeAt(0) === 34) return QUOTED.test(local);
  const atoms = local.split('.');
  for (const atom of atoms) if (atom.length === 0 || !ATEXT.test(atom)) return false;
  return true;
}

/**
 * Canonicalises an e-mail sender address: trimmed (and unwrapped from one pair of angle
 * brackets), the local part kept exactly (it may be case-sensitive), the domain
 * canonicalised as {@link canonicalizeDomain} (so IDN → Punycode) or an address literal
 * (`[192.0.2.1]`, `[IPv6:2001:db8::1]`) normalised. At most 254 characters, local part 64.
 * @throws {IndicatorError} `REPUTE_INDICATOR_INVALID_EMAIL` or `REPUTE_INDICATOR_TOO_LONG`.
 */
export function canonicalizeEmail(raw: string): string {
  if (typeof raw !== 'string') throw invalid(String(raw), 'e-mail address is not a string');
  let text = raw.trim();
  if (text.length > 1024) throw new IndicatorError('REPUTE_INDICATOR_TOO_LONG', 'e-mail address is too long', raw, { kind: 'email' });
  if (text.charCodeAt(0) === 60 && text.charCodeAt(text.length - 1) === 62) text = text.slice(1, -1).trim();
  const at = text.lastIndexOf('@');
  if (at <= 0) throw invalid(raw, at === 0 ? 'e-mail address has an empty local part' : 'e-mail address has no @');
  const local = text.slice(0, at);
  const domainText = text.slice(at + 1);
  if (Buffer.byteLength(local) > MAX_LOCAL_LENGTH) throw invalid(raw, `e-mail local part is longer than ${MAX_LOCAL_LENGTH} bytes`);
  if (!validLocal(local)) throw invalid(raw, 'e-mail local part has a character or dot placement RFC 5322 does not allow');
  let domain: string;
  if (domainText.charCodeAt(0) === 91) {
    if (domainText.charCodeAt(domainText.length - 1) !== 93) throw invalid(raw, 'e-mail address literal has no closing bracket');
    const literal = domainText.slice(1, -1);
    const v6 = /^ipv6:/i.test(literal);
    let ip;
    try {
      ip = parseIp(v6 ? literal.slice(5) : literal);
    } catch {
      throw invalid(raw, 'e-mail address literal is not an IP address');
    }
    if (!v6 && !/^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(literal)) throw invalid(raw, 'e-mail IPv4 literal must be dotted-quad');
    domain = ip.version === 4 ? `[${ip.address}]` : `[IPv6:${ip.address}]`;
  } else {
    domain = canonicalDomain(raw, domainText, 'email');
  }
  const address = `${local}@${domain}`;
  if (Buffer.byteLength(address) > MAX_EMAIL_LENGTH) throw invalid(raw, `e-mail address is longer than ${MAX_EMAIL_LENGTH} bytes`);
  return address;
}
