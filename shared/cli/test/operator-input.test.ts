import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { closeTestServices } from '@repute/infra/testkit';
import { startApiServer, type ApiServer } from './api-server.ts';
import { repute } from './helpers.ts';

let api: ApiServer;
let env: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), 'repute-cli-input-'));

before(async () => {
  api = await startApiServer('cli_input');
  env = api.env;
});

after(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
  await closeTestServices();
});

async function keyFor(scopes: string): Promise<string> {
  const created = await repute(['keys', 'create', '--tenant', 'ops', '--scopes', scopes], env);
  assert.equal(created.code, 0, created.stderr);
  return created.stdout.trimEnd().split('\n').at(-1)!;
}

/** A valid telemetry event as NDJSON line, with an id unique to this run. */
function eventLine(i: number, extra: Record<string, unknown> = {}): string {
  const tag = randomBytes(6).toString('hex');
  return JSON.stringify({ id: `evt-${tag}-${i}`, sensor: 'sensor-1', host: 'host-1', time: Date.now() - 1000, type: 'file_seen', file: { sha256: randomBytes(32).toString('hex'), name: `f${i}.exe` }, ...extra });
}

test('ingest - reads the events from standard input', async () => {
  const key = await keyFor('ingest');
  const ndjson = `${[0, 1, 2].map((i) => eventLine(i)).join('\n')}\n`;
  const text = await repute(['ingest', '--key', key, '-'], env, ndjson);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^accepted 3, rejected 0 in 1 request\(s\)/);
  const json = await repute(['--json', 'ingest', '--key', key, '-'], env, `${eventLine(3)}\n\n${eventLine(4)}\n`);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual((({ accepted, rejected, requests }) => ({ accepted, rejected, requests }))(JSON.parse(json.stdout) as { accepted: number; rejected: number; requests: number }), { accepted: 2, rejected: 0, requests: 1 });
});

test('an ingest in which every event is rejected exits 1 and says how many and why; some rejected is still a success', async () => {
  const key = await keyFor('ingest');
  const bad = [eventLine(0, { time: 'yesterday' }), eventLine(1, { type: 'nonsense' }), '{not json'].join('\n');
  const file = join(dir, 'bad.ndjson');
  writeFileSync(file, `${bad}\n`);
  const all = await repute(['ingest', '--key', key, file], env);
  assert.equal(all.code, 1, all.stderr);
  assert.match(all.stdout, /^accepted 0, rejected 3/);
  assert.match(all.stderr, /^repute: every event was rejected \(3\): /);
  assert.match(all.stderr, /invalid_field 2/);
  assert.match(all.stderr, /invalid_json 1/);
  assert.match(all.stderr, /first: line 1: invalid_field \(\/time\)/);
  assert.equal(all.stderr.trim().split('\n').length, 1, 'one line on stderr');

  // The same from standard input, and with --json: stdout keeps the document, the exit code says it failed.
  const piped = await repute(['--json', 'ingest', '--key', key, '-'], env, `${bad}\n`);
  assert.equal(piped.code, 1, piped.stderr);
  assert.equal((JSON.parse(piped.stdout) as { rejected: number }).rejected, 3);
  assert.match(piped.stderr, /every event was rejected \(3\)/);

  const mixed = `${eventLine(5)}\n${bad}\n`;
  const some = await repute(['ingest', '--key', key, '-'], env, mixed);
  assert.equal(some.code, 0, some.stderr);
  assert.match(some.stdout, /^accepted 1, rejected 3/);
  assert.doesNotMatch(some.stderr, /every event/);
  assert.equal((await repute(['--strict', 'ingest', '--key', key, '-'], env, mixed.replace(/evt-/g, 'evt-again-'))).code, 3);
});

test('a file that cannot be read is reported with the reason, for every command that reads files', async () => {
  const missing = join(dir, 'no-such.ndjson');
  const folder = join(dir, 'a-folder');
  mkdirSync(folder);
  // A file only its owner may read, in a folder anyone may enter: root reads everything, so
  // when the tests run as root the command runs as `nobody` for this case.
  const shut = join(mkdtempSync(join(tmpdir(), 'repute-cli-shut-')), 'shut.txt');
  chmodSync(join(shut, '..'), 0o755);
  writeFileSync(shut, 'example.com\n');
  chmodSync(shut, 0o000);
  const asOther = process.getuid?.() === 0 ? { uid: 65534 } : {};
  const commands: [string, (file: string) => string[]][] = [
    ['ingest', (f) => ['ingest', '--key', 'rpk_unused', f]],
    ['import', (f) => ['import', '--as', 'deny', f]],
    ['lookup', (f) => ['lookup', '--key', 'rpk_unused', '--file', f]],
  ];
  for (const [name, args] of commands) {
    for (const [file, why, options] of [[missing, 'no such file', {}], [folder, 'is a directory', {}], [shut, 'permission denied', asOther]] as const) {
      const run = await repute(args(file), env, undefined, options);
      assert.equal(run.code, 1, `${name} ${file}: ${run.stderr}`);
      assert.equal(run.stderr, `repute: cannot read ${file}: ${why}\n`, name);
    }
  }
  rmSync(join(shut, '..'), { recursive: true, force: true });
});

test('import - and lookup --file - read standard input', async () => {
  const key = await keyFor('lookup');
  const domain = `stdin-${randomBytes(4).toString('hex')}.example`;
  const imported = await repute(['--json', 'import', '--as', 'deny', '-'], env, `# from a pipe\n${domain}\n`);
  assert.equal(imported.code, 0, imported.stderr);
  const report = JSON.parse(imported.stdout) as { files: { file: string; source: string; format: string; imported: number }[] };
  assert.deepEqual(report.files.map(({ file, source, format, imported }) => ({ file, source, format, imported })), [{ file: '-', source: 'stdin', format: 'lines', imported: 1 }]);
  assert.equal((await repute(['import', '--as', 'deny', '-', '-'], env, '')).code, 2, 'standard input twice is a usage error');

  const looked = await repute(['--json', 'lookup', '--key', key, '--file', '-'], env, `${domain}\n`);
  assert.equal(looked.code, 0, looked.stderr);
  const answer = JSON.parse(looked.stdout) as { results: { verdict: string; reasons?: { rule: string; detail?: string }[] }[] };
  assert.equal(answer.results[0]?.verdict, 'malicious');
  assert.equal(answer.results[0]?.reasons?.[0]?.detail, 'stdin');
});
