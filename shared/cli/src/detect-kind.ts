import { isIP } from 'node:net';
import type { IndicatorKind } from '@repute/core';

/** A raw indicator with its kind, or why no kind fits. */
export type Detected = { kind: IndicatorKind; value: string } | { reason: string };

const HASH = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const IPV4_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const IPV6_PORT = /^\[([0-9a-f:.]+)\]:\d{1,5}$/i;
const HOSTNAME = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\.?$/i;

/**
 * Guesses the kind of a raw indicator as threat lists write them: hashes by length, URLs with
 * a scheme or a host followed by a path, addresses (with a port, as maltrail writes C2s, or a
 * CIDR block), e-mail senders, and host names (a leading dot, MISP's "and subdomains", is
 * dropped: a domain record covers its subdomains anyway).
 */
export function detectKind(input: string): Detected {
  const raw = input.trim();
  if (raw === '') return { reason: 'empty' };
  if (HASH.test(raw)) return { kind: 'file', value: raw };
  if (SCHEME.test(raw)) return { kind: 'url', value: raw };
  if (isIP(raw) !== 0) return { kind: 'ip', value: raw };
  const withPort = IPV4_PORT.exec(raw) ?? IPV6_PORT.exec(raw);
  if (withPort?.[1] !== undefined && isIP(withPort[1]) !== 0) return { kind: 'ip', value: withPort[1] };
  const slash = raw.indexOf('/');
  if (slash > 0 && isIP(raw.slice(0, slash)) !== 0 && /^\d{1,3}$/.test(raw.slice(slash + 1))) return { kind: 'ip', value: raw };
  if (raw.startsWith('/')) return { reason: 'path_without_host' };
  if (slash > 0 || raw.includes('?')) return { kind: 'url', value: `http://${raw}` };
  if (raw.includes('@')) return { kind: 'email', value: raw };
  const host = raw.replace(/^\.+/, '');
  if (HOSTNAME.test(host)) {
    if (!host.replace(/\.$/, '').includes('.')) return { reason: raw.startsWith('.') ? 'suffix_without_domain' : 'not_a_domain' };
    return { kind: 'domain', value: host };
  }
  return { reason: 'unrecognised' };
}
