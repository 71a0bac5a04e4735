import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Indicator, IndicatorSets } from './indicators.ts';
import { lookupPath } from './lookup-mix.ts';

const run = promisify(execFile);

/**
 * Seeds the records the way an operator does: `repute import --as deny` for the malicious
 * values and `--as allow` for the clean ones (records, update stream and so the edge's
 * filters), on the data folder of the launcher this run started.
 */
export async function seedRecords(repoRoot: string, dataDir: string, sets: IndicatorSets): Promise<{ records: number; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'repute-loadtest-lists-'));
  const started = performance.now();
  try {
    const deny = join(dir, 'deny.txt');
    const allow = join(dir, 'allow.txt');
    writeFileSync(deny, `${sets.malicious.map((i) => i.value).join('\n')}\n`);
    writeFileSync(allow, `${sets.clean.map((i) => i.value).join('\n')}\n`);
    const env = { ...process.env, REPUTE_DATA_DIR: dataDir };
    const bin = join(repoRoot, 'node_modules', '.bin', 'repute');
    await run(bin, ['import', '--as', 'deny', '--format', 'lines', '--verdict', 'malicious', '--source', 'loadtest-deny', deny], { env, cwd: repoRoot, maxBuffer: 1 << 24 });
    await run(bin, ['import', '--as', 'allow', '--format', 'lines', '--source', 'loadtest-allow', allow], { env, cwd: repoRoot, maxBuffer: 1 << 24 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { records: sets.malicious.length + sets.clean.length, seconds: (performance.now() - started) / 1000 };
}

/** Asks the edge for a sample of each intent and counts the answers, so the report says what the mix really hit. */
export async function checkSeeds(url: string, key: string, sample: Indicator[]): Promise<Record<string, Record<string, number>>> {
  const answers: Record<string, Record<string, number>> = {};
  for (const i of sample) {
    const res = await fetch(`${url}${lookupPath(i)}`, { headers: { authorization: `Bearer ${key}` } });
    const verdict = res.ok ? ((await res.json()) as { verdict?: string }).verdict ?? '?' : `http ${res.status}`;
    const row = (answers[`${i.intent} ${i.kind}`] ??= {});
    row[verdict] = (row[verdict] ?? 0) + 1;
  }
  return answers;
}
