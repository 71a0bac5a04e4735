import { IndicatorError } from './indicator-error.ts';

/** A file hash algorithm Repute accepts. */
export type HashAlgorithm = 'md5' | 'sha1' | 'sha256';

/** A parsed file hash: the algorithm told by its length and the lower-case hex. */
export interface FileHash {
  algorithm: HashAlgorithm;
  hex: string;
}

const BY_LENGTH: Record<number, HashAlgorithm> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

/**
 * Parses an MD5, SHA-1 or SHA-256 hex digest in any case, tolerating surrounding whitespace.
 * @throws {IndicatorError} `REPUTE_INDICATOR_INVALID_HASH` for anything else.
 */
export function parseFileHash(raw: string): FileHash {
  if (typeof raw !== 'string') throw new IndicatorError('REPUTE_INDICATOR_INVALID_HASH', 'file hash is not a string', String(raw), { kind: 'file' });
  const text = raw.trim();
  const algorithm = BY_LENGTH[text.length];
  if (algorithm === undefined) {
    throw new IndicatorError('REPUTE_INDICATOR_INVALID_HASH', 'file hash must be 32 (MD5), 40 (SHA-1) or 64 (SHA-256) hex digits', raw, { kind: 'file' });
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const hex = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
    if (!hex) throw new IndicatorError('REPUTE_INDICATOR_INVALID_HASH', 'file hash contains a character that is not a hex digit', raw, { kind: 'file' });
  }
  return { algorithm, hex: text.toLowerCase() };
}
