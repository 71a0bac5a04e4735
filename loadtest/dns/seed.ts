import { writeFileSync } from 'node:fs';
import { dnsListLabels, type ReputationRecord } from '@repute/core';
import type { ReputationStore } from '@repute/store';

/** The i-th listed address: 10.0.0.0 upwards, so a million fit in 10.0.0.0/12. */
export function listedIp(i: number): string {
  return `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

/** An address no list holds (192.168.0.0/16 is never seeded). */
export function unlistedIp(i: number): string {
  return `192.168.${(i >>> 8) & 255}.${i & 255}`;
}

/** The list name an address is asked under in `zone` (RFC 5782, as the DNS front end reads it). */
export function reversed(ip: string, zone: string): string {
  return `${dnsListLabels('ip', ip)}.${zone}`;
}

export function listedRecord(ip: string, version = 1, verdict: ReputationRecord['verdict'] = 'malicious'): ReputationRecord {
  const now = Date.now();
  return {
    kind: 'ip', value: ip, verdict, score: 90, confidence: 0.9, categories: ['spam'],
    firstSeen: now, lastSeen: now, prevalence: { sensors: 3, tenants: 2 },
    reasons: [{ rule: 'feed.spamtrap', weight: 0.9 }], version, ttl: 600,
  };
}

/**
 * Writes `count` records through the store's write path (script, index, update stream), as the
 * correlator does, `inFlight` at a time; calls `progress` every 100,000.
 */
export async function seedStore(store: ReputationStore, count: number, progress: (done: number) => void): Promise<void> {
  const inFlight = 2000;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await store.write(listedRecord(listedIp(i)));
      if ((i + 1) % 100_000 === 0) progress(i + 1);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** The same entries as an rbldnsd ip4set file (`address :127.0.0.2:text`). */
export function writeRbldnsdData(path: string, count: number): void {
  const lines: string[] = [':127.0.0.2:Listed by Repute bench'];
  for (let i = 0; i < count; i++) lines.push(listedIp(i));
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/**
 * A dnsperf query file: `count` A queries in random order, `listedShare` of them for listed
 * addresses spread over the whole set, the rest for addresses no list holds (NXDOMAIN).
 */
export function writeQueryFile(path: string, zone: string, entries: number, count: number, listedShare: number, seed = 1): void {
  let state = seed >>> 0;
  // xorshift32: the same file for both servers and every run.
  const random = (): number => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state / 0x1_0000_0000;
  };
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const ip = random() < listedShare ? listedIp(Math.floor(random() * entries)) : unlistedIp(Math.floor(random() * 65536));
    lines.push(`${reversed(ip, zone)} A`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}
