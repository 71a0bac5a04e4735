import { createPublicKey, KeyObject } from 'node:crypto';
import { FilterVerificationError } from './client-error.ts';

/** The document `GET /v1/filters/public-key` returns. */
export interface PublicKeyDocument {
  algorithm: 'Ed25519';
  format?: 'spki-pem';
  /** SPKI PEM. */
  public_key: string;
}

/**
 * A filter-signing key as an operator pins it: the SPKI PEM, the `/v1/filters/public-key`
 * document (parsed, or its JSON text as saved by `curl`), or a `KeyObject`.
 */
export type PublicKeyInput = string | PublicKeyDocument | KeyObject;

function invalid(message: string, cause?: unknown): FilterVerificationError {
  return new FilterVerificationError('REPUTE_CLIENT_PUBLIC_KEY_INVALID', message, cause === undefined ? undefined : { cause });
}

function fromDocument(doc: unknown): KeyObject {
  if (typeof doc !== 'object' || doc === null) throw invalid('the public key document is not an object');
  const { algorithm, public_key: pem } = doc as Partial<PublicKeyDocument>;
  if (algorithm !== 'Ed25519') throw invalid(`the public key document names algorithm ${JSON.stringify(algorithm)}, not Ed25519`);
  if (typeof pem !== 'string') throw invalid('the public key document has no public_key string');
  return fromPem(pem);
}

function fromPem(pem: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch (err) {
    // OpenSSL's own errors (ERR_OSSL_UNSUPPORTED, ...) say nothing of what was expected.
    throw invalid('the public key is neither an SPKI PEM nor the /v1/filters/public-key document', err);
  }
}

/**
 * Reads a pinned or fetched filter-signing key. Only an Ed25519 public key is accepted: the
 * snapshots are signed with Ed25519, and any other key would fail every snapshot later, far
 * from the mistake.
 * @throws {FilterVerificationError} `REPUTE_CLIENT_PUBLIC_KEY_INVALID` when it is not one.
 */
export function readPublicKey(input: PublicKeyInput): KeyObject {
  let key: KeyObject;
  if (input instanceof KeyObject) {
    key = input;
  } else if (typeof input === 'string') {
    const text = input.trim();
    if (text.startsWith('{')) {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (err) {
        throw invalid('the public key looks like JSON but does not parse', err);
      }
      key = fromDocument(doc);
    } else {
      key = fromPem(text);
    }
  } else {
    key = fromDocument(input);
  }
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') {
    throw invalid(`the public key is a ${key.asymmetricKeyType ?? 'symmetric'} ${key.type} key, not an Ed25519 public key`);
  }
  return key;
}
