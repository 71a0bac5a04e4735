import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configReference } from '../src/config-reference.ts';
import { launcherConfigSchema } from '../src/config.ts';

test('docs/configuration.md is the reference generated from the current schemas', () => {
  const committed = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(committed, configReference(), 'stale: run npm run config-docs --workspace @repute/launcher');
  for (const name of Object.keys(launcherConfigSchema)) assert.match(committed, new RegExp(`\\| \`${name}\` \\|`));
});
