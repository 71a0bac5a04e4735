import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataDirInUseError, lockDataDir } from '../src/data-dir-lock.ts';

const MODULE = new URL('../src/data-dir-lock.ts', import.meta.url).href;

test('one holder per data folder, however the folder is spelt; released, it can be taken again', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'repute-lock-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const link = `${dataDir}-link`;
  symlinkSync(dataDir, link);
  t.after(() => rmSync(link, { force: true }));

  const lock = await lockDataDir(dataDir);
  for (const spelling of [dataDir, link, join(dataDir, '.')]) {
    await assert.rejects(lockDataDir(spelling), (err: unknown) => err instanceof DataDirInUseError && err.pid === process.pid && err.dataDir === spelling);
  }
  await lock.release();
  const again = await lockDataDir(link);
  await again.release();
});

test('a holder killed with SIGKILL holds nothing', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'repute-lock-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const holder = spawn(process.execPath, ['--input-type=module', '-e', `
    const { lockDataDir } = await import(${JSON.stringify(MODULE)});
    await lockDataDir(${JSON.stringify(dataDir)});
    process.stdout.write('locked\\n');
    setInterval(() => {}, 1000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => holder.once('exit', resolve));
  t.after(async () => {
    holder.kill('SIGKILL');
    await exited;
  });
  await new Promise<void>((resolve, reject) => {
    holder.stdout.on('data', (d: Buffer) => { if (d.toString().includes('locked')) resolve(); });
    holder.once('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
  });

  await assert.rejects(lockDataDir(dataDir), (err: unknown) => err instanceof DataDirInUseError && err.pid === holder.pid);
  holder.kill('SIGKILL');
  await exited;
  const lock = await lockDataDir(dataDir);
  await lock.release();
});
