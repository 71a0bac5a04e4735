import { verify, type KeyObject } from 'node:crypto';
import { DigestFilter, SNAPSHOT_FORMAT_VERSION, readSnapshot, snapshotBitBytes, snapshotContentHash, snapshotKindCode, snapshotWords, type LookupKind } from '@repute/core';
import { FilterVerificationError } from './client-error.ts';

/** A verified snapshot. */
export interface VerifiedSnapshot {
  kind: LookupKind;
  /** Update-stream position the snapshot covers: apply the updates after it. */
  position: string;
  filter: DigestFilter;
}

/**
 * Decodes a snapshot of `kind` and verifies it: the format, the kind (a validly signed snapshot
 * of another kind must not be swapped in), the header against its Ed25519 signature and the
 * bits against their hash. The layout is @repute/core's, the one the service writes.
 * @throws {FilterVerificationError} on any mismatch.
 */
export function verifySnapshot(bytes: Uint8Array, kind: LookupKind, publicKey: KeyObject): VerifiedSnapshot {
  const parts = readSnapshot(bytes);
  if (parts === null) throw new FilterVerificationError('REPUTE_CLIENT_SNAPSHOT_INVALID', 'not a filter snapshot');
  const { version, k, m } = parts;
  if (version !== SNAPSHOT_FORMAT_VERSION) throw new FilterVerificationError('REPUTE_CLIENT_SNAPSHOT_INVALID', `snapshot format ${version} is not supported`);
  if (parts.kindCode !== snapshotKindCode(kind)) throw new FilterVerificationError('REPUTE_CLIENT_SNAPSHOT_INVALID', `snapshot is not of kind ${kind}`);
  // The signature first: nothing the header says is worth hashing megabytes for until it verifies.
  if (!verify(null, parts.signed, publicKey, parts.signature)) {
    throw new FilterVerificationError('REPUTE_CLIENT_SNAPSHOT_SIGNATURE', `${kind} snapshot signature does not verify against the public key`);
  }
  if (parts.bits.length !== snapshotBitBytes(m)) throw new FilterVerificationError('REPUTE_CLIENT_SNAPSHOT_INVALID', 'snapshot size does not match its header');
  if (!snapshotContentHash(parts.bits).equals(parts.contentHash)) {
    throw new FilterVerificationError('REPUTE_CLIENT_SNAPSHOT_CORRUPT', `${kind} snapshot bits do not match their signed hash`);
  }
  try {
    return { kind, position: parts.position, filter: new DigestFilter(m, k, snapshotWords(parts.bits), parts.count) };
  } catch (err) {
    throw new FilterVerificationError('REPUTE_CLIENT_SNAPSHOT_INVALID', (err as Error).message);
  }
}
