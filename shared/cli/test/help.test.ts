import assert from 'node:assert/strict';
import { test } from 'node:test';
import { repute } from './helpers.ts';

/** The names in the "Commands:" section of a help text (not `help` itself). */
function subcommands(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1];
  if (section === undefined) return [];
  // An entry starts two spaces in; its wrapped description lines start further in.
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!).filter((name) => name !== 'help');
}

test('every command and subcommand answers --help with what it does', async () => {
  const seen = new Map<string, string>();
  const visit = async (path: string[]): Promise<void> => {
    const run = await repute([...path, '--help'], {});
    const name = ['repute', ...path].join(' ');
    assert.equal(run.code, 0, `${name} --help: ${run.stderr}`);
    assert.match(run.stdout, new RegExp(`^Usage: ${name} `), `${name} --help shows its own usage`);
    // commander prints the description after the usage line and a blank line.
    const description = run.stdout.split('\n')[2] ?? '';
    assert.ok(description.trim().length > 10 && !/^(Options|Commands|Arguments):/.test(description), `${name} --help says what it does`);
    seen.set(path.join(' '), run.stdout);
    for (const sub of subcommands(run.stdout)) await visit([...path, sub]);
  };
  await visit([]);
  for (const expected of ['keys create', 'keys list', 'keys revoke', 'lookup', 'ingest', 'import', 'filters rebuild', 'status', 'simulate', 'dlq list', 'dlq show', 'dlq drop', 'dlq replay']) {
    assert.ok(seen.has(expected), `${expected} was visited`);
  }
  // Arguments that name files say that - reads standard input.
  for (const name of ['ingest', 'import', 'lookup']) assert.match(seen.get(name)!, /-: standard input/, `${name} --help mentions -`);
  assert.match(seen.get('simulate')!, /--events <n> +events to send in all, within 10%/);
});
