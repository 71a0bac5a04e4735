import * as crypto from 'node:crypto';
import { parseFileHash } from './file-hash.ts';
import type { HashAlgorithm } from './file-hash.ts';
import { IndicatorError } from './indicator-error.ts';
import type { IndicatorKind } from './indicator-kind.ts';
import { isIndicatorKind } from './indicator-kind.ts';
import { canonicalizeUrl } from './canonicalize-url.ts';
import { mostSpecificExpression } from './url-expressions.ts';

const URL_WITH_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//;
const HEX64 = /^[0-9a-f]{64}$/;

// One-shot `crypto.hash` (Node 20.12+) digests a short string 1.5-2x as fast as `createHash`
// (Node 24, the 2-core box, both in one process: 366k/s against 182k/s; see README). The
// correlator keys every indicator it sees, so the fast path is kept where it exists, and
// `createHash` lets the SDK run on every Node 20. Read off the namespace: a named import of
// `hash` would fail to link on Node before 20.12.
const oneShot = typeof crypto.hash === 'function' ? crypto.hash : undefined;

/** SHA-256 of a UTF-8 string. */
export function sha256(text: string): Buffer {
  return oneShot !== undefined ? oneShot('sha256', text, 'buffer') : crypto.createHash('sha256').update(text).digest();
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

// Every record and alias key starts with this; the store's own keys sit beside them under
// `rep:` too, but only record and alias keys travel without the deployment prefix.
const NAMESPACE = 'rep:';

/** Start of every alias key: what a SCAN for aliases matches and what tells an alias key apart. */
export const ALIAS_KEY_PREFIX = `${NAMESPACE}alias:`;

/** The one spelling of a record key, from a digest's lowercase hex. */
const keyOf = (kind: string, hex: string): string => `${NAMESPACE}${kind}:${hex}`;

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
 * The key of a record whose digest the store itself handed out (a digest index member, an
 * alias's target, a stored graph row), spelled as {@link recordKey} spells it but without its
 * checks: a damaged value then names a key that holds nothing, instead of failing every other
 * key of the same read. Values from outside go through {@link recordKey}.
 */
export function uncheckedRecordKey(kind: string, hex: string): string {
  return keyOf(kind, hex);
}

/** Start of every record key of a kind, `rep:<kind>:`: what a SCAN of one kind matches. */
export function recordKeyPrefix(kind: IndicatorKind): string {
  return keyOf(kind, '');
}

/** True for record and alias keys (as the update stream names them, without the deployment prefix). */
export function isReputationKey(key: string): boolean {
  return key.startsWith(NAMESPACE);
}

/** True for an alias key (its value is the SHA-256 hex it resolves to, not a record). */
export function isAliasKey(key: string): boolean {
  return key.startsWith(ALIAS_KEY_PREFIX);
}

/** The MD5 or SHA-1 hex an alias key names (`rep:alias:md5:<hex>` → `<hex>`), undefined for other keys. */
export function aliasKeyHex(key: string): string | undefined {
  return isAliasKey(key) ? key.slice(ALIAS_KEY_PREFIX.length).split(':')[1] : undefined;
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
  return `${ALIAS_KEY_PREFIX}${algorithm}:${parsed.hex}`;
}
