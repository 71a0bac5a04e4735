import { spawn } from 'node:child_process';

/** What one dnsperf run measured. */
export interface DnsperfResult {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  avgLatencyMs: number;
  /** From per-query latencies (only when run with `verbose`). */
  p50Ms?: number;
  p99Ms?: number;
  rcodes: Record<string, number>;
}

export interface DnsperfOptions {
  port: number;
  queryFile: string;
  seconds: number;
  /** Queries per second cap (-Q); absent: as fast as the server answers. */
  maxQps?: number;
  outstanding?: number;
  threads?: number;
  clients?: number;
  /** Passes over the query file at most (-n), e.g. 1 for a warm-up. */
  maxRuns?: number;
  /** Per-query lines (-v): needed for percentiles, and costs dnsperf some CPU. */
  verbose?: boolean;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs dnsperf against 127.0.0.1 and parses its summary (and per-query latencies with -v). */
export async function runDnsperf(o: DnsperfOptions): Promise<DnsperfResult> {
  const args = ['-s', '127.0.0.1', '-p', String(o.port), '-d', o.queryFile, '-l', String(o.seconds), '-q', String(o.outstanding ?? 200), '-T', String(o.threads ?? 1), '-c', String(o.clients ?? 4), '-t', '2'];
  if (o.maxQps !== undefined) args.push('-Q', String(o.maxQps));
  if (o.maxRuns !== undefined) args.push('-n', String(o.maxRuns));
  if (o.verbose === true) args.push('-v');
  const child = spawn('dnsperf', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const latencies: number[] = [];
  let summary = '';
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const text = partial + chunk;
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      // -v lines: "> NOERROR 2.0.0.127.zone A 0.000123"
      if (line.startsWith('> ')) {
        const seconds = Number(line.slice(line.lastIndexOf(' ') + 1));
        if (Number.isFinite(seconds)) latencies.push(seconds * 1000);
      } else summary += `${line}\n`;
    }
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`dnsperf exited ${code}: ${stderr}`);
  summary += partial;
  const num = (re: RegExp): number => Number(re.exec(summary)?.[1] ?? NaN);
  const rcodes: Record<string, number> = {};
  const codes = /Response codes:\s+(.*)/.exec(summary)?.[1] ?? '';
  for (const m of codes.matchAll(/([A-Z]+) (\d+)/g)) rcodes[m[1]!] = Number(m[2]);
  latencies.sort((a, b) => a - b);
  return {
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    qps: num(/Queries per second:\s+([\d.]+)/),
    avgLatencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    ...(latencies.length > 0 ? { p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) } : {}),
    rcodes,
  };
}
