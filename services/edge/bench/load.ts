import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

// One load phase in a process of its own, so the generator never shares an event loop (or a
// heap to collect) with the orchestrator. Requests are static: autocannon builds each request
// buffer once instead of once per request (a per-request setupRequest cost the generator
// enough of its core to cap hello-world near 27k req/s; static, it drives 75-85k). Every
// connection walks the same list from the start, so concurrent requests often ask for the same
// indicator. Workers stay off: on 2 cores more generator threads only steal CPU from the
// server under test.
interface LoadSpec {
  url: string;
  connections: number;
  duration: number;
  method: 'GET' | 'POST';
  paths: string[];
  bodies?: string[];
  headers: Record<string, string>;
}

const spec = JSON.parse(readFileSync(0, 'utf8')) as LoadSpec;
const count = Math.max(spec.paths.length, spec.bodies?.length ?? 0);
const requests = Array.from({ length: count }, (_, i) => ({
  method: spec.method,
  path: spec.paths[i % spec.paths.length]!,
  ...(spec.bodies !== undefined ? { body: spec.bodies[i % spec.bodies.length]! } : {}),
}));
const result = await autocannon({ url: spec.url, connections: spec.connections, duration: spec.duration, headers: spec.headers, requests });
process.stdout.write(`${JSON.stringify({
  rps: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  errors: result.errors + result.timeouts,
  non2xx: result.non2xx,
})}\n`);
