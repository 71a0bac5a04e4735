import { createSocket } from 'node:dgram';
import { encode } from 'dns-packet';
import type { ReputationStore } from '@repute/store';
import { listedRecord, reversed } from './seed.ts';

/** Asks one A question over UDP; resolves with the rcode (or -1 after 200 ms without answer). */
function ask(port: number, name: string, id: number): Promise<number> {
  const socket = createSocket('udp4');
  return new Promise<number>((resolve) => {
    const timer = setTimeout(() => { socket.close(); resolve(-1); }, 200);
    socket.on('message', (msg) => {
      if (msg.readUInt16BE(0) !== id) return;
      clearTimeout(timer);
      socket.close();
      resolve(msg.readUInt16BE(2) & 0x0f);
    });
    socket.send(encode({ type: 'query', id, questions: [{ type: 'A', name }] }), port, '127.0.0.1');
  });
}

/**
 * Freshness: the time from a verdict change written through the store to the first DNS answer
 * that shows it, polled every millisecond. Each sample flips an address that DNS has just
 * answered (so its old answer sits in the cache): listed to clean and back to listed.
 */
export async function measureFreshness(store: ReputationStore, port: number, zone: string, samples: number): Promise<number[]> {
  const out: number[] = [];
  let id = 1;
  for (let i = 0; i < samples; i++) {
    const ip = `172.16.${(i >>> 8) & 255}.${i & 255}`;
    const name = reversed(ip, zone);
    await store.write(listedRecord(ip, 1));
    while ((await ask(port, name, (id = (id + 1) & 0xffff))) !== 0);
    // Cached as listed now; clear it and time how long DNS takes to say NXDOMAIN.
    const started = performance.now();
    await store.write(listedRecord(ip, 2, 'clean'));
    while ((await ask(port, name, (id = (id + 1) & 0xffff))) !== 3) await new Promise((r) => setTimeout(r, 1));
    out.push(performance.now() - started);
  }
  return out.sort((a, b) => a - b);
}
