import { generateKeyPairSync, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import {
  DigestFilter, SNAPSHOT_FORMAT_VERSION, SNAPSHOT_HEADER_BYTES, SNAPSHOT_SIGNED_BYTES, layOutSnapshot, readSnapshot, snapshotBitBytes, snapshotContentHash,
  snapshotWords, type IndicatorKind,
} from '@repute/core';
import type { RedisClient } from './create-redis.ts';
import { storeKeys } from './keys.ts';
import { StoreError } from './store-error.ts';

// The layout is @repute/core's (the SDK reads the same bytes); the store signs what it lays out.
export { SNAPSHOT_FORMAT_VERSION, SNAPSHOT_HEADER_BYTES };

/** A decoded, verified snapshot. */
export interface FilterSnapshot {
  kind: IndicatorKind;
  /** Update-stream position the snapshot covers: apply entries after it. */
  position: string;
  filter: DigestFilter;
  /** Hex SHA-256 of the bit array. */
  contentHash: string;
  /** Base64 Ed25519 signature of the header. */
  signature: string;
  /** The encoded snapshot, as served to agents. */
  bytes: Buffer;
}

/** The Ed25519 key pair that signs snapshots. */
export interface SigningKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI PEM, as served at /v1/filters/public-key. */
  publicKeyPem: string;
}

/** Encodes and signs a filter snapshot. */
export function encodeSnapshot(filter: DigestFilter, kind: IndicatorKind, position: string, privateKey: KeyObject): Buffer {
  const out = layOutSnapshot({ kind, k: filter.k, m: filter.m, count: filter.count, position }, filter.bits);
  sign(null, out.subarray(0, SNAPSHOT_SIGNED_BYTES), privateKey).copy(out, SNAPSHOT_SIGNED_BYTES);
  return out;
}

/** Decodes a snapshot, checking its hash, and its signature when a public key is given. */
export function decodeSnapshot(bytes: Buffer, publicKey?: KeyObject): FilterSnapshot {
  const parts = readSnapshot(bytes);
  if (parts === null) throw new StoreError('REPUTE_STORE_SNAPSHOT_INVALID', 'not a filter snapshot');
  const { version, kind, k, m, count, position } = parts;
  if (version !== SNAPSHOT_FORMAT_VERSION) throw new StoreError('REPUTE_STORE_SNAPSHOT_VERSION', `snapshot format ${version} is not supported`);
  if (kind === undefined) throw new StoreError('REPUTE_STORE_SNAPSHOT_INVALID', 'unknown kind in snapshot');
  if (parts.bits.length !== snapshotBitBytes(m)) throw new StoreError('REPUTE_STORE_SNAPSHOT_INVALID', 'snapshot size does not match its header');
  const hash = snapshotContentHash(parts.bits);
  if (!hash.equals(parts.contentHash)) throw new StoreError('REPUTE_STORE_SNAPSHOT_CORRUPT', 'snapshot content hash mismatch');
  if (publicKey !== undefined && !verify(null, parts.signed, publicKey, parts.signature)) {
    throw new StoreError('REPUTE_STORE_SNAPSHOT_SIGNATURE', 'snapshot signature does not verify');
  }
  return {
    kind,
    position,
    filter: new DigestFilter(m, k, snapshotWords(parts.bits), count),
    contentHash: hash.toString('hex'),
    signature: Buffer.from(parts.signature).toString('base64'),
    bytes,
  };
}

/** Loads the deployment's signing key pair, generating and storing it on first use. */
export async function loadSigningKeys(redis: RedisClient, prefix: string): Promise<SigningKeys> {
  const key = storeKeys.signingKey(prefix);
  let pem = await redis.get(key);
  if (pem === null) {
    const pair = generateKeyPairSync('ed25519');
    const fresh = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    // NX: when two instances race, both end up with the first one's key.
    await redis.set(key, fresh, 'NX');
    pem = (await redis.get(key)) ?? fresh;
  }
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Stores an encoded snapshot (one key per kind, replaced whole). */
export async function saveSnapshot(redis: RedisClient, prefix: string, kind: IndicatorKind, bytes: Buffer): Promise<void> {
  await redis.set(storeKeys.snapshot(prefix, kind), bytes);
}

/** The stored snapshot of a kind, or null. */
export async function loadSnapshotBytes(redis: RedisClient, prefix: string, kind: IndicatorKind): Promise<Buffer | null> {
  return await redis.getBuffer(storeKeys.snapshot(prefix, kind));
}
