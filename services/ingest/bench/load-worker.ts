import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

interface Job {
  url: string;
  key: string;
  bodies: string[];
  eventsPerBody: number;
  concurrency: number;
  durationMs: number;
}

// Runs on its own thread so that generating load does not steal the server's event loop.
const job = workerData as Job;
const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
const target = new URL(job.url);

function post(body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${job.key}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// This thread's own CPU, so that the parent can tell the server's share of the process CPU.
const cpuStart = process.threadCpuUsage();
let accepted = 0;
let failed = 0;
const latencies: number[] = [];
const deadline = Date.now() + job.durationMs;
let next = 0;
await Promise.all(
  Array.from({ length: job.concurrency }, async () => {
    while (Date.now() < deadline) {
      const body = job.bodies[next++ % job.bodies.length]!;
      const started = performance.now();
      const status = await post(body);
      latencies.push(performance.now() - started);
      if (status === 202) accepted += job.eventsPerBody;
      else failed++;
    }
  }),
);
agent.destroy();
const cpu = process.threadCpuUsage(cpuStart);
latencies.sort((a, b) => a - b);
parentPort?.postMessage({ accepted, failed, cpuUs: cpu.user + cpu.system, requests: latencies.length, p50: latencies[Math.floor(latencies.length * 0.5)] ?? 0, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0 });
