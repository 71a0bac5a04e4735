import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { createHash } from 'node:crypto';
import { encode } from 'dns-packet';
import { promisify } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { ReputationRecord } from '@repute/core';
import { SERVER_OPTIONS } from '@repute/http';
import { freePort } from '@repute/infra';
import { uniqueName } from '@repute/infra/testkit';
import { createOverlayStore, createReputationStore, type OverlayStore, type ReputationStore } from '@repute/store';
import dnsApp from '../src/app.ts';
import { loadDnsConfig, type DnsConfig } from '../src/config.ts';

const run = promisify(execFile);

export const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
export const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

export function dnsConfig(redisUrl: string, extra: Record<string, string> = {}): DnsConfig {
  return loadDnsConfig({
    env: {
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `${uniqueName('dns')}:`,
      LOG_LEVEL: 'silent',
      DNS_HOST: '127.0.0.1',
      DNS_PUBLIC_ZONE: 'bl.test.example',
      DNS_ZONES: 'acme.bl.test.example=acme,beta.zones.example=beta',
      DNS_LOOKUP_URL: 'https://repute.example',
      ...extra,
    },
    file: '',
  });
}

/** The DNS app on a free port (another run may take a port between asking and binding: retried). */
export async function buildDns(config: DnsConfig): Promise<{ app: FastifyInstance; port: number }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const app = Fastify({ logger: false, ...SERVER_OPTIONS });
    try {
      await app.register(dnsApp, { config: { ...config, DNS_PORT: port } });
      await app.ready();
      return { app, port: app.dnsListening.udpPort };
    } catch (err) {
      lastError = err;
      await app.close().catch(() => undefined);
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  throw lastError;
}

/** A store on its own connection, writing through the store's real write path as the correlator does. */
export function writer(config: DnsConfig): { store: ReputationStore; overlays: OverlayStore; redis: Redis } {
  const redis = new Redis(config.REDIS_URL);
  const store = createReputationStore(redis, { prefix: config.REDIS_KEY_PREFIX });
  return { store, overlays: createOverlayStore(redis, store), redis };
}

export function record(kind: ReputationRecord['kind'], value: string, verdict: ReputationRecord['verdict'], extra: Partial<ReputationRecord> = {}): ReputationRecord {
  return {
    kind, value, verdict, score: verdict === 'malicious' ? 95 : 40, confidence: 0.9, categories: [],
    firstSeen: 1_700_000_000_000, lastSeen: 1_700_000_500_000, prevalence: { sensors: 4, tenants: 2 },
    reasons: [{ rule: 'feed.listed', weight: 0.9, evidence: 3 }], version: 1, ttl: 600, ...extra,
  };
}

/** Polls until `probe` returns true (conditions, not sleeps). */
export async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface DigAnswer {
  status: string;
  flags: string[];
  answers: { name: string; ttl: number; type: string; data: string }[];
  authority: { name: string; ttl: number; type: string; data: string }[];
  raw: string;
}

let digChecked: Promise<void> | undefined;

/** Fails (never skips) when dig is missing: the DNS tests must run through a real client. */
async function requireDig(): Promise<void> {
  digChecked ??= run('dig', ['-v']).then(
    () => undefined,
    () => { throw new Error('dig is not installed: apt-get install -y bind9-dnsutils (.ci/run installs it)'); },
  );
  await digChecked;
}

function rows(section: string): DigAnswer['answers'] {
  return section.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';')).map((l) => {
    const [name = '', ttl = '0', , type = '', ...data] = l.split(/\s+/);
    return { name, ttl: Number(ttl), type, data: data.join(' ') };
  });
}

/** Asks with dig (one try, no retry, over UDP unless `+tcp` is among the options). */
export async function dig(port: number, name: string, type = 'A', options: string[] = []): Promise<DigAnswer> {
  await requireDig();
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=3', '+norec', ...options, name, type]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const status = /status: ([A-Z]+)/.exec(stdout)?.[1] ?? 'NO-ANSWER';
  const flags = (/;; flags: ([a-z ]+);/.exec(stdout)?.[1] ?? '').trim().split(/\s+/).filter((f) => f !== '');
  const answer = /;; ANSWER SECTION:\n([\s\S]*?)(?:\n\n|$)/.exec(stdout)?.[1] ?? '';
  const authority = /;; AUTHORITY SECTION:\n([\s\S]*?)(?:\n\n|$)/.exec(stdout)?.[1] ?? '';
  return { status, flags, answers: rows(answer), authority: rows(authority), raw: stdout };
}

/** A well-formed query for `name` (type A) with the given id. */
export function query(id: number, name: string, type: 'A' | 'TXT' = 'A'): Buffer {
  return encode({ type: 'query', id, flags: 0, questions: [{ type, name, class: 'IN' }] });
}

/** Sends one datagram and waits for the reply with the same id (fails after 5 s without one). */
export async function exchange(port: number, message: Buffer): Promise<Buffer> {
  const socket = createSocket('udp4');
  const id = message.length >= 2 ? message.readUInt16BE(0) : -1;
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
      socket.on('message', (msg) => {
        if (msg.length >= 2 && msg.readUInt16BE(0) === id) {
          clearTimeout(timer);
          resolve(msg);
        }
      });
      socket.once('error', (err) => { clearTimeout(timer); reject(err); });
      socket.send(message, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/**
 * Sends `message`, then a probe query for the RFC 5782 test entry (answered without any read)
 * from the same socket, and returns whatever came back for `message` (null when nothing did).
 * The server reads one socket in order and refuses or drops without waiting on anything, so
 * once the probe is answered a reply to `message` would have been sent: no clock decides that
 * a packet was dropped, and the probe shows the service still answers. `repeatProbe` resends
 * the probe until it is answered (when the client is over its rate limit and must wait).
 */
export async function expectDropped(port: number, message: Buffer, repeatProbe = false): Promise<{ reply: Buffer | null; probe: Buffer }> {
  const socket = createSocket('udp4');
  const probeId = 0xbeef;
  const probe = query(probeId, '2.0.0.127.bl.test.example');
  let again: NodeJS.Timeout | undefined;
  try {
    return await new Promise((resolve, reject) => {
      let reply: Buffer | null = null;
      const timer = setTimeout(() => reject(new Error('the probe query got no answer: the service stopped answering')), 10_000);
      socket.on('message', (msg) => {
        if (msg.length >= 2 && msg.readUInt16BE(0) === probeId) {
          clearTimeout(timer);
          resolve({ reply, probe: msg });
        } else reply = msg;
      });
      socket.once('error', (err) => { clearTimeout(timer); reject(err); });
      socket.send(message, port, '127.0.0.1', () => {
        socket.send(probe, port, '127.0.0.1');
        if (repeatProbe) again = setInterval(() => socket.send(probe, port, '127.0.0.1'), 100);
      });
    });
  } finally {
    clearInterval(again);
    socket.close();
  }
}

/** Sends one message over TCP (length-prefixed) and returns the first reply. */
export async function exchangeTcp(port: number, message: Buffer): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    const frame = Buffer.alloc(2 + message.length);
    frame.writeUInt16BE(message.length, 0);
    message.copy(frame, 2);
    let got = Buffer.alloc(0);
    const socket = connect(port, '127.0.0.1', () => socket.write(frame));
    socket.setTimeout(5000, () => { socket.destroy(); reject(new Error('no TCP answer within 5 s')); });
    socket.on('data', (chunk) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        socket.destroy();
        resolve(got.subarray(2, 2 + got.readUInt16BE(0)));
      }
    });
    socket.on('error', reject);
  });
}
