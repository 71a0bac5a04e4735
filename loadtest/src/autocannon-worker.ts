import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { createLatencyRecorder } from './latency.ts';
import type { GeneratorResult, LoadSpec } from './load-spec.ts';

// autocannon, closed loop (each connection sends its next request when the answer to the last one
// arrived), for the generator comparison only; the scenarios use load-worker.ts. A process of
// its own keeps the orchestrator out of its event loop. One
// worker thread: on 2 cores more generator threads only take CPU from the server under test.
const spec = JSON.parse(readFileSync(0, 'utf8')) as LoadSpec;
const recorder = createLatencyRecorder();
const started = performance.now();
const instance = autocannon({ url: spec.url, connections: spec.connections, duration: spec.durationS, headers: spec.headers, requests: spec.requests }, (err, result) => {
  if (err !== null) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  const durationS = (performance.now() - started) / 1000;
  const out: GeneratorResult = {
    rps: (result['2xx'] + result.non2xx) / durationS,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    latency: recorder.summary(),
    durationS,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
});
// autocannon's own histogram keeps whole milliseconds; its response event has the exact time.
instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => recorder.record(responseTime));
