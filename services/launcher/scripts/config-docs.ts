import { readFileSync, writeFileSync } from 'node:fs';
import { configReference } from '../src/config-reference.ts';

// Writes docs/configuration.md; `--check` exits 1 when the committed file is stale.
const target = new URL('../../../docs/configuration.md', import.meta.url);
const text = configReference();
if (process.argv.includes('--check')) {
  const current = readFileSync(target, 'utf8');
  if (current !== text) {
    console.error('docs/configuration.md is stale: run npm run config-docs --workspace @repute/launcher');
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target.pathname}`);
}
