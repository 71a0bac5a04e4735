import { createHash, generateKeyPairSync, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { IndicatorKind } from '@repute/core';
import type { RedisClient } from './create-redis.ts';
import { DigestFilter } from './digest-filter.ts';
import { storeKeys } from './keys.ts';
import { StoreError } from './store-error.ts';

/**
 * Snapshot layout (big-endian header, then the filter's bit array as little-endian 32-bit words):
 *   0  "RPBF"            4  u16 format version   6  u8 kind   7  u8 k
 *   8  u32 m (bits)      12 u32 reserved         16 u64 count
 *   24 u64 stream ms     32 u64 stream seq       40 32 B SHA-256 of the bit array
 *   72 64 B Ed25519 signature over bytes 0..71 (the header, which binds the bits by their hash)
 */
export const SNAPSHOT_FORMAT_VERSION = 1;
export const SNAPSHOT_HEADER_BYTES = 136;
const MAGIC = 'RPBF';
const KIND_CODES: Record<IndicatorKind, number> = { file: 1, url: 2, domain: 3, ip: 4, email: 5 };
const KINDS_BY_CODE = Object.fromEntries(Object.entries(KIND_CODES).map(([k, v]) => [v, k])) as Record<number, IndicatorKind>;

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
  const bits = filter.bytes();
  const out = Buffer.allocUnsafe(SNAPSHOT_HEADER_BYTES + bits.length);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt16BE(SNAPSHOT_FORMAT_VERSION, 4);
  out.writeUInt8(KIND_CODES[kind], 6);
  out.writeUInt8(filter.k, 7);
  out.writeUInt32BE(filter.m, 8);
  out.writeUInt32BE(0, 12);
  out.writeBigUInt64BE(BigInt(filter.count), 16);
  const [ms = '0', seq = '0'] = position.split('-');
  out.writeBigUInt64BE(BigInt(ms), 24);
  out.writeBigUInt64BE(BigInt(seq), 32);
  createHash('sha256').update(bits).digest().copy(out, 40);
  sign(null, out.subarray(0, 72), privateKey).copy(out, 72);
  bits.copy(out, SNAPSHOT_HEADER_BYTES);
  return out;
}

/** Decodes a snapshot, checking its hash, and its signature when a public key is given. */
export function decodeSnapshot(bytes: Buffer, publicKey?: KeyObject): FilterSnapshot {
  if (bytes.length < SNAPSHOT_HEADER_BYTES || bytes.toString('latin1', 0, 4) !== MAGIC) {
    throw new StoreError('REPUTE_STORE_SNAPSHOT_INVALID', 'not a filter snapshot');
  }
  const version = bytes.readUInt16BE(4);
  if (version !== SNAPSHOT_FORMAT_VERSION) throw new StoreError('REPUTE_STORE_SNAPSHOT_VERSION', `snapshot format ${version} is not supported`);
  const kind = KINDS_BY_CODE[bytes.readUInt8(6)];
  if (kind === undefined) throw new StoreError('REPUTE_STORE_SNAPSHOT_INVALID', 'unknown kind in snapshot');
  const k = bytes.readUInt8(7);
  const m = bytes.readUInt32BE(8);
  const count = Number(bytes.readBigUInt64BE(16));
  const position = `${bytes.readBigUInt64BE(24)}-${bytes.readBigUInt64BE(32)}`;
  const bitBytes = bytes.subarray(SNAPSHOT_HEADER_BYTES);
  if (bitBytes.length !== Math.ceil(m / 32) * 4) throw new StoreError('REPUTE_STORE_SNAPSHOT_INVALID', 'snapshot size does not match its header');
  const hash = createHash('sha256').update(bitBytes).digest();
  if (!hash.equals(bytes.subarray(40, 72))) throw new StoreError('REPUTE_STORE_SNAPSHOT_CORRUPT', 'snapshot content hash mismatch');
  const signature = bytes.subarray(72, 136);
  if (publicKey !== undefined && !verify(null, bytes.subarray(0, 72), publicKey, signature)) {
    throw new StoreError('REPUTE_STORE_SNAPSHOT_SIGNATURE', 'snapshot signature does not verify');
  }
  // Copy into an aligned buffer the filter owns (Redis buffers may be pooled slices).
  const words = new Uint32Array(bitBytes.length / 4);
  Buffer.from(words.buffer).set(bitBytes);
  return {
    kind,
    position,
    filter: new DigestFilter(m, k, words, count),
    contentHash: hash.toString('hex'),
    signature: Buffer.from(signature).toString('base64'),
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
