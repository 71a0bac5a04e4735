import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '@repute/infra';

// The API contract, checked from outside: schemathesis (PyPI) generates requests from the
// OpenAPI document the running service publishes and checks every answer against it (status
// codes, content types, schemas, that schema-valid requests are accepted and invalid ones
// refused, authentication, undeclared methods). The system runs as `npm start` runs it, on a
// private data folder; the figures go to bench-results/contract.json.
const USAGE = `usage: npm run contract -- [--max-time 120 | --max-examples 20 --seed 1] [--workers 2] [--strict] [--out file]
--max-time      seconds of generated requests (schemathesis --max-time)
--max-examples  generated requests per operation instead of a time budget; with --seed and
                one worker the run is reproducible (the test suite runs it so)
--seed          schemathesis's random seed
--workers       concurrent schemathesis workers (default 2)
--strict        exit 1 when any failure was found (the goal is none)
--out           where the figures go (default bench-results/contract.json)`;

const { values } = parseArgs({
  options: {
    'max-time': { type: 'string', default: '120' }, 'max-examples': { type: 'string' }, seed: { type: 'string' }, workers: { type: 'string', default: '2' },
    strict: { type: 'boolean', default: false }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  },
});
if (values.help === true) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const whole = (name: string, text: string | undefined, min: number): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} must be a whole number, at least ${min}\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
};
const maxTime = whole('max-time', values['max-time'], 10)!;
const maxExamples = whole('max-examples', values['max-examples'], 1);
const seed = whole('seed', values.seed, 0);
const workers = whole('workers', values.workers, 1)!;
const SCHEMATHESIS = '4.32.5';
const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const log = (line: string) => process.stderr.write(`[contract] ${line}\n`);

/** A venv with schemathesis, made once outside the repository and reused. */
function schemathesis(): string {
  const venv = join(homedir(), '.cache', 'repute', `schemathesis-${SCHEMATHESIS}`);
  const st = join(venv, 'bin', 'st');
  if (existsSync(st)) return st;
  log(`installing schemathesis ${SCHEMATHESIS} into ${venv}`);
  mkdirSync(dirname(venv), { recursive: true });
  for (const [cmd, args] of [['python3', ['-m', 'venv', venv]], [join(venv, 'bin', 'pip'), ['install', '--quiet', `schemathesis==${SCHEMATHESIS}`]]] as const) {
    const r = spawnSync(cmd, args, { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
  }
  return st;
}

/** `npm start`'s launcher on a private folder and port; resolves with its address and admin key. */
async function startSystem(dataDir: string): Promise<{ child: ChildProcess; url: string; key: string; log: () => string }> {
  const [port, redisPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--conditions=source', join(root, 'services/launcher/src/start.ts')], {
    env: { ...process.env, REPUTE_DATA_DIR: dataDir, PORT: String(port), REPUTE_REDIS_PORT: String(redisPort), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const key = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`the system did not start within 120 s:\n${out.slice(-2000)}`)), 120_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      const k = /admin key: (rpk_[A-Za-z0-9_-]+)/.exec(out);
      if (k !== null && /ready/.test(out)) {
        clearTimeout(timer);
        done(k[1]!);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', (code) => fail(new Error(`the system exited (${code}) before it was ready:\n${out.slice(-2000)}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, key, log: () => out };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

const st = schemathesis();
const dataDir = mkdtempSync(join(tmpdir(), 'repute-contract-'));
const system = await startSystem(dataDir);
log(`system at ${system.url}; schemathesis for ${maxExamples === undefined ? `${maxTime} s` : `${maxExamples} examples per operation`}`);
let output = '';
let exitCode: number | null;
try {
  const run = spawn(st, [
    '--config-file', join(root, 'loadtest/contract/schemathesis.toml'), 'run', `${system.url}/openapi.json`, '-H', `Authorization: Bearer ${system.key}`, '--checks', 'all',
    ...(maxExamples === undefined ? ['--max-time', String(maxTime)] : ['--max-examples', String(maxExamples), '--generation-database', 'none']),
    ...(seed === undefined ? [] : ['--seed', String(seed)]),
    '--workers', String(workers), '--phases', 'examples,coverage,fuzzing', '--no-color',
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  run.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  exitCode = await new Promise<number | null>((done) => run.on('exit', done));
} finally {
  await stop(system.child);
  rmSync(dataDir, { recursive: true, force: true });
}

// The summary: "❌ ST202 Schema-valid request rejected: 22", "... found 40 unique failures".
const byCheck: Record<string, { name: string; failures: number }> = {};
for (const m of output.matchAll(/❌ (ST\d+) ([^:\n]+): (\d+)/g)) byCheck[m[1]!] = { name: m[2]!.trim(), failures: Number(m[3]) };
const unique = Number(/(\d+) unique failures/.exec(output)?.[1] ?? 0);
const operations = Number(/Tested: (\d+)/.exec(output)?.[1] ?? 0);
const generated = Number(/(\d+) generated/.exec(output)?.[1] ?? 0);
const operationsFailing = new Map<string, Set<string>>();
let current = '';
for (const line of output.split('\n')) {
  const op = /^_{3,} (.+?) _{3,}$/.exec(line);
  if (op !== null) current = op[1]!;
  const check = /^- (ST\d+) /.exec(line);
  if (check !== null && current !== '') operationsFailing.set(current, (operationsFailing.get(current) ?? new Set()).add(check[1]!));
}

const rows = Object.entries(byCheck).sort((a, b) => b[1].failures - a[1].failures);
process.stdout.write(`\ncheck    failures  name\n-------  --------  ${'-'.repeat(40)}\n`);
for (const [code, c] of rows) process.stdout.write(`${code.padEnd(7)}  ${String(c.failures).padStart(8)}  ${c.name}\n`);
process.stdout.write(`\n${unique} unique failures over ${operations} operations, ${generated} requests generated (goal: 0); schemathesis exit ${exitCode}\n`);

const out = resolve(process.env['INIT_CWD'] ?? root, values.out ?? 'bench-results/contract.json');
mkdirSync(dirname(out), { recursive: true });
// The whole report, with each failure's request and answer, for whoever mends them.
writeFileSync(out.replace(/\.json$/, '.txt'), output);
// What the system logged (warnings and errors): the cause of a 500 is there, by request id.
writeFileSync(out.replace(/\.json$/, '.server.log'), system.log());
writeFileSync(out, `${JSON.stringify({
  bench: 'contract',
  measured_at: new Date().toISOString(),
  config: { schemathesis: SCHEMATHESIS, checks: 'all', phases: 'examples,coverage,fuzzing', workers, ...(maxExamples === undefined ? { max_time_s: maxTime } : { max_examples: maxExamples }), ...(seed === undefined ? {} : { seed }) },
  figures: { unique_failures: unique, operations, generated_requests: generated, by_check: byCheck },
  goals: { unique_failures: 0 },
  met: { unique_failures: unique === 0 },
  failing_operations: Object.fromEntries([...operationsFailing].map(([op, checks]) => [op, [...checks].sort()])),
}, null, 2)}\n`);
log(`wrote ${out}`);
if (values.strict && unique > 0) process.exit(1);
