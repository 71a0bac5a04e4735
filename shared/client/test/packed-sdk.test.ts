import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { closeTestServices } from '@repute/infra/testkit';
import { randomSha, startEdge } from './helpers.ts';

after(closeTestServices);

const run = promisify(execFile);
const clientDir = fileURLToPath(new URL('..', import.meta.url));
const coreDir = fileURLToPath(new URL('../../core', import.meta.url));
const fixtures = fileURLToPath(new URL('fixtures/', import.meta.url));

/** The plain Node the SDK promises to run on (20, no type stripping), not the repo's Node 24. */
async function plainNode(): Promise<{ path: string; version: string }> {
  const path = process.env.REPUTE_PLAIN_NODE ?? '/usr/bin/node';
  let version: string;
  try {
    version = (await run(path, ['--version'])).stdout.trim();
  } catch (err) {
    throw new Error(`no plain Node at ${path}: install Node 20 there or set REPUTE_PLAIN_NODE`, { cause: err });
  }
  const major = Number(/^v(\d+)\./.exec(version)?.[1]);
  assert.ok(major >= 20, `${path} is Node ${version}; the SDK supports Node 20 and later`);
  return { path, version };
}

interface Packed {
  filename: string;
  files: { path: string }[];
}

/** Packs `dir` (its prepack builds dist/); a dist/ that was not there before is removed after the test. */
async function pack(t: TestContext, dir: string, destination: string): Promise<Packed> {
  const dist = join(dir, 'dist');
  if (!existsSync(dist)) t.after(() => rm(dist, { recursive: true, force: true }));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination], { cwd: dir, maxBuffer: 16 << 20 });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Packed[];
  assert.ok(packed !== undefined, `npm pack of ${dir} printed no result`);
  return packed;
}

/** Packs the installed copies of a package's registry dependencies, and of theirs; their tarball paths. */
async function packRegistryDependencies(dir: string, destination: string): Promise<string[]> {
  const modules = fileURLToPath(new URL('../../../node_modules/', import.meta.url));
  const seen = new Set<string>();
  const pending = Object.keys((JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {});
  const out: string[] = [];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (seen.has(name) || name.startsWith('@repute/')) continue;
    seen.add(name);
    const installed = join(modules, name);
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    pending.push(...Object.keys(manifest.dependencies ?? {}));
    // As installed: their own prepack scripts build from sources the registry tarball leaves out.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', destination, installed], { maxBuffer: 16 << 20 });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Packed[];
    assert.ok(packed !== undefined, `npm pack of ${installed} printed no result`);
    out.push(join(destination, packed.filename));
  }
  return out;
}

async function compiledBesideSources(dir: string): Promise<string[]> {
  const names = await readdir(join(dir, 'src'), { recursive: true });
  return names.filter((name) => /\.(js|d\.ts|js\.map)$/.test(name));
}

test('the packed SDK installs from its tarballs and runs on plain Node with a pinned key', async (t) => {
  const node = await plainNode();
  const work = await mkdtemp(join(tmpdir(), 'repute-packed-sdk-'));
  t.after(() => rm(work, { recursive: true, force: true }));

  const core = await pack(t, coreDir, work);
  const client = await pack(t, clientDir, work);
  for (const packed of [core, client]) {
    const files = packed.files.map((f) => f.path);
    assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts'), `${packed.filename} holds the build`);
    assert.deepEqual(files.filter((f) => !f.startsWith('dist/') && f !== 'package.json' && f !== 'README.md'), [], `${packed.filename} holds nothing else`);
  }
  assert.ok(client.files.some((f) => f.path === 'dist/public-key.js'));
  assert.deepEqual([...await compiledBesideSources(coreDir), ...await compiledBesideSources(clientDir)], [], 'the build writes to dist/ only');

  const project = join(work, 'agent');
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'agent', private: true, type: 'module' }));
  // Offline, with nothing asked of the registry: the SDK's own registry dependencies (tldts) are
  // packed from the versions the repository installed. npm ci caches tarballs but not the
  // registry's package documents, so on a fresh machine an install that resolves `tldts@^7`
  // waits on the registry (and on its 404 for @repute/core) as long as the registry likes.
  const registryDeps = await packRegistryDependencies(coreDir, work);
  const tarballs = [join(work, core.filename), join(work, client.filename), ...registryDeps];
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', ...tarballs], { cwd: project, maxBuffer: 16 << 20, timeout: 120_000 });
  const lock = JSON.parse(await readFile(join(project, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> };
  assert.match(lock.packages['node_modules/@repute/core']?.resolved ?? '', /^file:.*repute-core-0\.1\.0\.tgz$/, 'the client depends on the core tarball, not the registry');
  assert.equal(lock.packages['node_modules/@repute/client/node_modules/@repute/core'], undefined);

  // A TypeScript consumer sees the declarations (no source condition, Node's own resolution).
  await copyFile(join(fixtures, 'packed-consumer.ts'), join(project, 'consumer.ts'));
  await writeFile(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true,
      types: ['node'], typeRoots: [join(clientDir, '../../node_modules/@types')],
    },
    files: ['consumer.ts'],
  }));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', project], { cwd: project }).catch((err: { stdout?: string }) => {
    assert.fail(`the installed declarations do not type-check:\n${err.stdout ?? String(err)}`);
  });

  const edge = await startEdge(t);
  const malicious = randomSha();
  await edge.write('file', malicious, 'malicious');
  await edge.app.edgeFilterJobs.rebuild();
  // The operator's step from the README: save what the endpoint returns and ship it.
  const keyFile = join(work, 'filter-key.json');
  const keyResponse = await fetch(`${edge.url}/v1/filters/public-key`);
  assert.equal(keyResponse.status, 200);
  await writeFile(keyFile, await keyResponse.text());

  await copyFile(join(fixtures, 'packed-agent.js'), join(project, 'agent.js'));
  const args = JSON.stringify({ baseUrl: edge.url, apiKey: await edge.createKey(), keyFile, malicious });
  const { stdout } = await run(node.path, ['agent.js', args], { cwd: project, timeout: 60_000 });
  const report = JSON.parse(stdout) as Record<string, Record<string, unknown>> & { node: string };

  assert.equal(report.node, node.version);
  const loaded = { kinds: ['domain', 'file', 'ip', 'url'], hit: { verdict: 'malicious', source: 'service' }, negative: { verdict: 'unknown', source: 'filter' } };
  assert.deepEqual(report.document, loaded, 'pinned as the saved /v1/filters/public-key document');
  assert.deepEqual(report.pem, loaded, 'pinned as the PEM inside it');
  assert.deepEqual(pick(report.wrongKey), { name: 'FilterVerificationError', code: 'REPUTE_CLIENT_SNAPSHOT_SIGNATURE', isClientError: true, isVerificationError: true });
  assert.equal(report.wrongKey?.loaded, 0, 'no filter is loaded under a wrong key');
  for (const name of ['malformed', 'rsa']) {
    assert.deepEqual(pick(report[name]), { name: 'FilterVerificationError', code: 'REPUTE_CLIENT_PUBLIC_KEY_INVALID', isClientError: true, isVerificationError: true }, name);
  }
});

function pick(seen: Record<string, unknown> | undefined): Record<string, unknown> {
  const { name, code, isClientError, isVerificationError } = seen ?? {};
  return { name, code, isClientError, isVerificationError };
}
