import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { encode } from 'dns-packet';

/** A server process under test. */
export interface ServerProcess {
  name: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Resolves once the server lists 10.0.0.0 (the first seeded entry) over UDP (or rejects after `ms`). */
export async function waitForAnswer(port: number, zone: string, child: ChildProcess, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  const socket = createSocket('udp4');
  try {
    for (let id = 1; ; id++) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before answering`);
      if (Date.now() > deadline) throw new Error(`no DNS answer on port ${port} within ${ms} ms`);
      const answered = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => { socket.removeAllListeners('message'); resolve(false); }, 200);
        socket.once('message', (msg: Buffer) => { clearTimeout(timer); resolve((msg.readUInt16BE(2) & 0x0f) === 0); });
        socket.send(encode({ type: 'query', id, questions: [{ type: 'A', name: `0.0.0.10.${zone}` }] }), port, '127.0.0.1');
      });
      if (answered) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    socket.close();
  }
}

export interface ReputeDnsOptions {
  root: string;
  redisUrl: string;
  port: number;
  adminPort: number;
  zone: string;
  cacheEntries: number;
  answerEntries: number;
  /** Write a V8 CPU profile of the server into this directory (--cpu-prof), for finding where a query's time goes. */
  profileDir?: string;
}

/** Repute's DNS front end as its own process, as a deployment runs it (server.ts). */
export async function startReputeDns(o: ReputeDnsOptions): Promise<ServerProcess> {
  const profile = o.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`];
  const child = spawn(process.execPath, [...profile, '--conditions=source', 'services/dns/src/server.ts'], {
    cwd: o.root,
    env: {
      PATH: process.env['PATH'] ?? '',
      REDIS_URL: o.redisUrl,
      HOST: '127.0.0.1',
      PORT: String(o.adminPort),
      DNS_PORT: String(o.port),
      DNS_PUBLIC_ZONE: o.zone,
      // The benchmark is one client: the per-client limit would measure itself.
      DNS_RATE_LIMIT_QPS: '0',
      DNS_CACHE_MAX_ENTRIES: String(o.cacheEntries),
      DNS_ANSWER_CACHE_MAX_ENTRIES: String(o.answerEntries),
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_MS: '0',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await waitForAnswer(o.port, o.zone, child);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { name: 'repute', port: o.port, child, stop: () => stopChild(child) };
}

/** rbldnsd serving an ip4set file; `checkSeconds` is how often it looks for a changed file. */
export async function startRbldnsd(dir: string, file: string, port: number, zone: string, checkSeconds: number): Promise<ServerProcess> {
  // -n: stay in the foreground (no -q, which loads after backgrounding: its pid would be gone).
  const child = spawn('rbldnsd', ['-n', '-c', `${checkSeconds}s`, '-b', `127.0.0.1/${port}`, '-w', dir, '-t', '600', `${zone}:ip4set:${file}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitForAnswer(port, zone, child, 300_000);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { name: 'rbldnsd', port, child, stop: () => stopChild(child) };
}
