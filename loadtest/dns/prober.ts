import { createSocket } from 'node:dgram';
import { encode } from 'dns-packet';

/**
 * Latency as a client sees it while a load runs: one query every `intervalMs` from its own
 * socket, timed from send to answer. dnsperf's per-query output (-v) would give every sample,
 * but writing and parsing a line per query costs a core on a 2-core machine and so inflates
 * the very latencies it reports; a light prober beside an unverbose dnsperf does not.
 */
export async function probeLatency(port: number, names: readonly string[], seconds: number, intervalMs = 2): Promise<number[]> {
  const socket = createSocket('udp4');
  const sent = new Map<number, number>();
  const samples: number[] = [];
  socket.on('message', (msg) => {
    const at = sent.get(msg.readUInt16BE(0));
    if (at === undefined) return;
    samples.push(performance.now() - at);
    sent.delete(msg.readUInt16BE(0));
  });
  const packets = names.map((name, i) => encode({ type: 'query', id: i & 0xffff, questions: [{ type: 'A', name }] }));
  const end = performance.now() + seconds * 1000;
  let i = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (performance.now() > end) {
        clearInterval(timer);
        resolve();
        return;
      }
      const id = i & 0xffff;
      const packet = packets[i % packets.length]!;
      packet.writeUInt16BE(id, 0);
      sent.set(id, performance.now());
      socket.send(packet, port, '127.0.0.1');
      i++;
    }, intervalMs);
  });
  // Stragglers get a moment; what never comes back counts as lost, not as a latency.
  await new Promise((r) => setTimeout(r, 500));
  socket.close();
  return samples.sort((a, b) => a - b);
}
