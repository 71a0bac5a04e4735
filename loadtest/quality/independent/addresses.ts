import type { Rng } from '@repute/simulator';

/**
 * Where an address comes from. The prefixes only look like the real owners' ranges; what
 * matters is that big shared networks (CDNs, clouds) and small rented servers sit in
 * different places, as they do on the Internet.
 */
export type AddressPool = 'cdn' | 'cdn6' | 'cloud' | 'popular' | 'hosting' | 'attacker' | 'sinkhole';

const PREFIXES: Record<Exclude<AddressPool, 'cdn6'>, readonly string[]> = {
  cdn: ['104.16', '104.17', '104.21', '172.67', '151.101', '13.224', '23.215', '199.232'],
  cloud: ['3.120', '18.184', '20.42', '34.102', '35.186', '52.58', '54.239', '40.112'],
  popular: ['142.250', '157.240', '140.82', '13.107', '17.253', '31.13', '185.199', '208.80'],
  hosting: ['162.241', '198.54', '50.87', '69.163', '192.185', '107.180', '160.153', '216.172'],
  attacker: ['45.137', '185.225', '193.142', '194.87', '91.215', '5.252', '77.91', '146.70', '80.66', '92.118', '179.43', '103.145'],
  sinkhole: ['87.106', '195.22'],
};

export interface AddressAllocator {
  /** A fresh address from `pool`, never handed out before. */
  take(pool: AddressPool): string;
  /** Marks a fixed, real-world address (a public resolver) as taken. */
  reserve(address: string): string;
}

export function createAddressAllocator(rng: Rng): AddressAllocator {
  const taken = new Set<string>();
  const draw = (pool: AddressPool): string => {
    if (pool === 'cdn6') {
      // RFC 5952 form: lower-case groups without leading zeros, one `::` run.
      return `2606:4700:${rng.int(1, 0x3fff).toString(16)}::${rng.int(0x1000, 0xffff).toString(16)}:${rng.int(1, 0xffff).toString(16)}`;
    }
    return `${rng.pick(PREFIXES[pool])}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
  };
  return {
    take(pool) {
      for (let i = 0; i < 1000; i++) {
        const address = draw(pool);
        if (!taken.has(address)) {
          taken.add(address);
          return address;
        }
      }
      throw new Error(`address pool ${pool} exhausted`);
    },
    reserve(address) {
      taken.add(address);
      return address;
    },
  };
}
