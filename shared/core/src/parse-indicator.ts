import { IndicatorError } from './indicator-error.ts';
import { parseCidr } from './cidr.ts';
import { canonicalizeUrl } from './canonicalize-url.ts';
import { canonicalizeDomain } from './domain.ts';
import { canonicalizeEmail } from './email.ts';
import type { HashAlgorithm } from './file-hash.ts';
import { parseFileHash } from './file-hash.ts';
import type { IndicatorKind } from './indicator-kind.ts';
import { parseIp } from './ip.ts';
import { aliasKey, recordKey, sha256, uncheckedRecordKey, unknownKind } from './keys.ts';
import { mostSpecificExpression } from './url-expressions.ts';

/** A canonical indicator with its record digest and key. */
export interface Indicator {
  kind: IndicatorKind;
  /** The canonical value: lower-case hex, canonical URL, domain, IP or CIDR, e-mail. */
  value: string;
  /** 32 bytes: the SHA-256 itself for files, else SHA-256 per the key rules. */
  digest: Buffer;
  /** `rep:<kind>:<hex>`, or `rep:alias:<md5|sha1>:<hex>` for MD5/SHA-1. */
  key: string;
  hashAlgorithm?: HashAlgorithm;
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const DOTTED_QUAD = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/**
 * An IP indicator (or a CIDR block's address) is IPv6 text or four decimal octets: the
 * shorthand, octal and hex forms a URL host may take (`010.0.0.1` is 8.0.0.1 there, `1.2.3` is
 * 1.2.0.3) would silently answer for another address. URL hosts keep the WHATWG rules (parseIp).
 * @throws {IndicatorError} `REPUTE_INDICATOR_INVALID_IP`.
 */
export function assertIpIndicator(raw: string): void {
  const address = typeof raw === 'string' ? raw.trim().split('/', 1)[0]! : '';
  if (!address.includes(':') && !address.startsWith('[') && !DOTTED_QUAD.test(address)) {
    throw new IndicatorError('REPUTE_INDICATOR_INVALID_IP', 'IPv4 addresses are four decimal octets 0-255 without leading zeros (no shorthand, octal or hex)', raw, { kind: 'ip' });
  }
}

/**
 * Parses and canonicalises a raw indicator of a kind. A `url` is keyed by its most specific
 * Safe Browsing expression; an `ip` may be a CIDR block (`198.51.100.0/24`), whose value is
 * the normalised block (a full-length block is the plain address).
 * @throws {IndicatorError} with the kind's `REPUTE_INDICATOR_*` code.
 */
export function parseIndicator(kind: IndicatorKind, raw: string): Indicator {
  switch (kind) {
    case 'file': {
      const { algorithm, hex } = parseFileHash(raw);
      if (algorithm === 'sha256') {
        const digest = Buffer.from(hex, 'hex');
        // parseFileHash has checked the hex: the key needs no second check.
        return { kind, value: hex, digest, key: uncheckedRecordKey(kind, hex), hashAlgorithm: algorithm };
      }
      return { kind, value: hex, digest: sha256(`${algorithm}:${hex}`), key: aliasKey(algorithm, hex), hashAlgorithm: algorithm };
    }
    case 'url': {
      const value = canonicalizeUrl(raw);
      const digest = sha256(mostSpecificExpression(value));
      return { kind, value, digest, key: recordKey(kind, digest) };
    }
    case 'ip': {
      assertIpIndicator(raw);
      let value: string;
      if (typeof raw === 'string' && raw.includes('/')) {
        const block = parseCidr(raw);
        value = block.prefix === (block.version === 4 ? 32 : 128) ? block.network : block.cidr;
      } else {
        value = parseIp(raw).address;
      }
      const digest = sha256(value);
      return { kind, value, digest, key: recordKey(kind, digest) };
    }
    case 'domain': {
      const value = canonicalizeDomain(raw);
      const digest = sha256(value);
      return { kind, value, digest, key: recordKey(kind, digest) };
    }
    case 'email': {
      const value = canonicalizeEmail(raw);
      const digest = sha256(value);
      return { kind, value, digest, key: recordKey(kind, digest) };
    }
    default:
      throw unknownKind(kind);
  }
}
