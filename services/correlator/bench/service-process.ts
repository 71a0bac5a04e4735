import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from '@repute/infra';

/** A service started as its own process, the way a deployment runs it. */
export interface ServiceProcess {
  pid: number;
  url: string;
  /** CPU time (user + system, every thread) the process has used so far, µs. */
  cpuUs(): number;
  /** SIGTERM, then waits for the exit (SIGKILL after 30 s). */
  stop(): Promise<void>;
}

/**
 * Starts `entry` (a server script) with `env` on a free loopback port and resolves once its
 * /readyz answers 200. What it writes to stderr is kept and quoted if it exits early.
 */
export async function startService(name: string, entry: URL, env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=source', fileURLToPath(entry)], {
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port), SHUTDOWN_DRAIN_MS: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const kill = (): void => { child.kill('SIGKILL'); };
  process.once('exit', kill);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => { gone = true; });
  await waitFor(`${name} to be ready`, async () => {
    if (gone) throw new Error(`${name} exited: ${stderr}`);
    return (await fetch(`${url}/readyz`)).ok ? true : undefined;
  }, 120_000, 50).catch((err: unknown) => {
    kill();
    throw new Error(`${name} did not start: ${stderr}`, { cause: err });
  });
  return {
    pid: child.pid!,
    url,
    cpuUs() {
      // Fields 14 and 15 of /proc/<pid>/stat (after the command name): utime and stime in ticks of 10 ms.
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10_000;
    },
    async stop() {
      if (!gone) {
        child.kill('SIGTERM');
        const timer = setTimeout(kill, 30_000);
        await exited;
        clearTimeout(timer);
      }
      process.removeListener('exit', kill);
    },
  };
}

/** The sum of a Prometheus counter's series, read from a service's /metrics. */
export async function counterTotal(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
