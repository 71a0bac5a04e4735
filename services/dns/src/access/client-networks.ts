import { parseCidr, parseIp } from '@repute/core';
import type { BindingProblem } from '../zone/zone-table.ts';

interface Network {
  bytes: Uint8Array;
  prefix: number;
  tenant: string;
}

const TENANT = /^[A-Za-z0-9._:-]{1,128}$/;

/** Client networks bound to tenants (DNS_CLIENT_NETWORKS); the longest matching prefix wins. */
export class ClientNetworks {
  private readonly networks: Network[];

  private constructor(networks: Network[]) {
    // Longest prefix first, so the first match is the most specific binding.
    this.networks = networks.sort((a, b) => b.prefix - a.prefix);
  }

  static parse(spec: string): { networks: ClientNetworks; problems: BindingProblem[] } {
    const out: Network[] = [];
    const problems: BindingProblem[] = [];
    for (const part of spec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      const eq = part.lastIndexOf('=');
      const tenant = eq === -1 ? '' : part.slice(eq + 1);
      if (eq <= 0 || !TENANT.test(tenant)) {
        problems.push({ variable: 'DNS_CLIENT_NETWORKS', reason: `"${part}" is not cidr=tenant` });
        continue;
      }
      try {
        const cidr = parseCidr(part.slice(0, eq));
        out.push({ bytes: parseIp(cidr.network).bytes, prefix: cidr.prefix, tenant });
      } catch {
        problems.push({ variable: 'DNS_CLIENT_NETWORKS', reason: `"${part.slice(0, eq)}" is not a CIDR` });
      }
    }
    return { networks: new ClientNetworks(out), problems };
  }

  get size(): number {
    return this.networks.length;
  }

  /** The tenant a client address is bound to, or undefined. */
  tenantOf(address: Uint8Array | null): string | undefined {
    if (address === null) return undefined;
    for (const n of this.networks) {
      if (n.bytes.length === address.length && inPrefix(address, n.bytes, n.prefix)) return n.tenant;
    }
    return undefined;
  }
}

function inPrefix(ip: Uint8Array, network: Uint8Array, prefix: number): boolean {
  let bits = prefix;
  for (let i = 0; i < network.length && bits > 0; i++) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip[i]! & mask) !== (network[i]! & mask)) return false;
    bits -= 8;
  }
  return true;
}
