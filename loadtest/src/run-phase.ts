import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GeneratorResult, LoadSpec } from './load-spec.ts';
import { cpuSeconds } from './proc-cpu.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** A load phase as the report shows it. */
export interface Phase extends GeneratorResult {
  name: string;
  scenario: string;
  mode: 'closed' | 'open';
  connections: number;
  targetRate?: number;
  /** Items per request (indicators in a batch, events in a telemetry post). */
  itemsPerRequest: number;
  /** Cores the generator process used over the phase. */
  generatorCores?: number;
  /** Cores the server process used over the phase. */
  serverCores?: number;
}

export interface PhaseOptions {
  name: string;
  scenario: string;
  spec: LoadSpec;
  itemsPerRequest?: number;
  /** The server's pid, to read its CPU time. */
  serverPid?: number;
  say?: (line: string) => void;
  /** autocannon instead of the net-socket generator (closed loop only): the generator comparison uses it. */
  autocannon?: boolean;
}

/** Runs one phase in a generator process of its own: closed loop without a rate, constant rate (open loop) with one. */
export async function runPhase(options: PhaseOptions): Promise<Phase> {
  const mode = options.spec.rate === undefined ? 'closed' : 'open';
  const worker = join(here, options.autocannon === true && mode === 'closed' ? 'autocannon-worker.ts' : 'load-worker.ts');
  const serverBefore = cpuSeconds(options.serverPid);
  const child = spawn(process.execPath, ['--conditions=source', worker], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stdin.end(JSON.stringify(options.spec));
  // The generator's CPU is read just before it exits: /proc has nothing once it is reaped.
  let generatorS: number | undefined;
  const sampler = setInterval(() => { generatorS = cpuSeconds(child.pid) ?? generatorS; }, 200);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`the load generator for ${options.name} exited ${code}`);
  const serverAfter = cpuSeconds(options.serverPid);
  const result = JSON.parse(out) as GeneratorResult;
  const phase: Phase = {
    name: options.name,
    scenario: options.scenario,
    mode,
    connections: options.spec.connections,
    itemsPerRequest: options.itemsPerRequest ?? 1,
    ...result,
    ...(options.spec.rate !== undefined ? { targetRate: options.spec.rate } : {}),
    ...(generatorS !== undefined ? { generatorCores: round(generatorS / result.durationS, 2) } : {}),
    ...(serverBefore !== undefined && serverAfter !== undefined ? { serverCores: round((serverAfter - serverBefore) / result.durationS, 2) } : {}),
  };
  const l = phase.latency;
  const rate = phase.targetRate !== undefined ? ` (target ${Math.round(phase.targetRate)})` : '';
  const cpu = phase.serverCores !== undefined ? `  server ${phase.serverCores} cores` : '';
  const odd = Object.entries(phase.statuses ?? {}).filter(([s]) => !s.startsWith('2')).map(([s, c]) => `${s}×${c}`).join(' ');
  options.say?.(`  ${phase.name.padEnd(38)} ${Math.round(phase.rps).toString().padStart(7)} req/s${rate}  p50 ${l.p50}  p95 ${l.p95}  p99 ${l.p99} ms  non-2xx ${phase.non2xx}${odd !== '' ? ` (${odd})` : ''}  errors ${phase.errors}${cpu}  generator ${phase.generatorCores ?? '?'} cores`);
  return phase;
}

export const round = (n: number, digits = 0): number => Math.round(n * 10 ** digits) / 10 ** digits;
