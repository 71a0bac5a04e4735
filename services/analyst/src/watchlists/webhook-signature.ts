import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-repute-signature';
export const TIMESTAMP_HEADER = 'x-repute-timestamp';

/**
 * `sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<body>"). The timestamp is inside the MAC,
 * so a receiver that rejects old timestamps also rejects replays.
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Constant-time check of a received signature (for receivers and tests). */
export function verifyWebhook(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const got = Buffer.from(signature);
  return expected.length === got.length && timingSafeEqual(expected, got);
}
