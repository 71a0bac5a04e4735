import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createLatencyRecorder } from './latency.ts';
import type { GeneratorResult, LoadSpec } from './load-spec.ts';

// One load phase in a process of its own (the orchestrator's event loop and heap stay out of
// it), over plain keep-alive HTTP/1.1 on net sockets, one request in flight per connection.
// - Closed loop (no rate): each connection sends its next request as soon as an answer
//   arrives: the maximum rate.
// - Open loop (a rate): request i is due at start + i/rate whatever the server does, and its
//   latency counts from that due time, so a stalled server shows as latency, not as fewer
//   requests (coordinated omission, as wrk2 avoids it). autocannon's rate option is not this:
//   each connection fires its per-second quota back to back at the top of every second.
// Request buffers are built once and shared by every connection: autocannon builds them per
// connection, which for a 20,000-indicator mix at 50 connections took most of a short phase
// (measured: 5.8k req/s against a hello-world that answers 50k).
const spec = JSON.parse(readFileSync(0, 'utf8')) as LoadSpec;
const rate = spec.rate;
const origin = new URL(spec.url);
const headerLines = Object.entries({ host: origin.host, ...spec.headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
const buffers = spec.requests.map((r) => {
  const body = r.body ?? '';
  const head = `${r.method} ${r.path} HTTP/1.1\r\n${headerLines}${r.body !== undefined ? `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n`;
  return Buffer.from(head + body);
});

const recorder = createLatencyRecorder();
let ok = 0;
let non2xx = 0;
let errors = 0;
let queued = 0;
const statuses: Record<string, number> = {};
const HEADER_END = Buffer.from('\r\n\r\n');

interface Connection { socket: Socket; busy: boolean; dueAt: number; pending: Buffer | undefined; bodyLeft: number; status: number }
const idle: Connection[] = [];
const waiting: number[] = []; // due times of requests that found no free connection
let next = 0;
let stopped = false;

function send(c: Connection, dueAt: number): void {
  if (stopped) return;
  c.busy = true;
  c.dueAt = dueAt;
  c.socket.write(buffers[next++ % buffers.length]!);
}

function finish(c: Connection): void {
  recorder.record(performance.now() - c.dueAt);
  statuses[c.status] = (statuses[c.status] ?? 0) + 1;
  if (c.status >= 200 && c.status < 300) ok++;
  else non2xx++;
  c.busy = false;
  if (rate === undefined) {
    if (!stopped) send(c, performance.now());
    return;
  }
  const due = waiting.shift();
  if (due !== undefined) send(c, due);
  else idle.push(c);
}

// Responses are parsed just enough: status code and content-length (every answer of these
// servers carries one; a chunked answer would be counted as an error).
function onData(c: Connection, chunk: Buffer): void {
  let data = c.pending === undefined ? chunk : Buffer.concat([c.pending, chunk]);
  c.pending = undefined;
  while (data.length > 0) {
    if (c.bodyLeft > 0) {
      const take = Math.min(c.bodyLeft, data.length);
      c.bodyLeft -= take;
      data = data.subarray(take);
      if (c.bodyLeft === 0) finish(c);
      continue;
    }
    const end = data.indexOf(HEADER_END);
    if (end < 0) {
      c.pending = data;
      return;
    }
    const head = data.subarray(0, end).toString('latin1');
    c.status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (length === null) {
      errors++;
      c.socket.destroy();
      return;
    }
    c.bodyLeft = Number(length[1]);
    data = data.subarray(end + 4);
    if (c.bodyLeft === 0) finish(c);
  }
}

function open(): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: origin.hostname, port: Number(origin.port), noDelay: true });
    const c: Connection = { socket, busy: false, dueAt: 0, pending: undefined, bodyLeft: 0, status: 0 };
    socket.once('connect', () => resolve(c));
    socket.once('error', (err) => {
      errors++;
      reject(err);
    });
    socket.on('data', (chunk: Buffer) => onData(c, chunk));
  });
}

const connections = await Promise.all(Array.from({ length: spec.connections }, () => open()));
idle.push(...connections);
const started = performance.now();
const endAt = started + spec.durationS * 1000;
let issued = 0;
if (rate === undefined) {
  for (const c of connections) send(c, performance.now());
  await new Promise((r) => setTimeout(r, spec.durationS * 1000));
  stopped = true;
}
// A 1 ms timer issues what has fallen due: requests go out at most 1 ms late, without a
// spinning loop that would take a core from the server. Request i falls due at start + i/rate,
// so i + 1 of them are due from then on (counting only i once sent it a whole interval late:
// 5 ms at 200/s, all of it in the latency).
const total = rate === undefined ? 0 : Math.ceil(spec.durationS * rate);
if (rate !== undefined) await new Promise<void>((resolve) => {
  const tick = (): void => {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - started) / 1000) * rate) + 1);
    for (; issued < due; issued++) {
      const dueAt = started + (issued * 1000) / rate;
      const c = idle.pop();
      if (c !== undefined) send(c, dueAt);
      else {
        queued++;
        waiting.push(dueAt);
      }
    }
    if (now >= endAt) resolve();
    else setTimeout(tick, 1);
  };
  tick();
});
// The answers still in flight count; a bounded wait, then what never came back is an error.
const drainUntil = performance.now() + 5000;
while ((waiting.length > 0 || connections.some((c) => c.busy)) && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 5));
errors += waiting.length + connections.filter((c) => c.busy).length;
for (const c of connections) c.socket.destroy();
const durationS = (Math.min(performance.now(), endAt) - started) / 1000;
const out: GeneratorResult = { rps: (ok + non2xx) / durationS, ok, non2xx, errors, latency: recorder.summary(), durationS, queued, statuses };
process.stdout.write(`${JSON.stringify(out)}\n`);
