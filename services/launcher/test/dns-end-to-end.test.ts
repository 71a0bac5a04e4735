import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '@repute/infra';
import { baseEnv, CLI, launch, ROOT, shutdown, until, type Launched } from './launched-system.ts';

// The DNS lists through the whole loop as `npm start` runs it: telemetry posted through the
// ingest API, scored by the correlator, and the verdict answered over DNS (by dig, a real
// client) from the same records as the lookup API, in the tenant's zone with its own view.

const run = promisify(execFile);
const FILE = 'daa5d2bf88f1bd2db5662a6dca95ef67e26f1a19002d65e1e6b282f271c92e6a';
const TENANT_ZONE = 'bl.agents.test';
const PUBLIC_ZONE = 'bl.public.test';

interface Answer { status: string; records: string[] }

async function dig(port: number, name: string, type = 'A'): Promise<Answer> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=3', '+norec', name, type]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const answer = /;; ANSWER SECTION:\n([\s\S]*?)(?:\n\n|$)/.exec(stdout)?.[1] ?? '';
  return {
    status: /status: ([A-Z]+)/.exec(stdout)?.[1] ?? 'NO-ANSWER',
    records: answer.split('\n').filter((l) => l.trim() !== '').map((l) => l.split(/\s+/).slice(4).join(' ')),
  };
}

test('telemetry in, verdict out over DNS: the tenant’s zone lists the file as malicious, the public zone as suspicious, as the lookup API says', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'repute-dns-e2e-'));
  let system: Launched | undefined;
  t.after(async () => {
    await shutdown(system);
    rmSync(dataDir, { recursive: true, force: true });
  });
  const dnsPort = await freePort();
  system = await launch(dataDir, { env: { DNS_PORT: String(dnsPort), DNS_PUBLIC_ZONE: PUBLIC_ZONE, DNS_ZONES: `${TENANT_ZONE}=agents` } });
  const cli = async (args: string[]): Promise<string> => (await run(process.execPath, [CLI, ...args], { cwd: ROOT, env: baseEnv(dataDir) })).stdout;
  const key = (await cli(['keys', 'create', '--tenant', 'agents', '--scopes', 'lookup,ingest'])).trimEnd().split('\n').at(-1)!;

  // A SHA-256 list name is the hash in two 32-digit labels.
  const name = (zone: string): string => `${FILE.slice(0, 32)}.${FILE.slice(32)}.${zone}`;
  assert.equal((await dig(dnsPort, name(TENANT_ZONE))).status, 'NXDOMAIN', 'the file is unknown before its telemetry');
  assert.deepEqual((await dig(dnsPort, `2.0.0.127.${PUBLIC_ZONE}`)).records, ['127.0.0.2'], 'the RFC 5782 test entry answers');

  await cli(['ingest', 'examples/events.ndjson', '--key', key, '--restamp']);
  const lookup = async (): Promise<string> => {
    const res = await fetch(`${system!.url}/v1/reputation/file/${FILE}`, { headers: { authorization: `Bearer ${key}` } });
    return ((await res.json()) as { verdict: string }).verdict;
  };
  await until('the tenant’s DNS listing', async () => (await dig(dnsPort, name(TENANT_ZONE))).records.includes('127.0.0.2'), 60_000);
  assert.equal(await lookup(), 'malicious');
  // Every other tenant, and the public zone, see one tenant's evidence as suspicious at most.
  assert.deepEqual((await dig(dnsPort, name(PUBLIC_ZONE))).records, ['127.0.0.3']);
  const txt = await dig(dnsPort, name(TENANT_ZONE), 'TXT');
  assert.match(txt.records.join(' '), /malicious.*sandbox\.malicious/);
});
