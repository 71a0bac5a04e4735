import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { startHello } from './baselines.ts';
import { cpuSeconds } from './proc-cpu.ts';
import { round, runPhase } from './run-phase.ts';

/** One generator driving the hello-world baseline as hard as it can. */
export interface GeneratorCheck {
  generator: string;
  rps: number;
  /** Cores the generator used: on 2 shared cores, what it takes is what the server lacks. */
  generatorCores: number;
  serverCores: number;
  /** Generator CPU per request, microseconds. */
  generatorUsPerRequest: number;
}

/** bombardier (MIT, Go) when built: BOMBARDIER names it, else the cache the docs build it into, else PATH. */
export function findBombardier(): string | undefined {
  const candidates = [process.env['BOMBARDIER'], join(homedir(), '.cache', 'repute', 'bin', 'bombardier')].filter((c): c is string => c !== undefined && c !== '');
  return candidates.find((c) => existsSync(c));
}

async function bombardier(bin: string, url: string, connections: number, durationS: number, serverPid: number | undefined): Promise<GeneratorCheck> {
  const serverBefore = cpuSeconds(serverPid) ?? 0;
  const child = spawn(bin, ['-c', String(connections), '-d', `${durationS}s`, '-l', '-o', 'json', '-p', 'r', url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  let generatorS = 0;
  const sampler = setInterval(() => { generatorS = cpuSeconds(child.pid) ?? generatorS; }, 200);
  await new Promise((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  const serverS = (cpuSeconds(serverPid) ?? 0) - serverBefore;
  const result = JSON.parse(out) as { result: { rps: { mean: number } } };
  const rps = result.result.rps.mean;
  return { generator: 'bombardier 1.2.6', rps: Math.round(rps), generatorCores: round(generatorS / durationS, 2), serverCores: round(serverS / durationS, 2), generatorUsPerRequest: round((generatorS * 1e6) / (rps * durationS), 1) };
}

/**
 * Drives the same hello-world with autocannon (closed loop, one thread) and, when it is
 * built, bombardier, at the same connections: the one that gets more requests per second out
 * of the server while taking less CPU for itself is the better generator on a shared 2-core box.
 */
export async function compareGenerators(connections: number, durationS: number, say: (line: string) => void): Promise<GeneratorCheck[]> {
  const hello = await startHello();
  const checks: GeneratorCheck[] = [];
  try {
    const a = await runPhase({ name: 'hello, autocannon', scenario: 'generators', autocannon: true, spec: { url: hello.url, connections, durationS, requests: [{ method: 'GET', path: '/' }], headers: {} }, serverPid: hello.pid });
    checks.push({ generator: 'autocannon 8', rps: Math.round(a.rps), generatorCores: a.generatorCores ?? 0, serverCores: a.serverCores ?? 0, generatorUsPerRequest: round(((a.generatorCores ?? 0) * 1e6) / a.rps, 1) });
    const o = await runPhase({ name: 'hello, net sockets', scenario: 'generators', spec: { url: hello.url, connections, durationS, requests: [{ method: 'GET', path: '/' }], headers: {} }, serverPid: hello.pid });
    checks.push({ generator: 'net-socket generator (load-worker.ts)', rps: Math.round(o.rps), generatorCores: o.generatorCores ?? 0, serverCores: o.serverCores ?? 0, generatorUsPerRequest: round(((o.generatorCores ?? 0) * 1e6) / o.rps, 1) });
    const bin = findBombardier();
    if (bin !== undefined) checks.push(await bombardier(bin, `${hello.url}/`, connections, durationS, hello.pid));
    else say('  bombardier not built (see docs/performance/README.md); compared autocannon only');
  } finally {
    await hello.stop();
  }
  for (const c of checks) say(`  ${c.generator.padEnd(38)} ${String(c.rps).padStart(7)} req/s  generator ${c.generatorCores} cores (${c.generatorUsPerRequest} µs/req)  server ${c.serverCores} cores`);
  return checks;
}

