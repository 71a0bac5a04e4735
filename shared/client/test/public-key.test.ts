import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, test } from 'node:test';
import { closeTestServices } from '@repute/infra/testkit';
import { createClient, FilterVerificationError, ReputeClientError } from '../src/index.ts';
import { readPublicKey } from '../src/public-key.ts';
import { randomSha, startEdge } from './helpers.ts';

after(closeTestServices);

const ed25519 = generateKeyPairSync('ed25519');
const pem = ed25519.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const document = { algorithm: 'Ed25519' as const, format: 'spki-pem' as const, public_key: pem };

const invalidKey = (err: unknown): boolean =>
  err instanceof FilterVerificationError && err instanceof ReputeClientError && err.code === 'REPUTE_CLIENT_PUBLIC_KEY_INVALID';

test('a key is read from the endpoint document (text or parsed), its PEM, or a KeyObject', () => {
  for (const input of [JSON.stringify(document), `${JSON.stringify(document, null, 2)}\n`, document, pem, `\n${pem}\n`, ed25519.publicKey]) {
    assert.ok(readPublicKey(input).equals(ed25519.publicKey));
  }
});

test('anything else is a typed error, not an OpenSSL one', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  const cases: unknown[] = [
    '', 'not a key', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', '{"algorithm":"Ed25519",',
    JSON.stringify({ ...document, algorithm: 'RSA' }), JSON.stringify({ algorithm: 'Ed25519' }), 'null',
    { ...document, public_key: 'garbage' }, rsa, rsa.export({ type: 'spki', format: 'pem' }), ed25519.privateKey,
  ];
  for (const input of cases) {
    assert.throws(() => readPublicKey(input as string), invalidKey, String(input));
  }
  const err = (() => { try { readPublicKey('not a key'); } catch (e) { return e; } })() as Error;
  assert.ok(err.cause instanceof Error, 'the OpenSSL error is kept as the cause');
});

test('createClient refuses a malformed pinned key at once', () => {
  assert.throws(() => createClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'k', filters: { publicKey: 'MCowBQYDK2VwAyEA' } }), invalidKey);
});

test('unpinned, the key the service returns is used; a malformed one fails the sync with the typed error', async (t) => {
  const edge = await startEdge(t);
  const apiKey = await edge.createKey();
  const fetched = createClient({ baseUrl: edge.url, apiKey, filters: { kinds: ['file'], refreshIntervalMs: 0 } });
  t.after(() => fetched.close());
  await fetched.syncFilters();
  assert.equal((await fetched.lookupFile(randomSha())).source, 'filter');

  const forged: typeof fetch = async (input, init) => String(input).endsWith('/v1/filters/public-key')
    ? Response.json({ algorithm: 'Ed25519', format: 'spki-pem', public_key: 'not a key' })
    : fetch(input, init);
  const misled = createClient({ baseUrl: edge.url, apiKey, fetch: forged, filters: { kinds: ['file'], refreshIntervalMs: 0 } });
  t.after(() => misled.close());
  await assert.rejects(misled.syncFilters(), invalidKey);
  assert.deepEqual(misled.filterStatus(), []);
});
