import { dnsListLabels } from '@repute/core';
import type { Detected } from './detect-kind.ts';

/**
 * The name a DNS list is asked under for an indicator: its RFC 5782 labels (core's
 * `dnsListLabels`, which the DNS front end reads back) followed by the zone.
 * @throws {Error} for kinds no list answers (URLs, e-mail addresses, CIDR blocks).
 */
export function dnsListName(detected: Exclude<Detected, { reason: string }>, zone: string): string {
  const apex = zone.replace(/^\.+|\.+$/g, '');
  switch (detected.kind) {
    case 'ip':
      if (detected.value.includes('/')) throw new Error('DNS lists answer single addresses, not CIDR blocks');
      return `${dnsListLabels('ip', detected.value)}.${apex}`;
    case 'domain':
    case 'file':
      return `${dnsListLabels(detected.kind, detected.value)}.${apex}`;
    default:
      throw new Error(`DNS lists answer IPs, domains and file hashes, not ${detected.kind}s`);
  }
}
