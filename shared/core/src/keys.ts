import { hash } from 'node:crypto';
import { parseFileHash } from './file-hash.ts';
import type { HashAlgorithm } from './file-hash.ts';
import { IndicatorError } from './indicator-error.ts';
import type { IndicatorKind } from './indicator-kind.ts';
import { isIndicatorKind } from './indicator-kind.ts';
import { canonicalizeUrl } from './canonicalize-url.ts';
import { mostSpecificExpression } from './url-expressions.ts';

const URL_WITH_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//;
const HEX64 = /^[0-9a-f]{64}$/;

/** SHA-256 of a UTF-8 string. */
export function sha256(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}

/**
 * The 32-byte digest a record is keyed by, from a canonical value. `file`: a SHA-256 is its
 * own digest; an MD5 or SHA-1 alias digests as sha256(`<md5|sha1>:<hex>`). `url`: sha256 of
 * the Safe Browsing expression; given a canonical URL (with scheme), its most specific
 * expression is used, given an expression (`host/path`), the expression itself. Other kinds:
 * sha256 of the value.
 * @throws {IndicatorError} when a file value is not a hash or a URL cannot be canonicalised.
 */
export function digestOf(kind: IndicatorKind, canonicalValue: string): Buffer {
  switch (kind) {
    case 'file': {
      const { algorithm, hex } = parseFileHash(canonicalValue);
      return algorithm === 'sha256' ? Buffer.from(hex, 'hex') : sha256(`${algorithm}:${hex}`);
    }
    case 'url':
      return sha256(URL_WITH_SCHEME.test(canonicalValue) ? mostSpecificExpression(canonicalizeUrl(canonicalValue)) : canonicalValue);
    case 'domain':
    case 'ip':
    case 'email':
      return sha256(canonicalValue);
    default:
      throw unknownKind(kind);
  }
}

/**
 * The digest (hex) and record key of a canonical value, each computed once: what a pipeline
 * keying many indicators needs (a SHA-256 file hash is its own digest, with no round trip
 * through bytes, and the key needs no check of a digest made here).
 * @throws {IndicatorError} as {@link digestOf} does.
 */
export function digestAndKey(kind: IndicatorKind, canonicalValue: string): { digest: string; key: string } {
  let digest: string;
  if (kind === 'file') {
    const { algorithm, hex } = parseFileHash(canonicalValue);
    digest = algorithm === 'sha256' ? hex : sha256(`${algorithm}:${hex}`).toString('hex');
  } else {
    digest = digestOf(kind, canonicalValue).toString('hex');
  }
  return { digest, key: keyOf(kind, digest) };
}

/** The one spelling of a record key, from a digest's lowercase hex. */
const keyOf = (kind: IndicatorKind, hex: string): string => `rep:${kind}:${hex}`;

/** @internal */
export function unknownKind(kind: unknown): IndicatorError {
  return new IndicatorError('REPUTE_INDICATOR_UNKNOWN_KIND', 'indicator kind must be file, url, domain, ip or email', String(kind));
}

/**
 * The Redis key of a record: `rep:<kind>:<64 hex>` from a 32-byte digest or its hex.
 * @throws {IndicatorError} `REPUTE_INDICATOR_INVALID_DIGEST` when the digest is not 32 bytes.
 */
export function recordKey(kind: IndicatorKind, digest: Buffer | string): string {
  if (!isIndicatorKind(kind)) throw unknownKind(kind);
  let hex: string;
  if (typeof digest === 'string') {
    hex = digest.toLowerCase();
    if (!HEX64.test(hex)) throw new IndicatorError('REPUTE_INDICATOR_INVALID_DIGEST', 'digest must be 64 hex digits', digest, { kind });
  } else {
    if (digest.length !== 32) throw new IndicatorError('REPUTE_INDICATOR_INVALID_DIGEST', 'digest must be 32 bytes', `${digest.length} bytes`, { kind });
    hex = digest.toString('hex');
  }
  return keyOf(kind, hex);
}

/**
 * The key of an MD5 or SHA-1 alias, holding the SHA-256 hex it resolves to:
 * `rep:alias:<md5|sha1>:<hex>`.
 * @throws {IndicatorError} `REPUTE_INDICATOR_INVALID_HASH` when the hex does not fit the algorithm.
 */
export function aliasKey(algorithm: Exclude<HashAlgorithm, 'sha256'>, hex: string): string {
  const parsed = parseFileHash(hex);
  if (parsed.algorithm !== algorithm || (algorithm !== 'md5' && algorithm !== 'sha1')) {
    throw new IndicatorError('REPUTE_INDICATOR_INVALID_HASH', `alias must be an MD5 or SHA-1 matching "${String(algorithm)}"`, hex, { kind: 'file' });
  }
  return `rep:alias:${algorithm}:${parsed.hex}`;
}
