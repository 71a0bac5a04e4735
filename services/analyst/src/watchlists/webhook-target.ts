import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup as dnsLookupAsync } from 'node:dns/promises';
import { hostname as machineName } from 'node:os';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { ipRange } from '@repute/core';

/** A webhook target that must not be reached: it is, or resolves to, a non-public address. */
export class RefusedTargetError extends Error {
  override readonly name = 'RefusedTargetError';
  readonly code = 'REPUTE_WEBHOOK_REFUSED_TARGET';
}

/** Whether an address may receive webhooks: public unicast only (no loopback, private, link-local, metadata, multicast or reserved). */
export function publicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 0) return false;
  try {
    return ipRange(bare) === 'public';
  } catch {
    return false;
  }
}

/**
 * A `lookup` for sockets that resolves the name once and refuses it when any address it resolves
 * to is not public: the connection then goes to the address this check saw (no second
 * resolution for a rebinding name to answer differently).
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err !== null) return callback(err, '', 0);
    const refused = addresses.find((a) => !publicAddress(a.address));
    if (refused !== undefined || addresses.length === 0) {
      return callback(new RefusedTargetError(`${hostname} resolves to ${refused?.address ?? 'nothing'}, which is not a public address`), '', 0);
    }
    if (options.all === true) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
};

export interface PostOutcome {
  status: number;
  headers: IncomingHttpHeaders;
}

/**
 * POSTs `body` to `url` over node:http(s), following no redirect. Unless `allowPrivate`, a
 * literal non-public address is refused before connecting and a name goes through
 * `publicOnlyLookup`. Rejects with `RefusedTargetError` for a refused target, with the network
 * error otherwise.
 */
export function postToTarget(url: string, body: string, headers: Record<string, string>, options: { signal: AbortSignal; allowPrivate: boolean }): Promise<PostOutcome> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new RefusedTargetError('not a URL'));
      return;
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (!options.allowPrivate && isIP(host) !== 0 && !publicAddress(host)) {
      reject(new RefusedTargetError(`${host} is not a public address`));
      return;
    }
    const send = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
    if (send === undefined) {
      reject(new RefusedTargetError(`${target.protocol} is not http or https`));
      return;
    }
    const req = send(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      signal: options.signal,
      ...(options.allowPrivate ? {} : { lookup: publicOnlyLookup }),
    }, (res) => {
      // Only the status matters; the body is drained so the socket is freed.
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Names that are this machine or a cloud's metadata service wherever they are resolved. */
const LOCAL_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback', 'metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);

/**
 * Why a webhook host is refused when registered, or undefined when it is not: a literal
 * non-public address, a local or metadata name (case and a trailing dot aside, the machine's
 * own name included), or a name that resolves now to a non-public address. Delivery checks
 * again (a name may change): this one gives the caller a clear answer early.
 */
export async function refusedWebhookHost(host: string): Promise<string | undefined> {
  const name = host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (isIP(name) !== 0) return publicAddress(name) ? undefined : `${name} is not a public address`;
  if (LOCAL_NAMES.has(name) || name.endsWith('.localhost') || name.endsWith('.internal') || name.endsWith('.local') || name === machineName().toLowerCase()) {
    return `${name} names this machine or a metadata service`;
  }
  let addresses: LookupAddress[];
  try {
    addresses = await dnsLookupAsync(name, { all: true });
  } catch {
    // Not resolvable now: delivery resolves it again and refuses what is not public.
    return undefined;
  }
  const bad = addresses.find((a) => !publicAddress(a.address));
  return bad === undefined ? undefined : `${name} resolves to ${bad.address}`;
}
