#!/usr/bin/env node
// Runs the repute command from its TypeScript sources on Node 24 (type stripping): re-executes
// the current Node, or the repository's pinned one when this Node is older, with the "source"
// export condition so workspace packages resolve to their sources too.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
let node = process.execPath;
if (Number(process.versions.node.split('.')[0]) < 24) {
  const pinned = fileURLToPath(new URL('../../../node_modules/.bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write(`repute needs Node.js 24 (this is ${process.version}); run \`npm ci\` at the repository root, then \`npx repute ...\` there\n`);
    process.exit(1);
  }
  node = pinned;
}
const result = spawnSync(node, ['--conditions=source', '--disable-warning=ExperimentalWarning', main, ...process.argv.slice(2)], { stdio: 'inherit' });
if (result.error !== undefined) {
  process.stderr.write(`repute: cannot run ${node}: ${result.error.message}\n`);
  process.exit(1);
}
process.exit(result.status ?? 1);
