import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { baseEnv, CLI, launch, ROOT, shutdown, type Launched } from './launched-system.ts';

// The README's "A lookup, end to end" runs as written: its commands against the system started
// as `npm start` starts it, and what they print is what the README shows.

const run = promisify(execFile);

interface Walkthrough {
  keysCreate: string[];
  ingestFile: string;
  /** The ingest command's arguments after `npx repute`. */
  ingestArgs: string[];
  ingestOutput: string;
  lookupArgs: string[];
  lookupOutput: string[];
}

/** The commands and outputs of the README's end-to-end block: command lines, each followed by what it prints. */
function readmeWalkthrough(): Walkthrough {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## A lookup, end to end'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block !== undefined, 'README.md has no sh block under "A lookup, end to end"');
  // Trailing blanks (the CLI ends an answer without reasons with a tab) are not compared.
  const lines = block.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
  const commandAt = (prefix: string): number => {
    const i = lines.findIndex((l) => l.includes(prefix));
    assert.ok(i >= 0, `README block has no "${prefix}" line`);
    return i;
  };
  const isCommand = (line: string): boolean => /^(npm |npx |KEY=)/.test(line);
  const outputAfter = (i: number): string[] => {
    const out: string[] = [];
    for (let j = i + 1; j < lines.length && !isCommand(lines[j]!); j++) out.push(lines[j]!);
    return out;
  };
  const words = (line: string): string[] => line.replace(/#.*$/, '').trim().split(/\s+/);
  const keysLine = lines[commandAt('repute keys create')]!;
  const keysCreate = words(/\$\(npx repute (.*?)\s*\|/.exec(keysLine)?.[1] ?? '');
  const ingestAt = commandAt('npx repute ingest');
  const ingest = words(lines[ingestAt]!);
  const lookupAt = commandAt('npx repute lookup');
  const lookup = words(lines[lookupAt]!);
  return {
    keysCreate,
    ingestFile: ingest[3]!,
    ingestArgs: ingest.slice(2),
    ingestOutput: outputAfter(ingestAt).join('\n'),
    lookupArgs: lookup.slice(2),
    lookupOutput: outputAfter(lookupAt),
  };
}

async function repute(dataDir: string, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, ...args], { cwd: ROOT, env: baseEnv(dataDir), maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

test('the README\'s lookup, end to end: examples/events.ndjson through the real APIs gives the verdicts the README shows', async (t) => {
  const walk = readmeWalkthrough();
  assert.deepEqual(walk.keysCreate.slice(0, 2), ['keys', 'create']);
  assert.equal(walk.ingestFile, 'examples/events.ndjson');
  assert.ok(walk.lookupOutput.length > 0, 'the README shows what lookup prints');

  const dataDir = mkdtempSync(join(tmpdir(), 'repute-readme-'));
  let system: Launched | undefined;
  t.after(async () => {
    await shutdown(system);
    rmSync(dataDir, { recursive: true, force: true });
  });
  system = await launch(dataDir);

  const key = (await repute(dataDir, walk.keysCreate)).trimEnd().split('\n').at(-1)!;
  assert.match(key, /^rpk_/);

  // The examples carry fixed times and ingest refuses events older than 30 days: the README's
  // command moves them to the present (`--restamp`), so it works any day.
  assert.ok(walk.ingestArgs.includes('--restamp'), 'the README ingests the examples with --restamp');

  // The seconds it took are the one figure that differs between runs.
  const seconds = (s: string): string => s.replace(/\d+(\.\d+)? s$/m, 'N s');
  const ingested = await repute(dataDir, walk.ingestArgs.map((a) => (a === '$KEY' ? key : a)));
  assert.equal(seconds(ingested.trimEnd()), seconds(walk.ingestOutput));

  // The correlator scores within a second; the relation reaches the URL with propagation.
  const args = walk.lookupArgs.map((a) => (a === '$KEY' ? key : a));
  const deadline = Date.now() + 60_000;
  let printed: string[] = [];
  for (;;) {
    printed = (await repute(dataDir, args)).trimEnd().split('\n').map((l) => l.trimEnd());
    if (JSON.stringify(printed) === JSON.stringify(walk.lookupOutput)) break;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.deepEqual(printed, walk.lookupOutput);

  // As the README says next: the evidence came from one tenant, so every other tenant sees the
  // file as suspicious, with the guard that says why.
  const other = (await repute(dataDir, ['keys', 'create', '--tenant', 'someone-else', '--scopes', 'lookup'])).trimEnd().split('\n').at(-1)!;
  const hash = walk.lookupArgs.find((a) => /^[0-9a-f]{64}$/.test(a))!;
  const res = await fetch(`${system.url}/v1/reputation/file/${hash}`, { headers: { authorization: `Bearer ${other}` } });
  assert.equal(res.status, 200);
  const answer = (await res.json()) as { verdict: string; reasons: { rule: string }[] };
  assert.equal(answer.verdict, 'suspicious');
  assert.ok(answer.reasons.some((r) => r.rule === 'guard.single_tenant'), JSON.stringify(answer.reasons));

  // The document the system publishes gives the event schema of POST /v1/telemetry's body.
  interface ObjectSchema { required?: string[]; properties?: Record<string, unknown> }
  type Media = { schema: { items?: { anyOf?: ObjectSchema[] } } };
  const doc = (await (await fetch(`${system.url}/openapi.json`)).json()) as { paths: Record<string, { post?: { requestBody?: { content: Record<string, Media> } } }> };
  const content = doc.paths['/v1/telemetry']?.post?.requestBody?.content;
  assert.ok(content !== undefined, 'POST /v1/telemetry has no documented body');
  for (const type of ['application/json', 'application/x-ndjson']) {
    const branches: ObjectSchema[] = content[type]?.schema.items?.anyOf ?? [];
    const event: ObjectSchema | undefined = branches.find((s) => s.properties !== undefined);
    assert.ok(event !== undefined, `${type}: the items do not give the event schema`);
    assert.deepEqual([...(event.required ?? [])].sort(), ['host', 'id', 'sensor', 'time', 'type']);
    for (const field of ['file', 'url', 'domain', 'ip', 'port', 'sender', 'relations', 'verdict']) assert.ok(field in event.properties!, `${type}: no ${field}`);
  }
});
