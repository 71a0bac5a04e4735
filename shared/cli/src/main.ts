import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { loadCliConfig } from './cli-config.ts';
import { CliError, EXIT } from './cli-error.ts';
import type { CommandContext } from './context.ts';
import { dlqDrop, dlqList, dlqReplay, dlqShow } from './commands/dlq.ts';
import { dnsQuery, type DnsQueryOptions } from './commands/dns.ts';
import { filtersRebuild } from './commands/filters.ts';
import { importLists } from './commands/import.ts';
import { ingest } from './commands/ingest.ts';
import { keysCreate, keysList, keysRevoke } from './commands/keys.ts';
import { lookup } from './commands/lookup.ts';
import { simulate, type SimulateOptions } from './commands/simulate.ts';
import { status } from './commands/status.ts';
import { LIST_FORMATS } from './list-formats.ts';
import { INDICATOR_KINDS, LOOKUP_KINDS } from '@repute/core';

// Exit codes: 0 ok, 1 failure, 2 usage error, 3 partial (rejects, or a simulation below its bounds) when --strict asks for it.

/** The version in this package's package.json, which `npm version` keeps. */
function cliVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

const program = new Command('repute')
  .description('Operate a Repute deployment: API keys, lookups, telemetry, list imports, filters, status, dead letters, simulations.\n'
    + 'Admin commands talk to its Redis (REDIS_URL, else the one `npm start` runs for REPUTE_DATA_DIR);\n'
    + 'lookup and ingest use the HTTP API (--url / REPUTE_API_URL, --key / REPUTE_API_KEY).')
  .option('--json', 'print results as JSON', false)
  .option('--progress', 'show progress bars even when stderr is not a terminal', false)
  .option('--strict', 'exit 3 when some input was rejected (simulate: when quality is below its bounds)', false)
  .version(cliVersion(), '-V, --version', 'print the version of repute')
  .showHelpAfterError()
  .exitOverride();

let exitCode: number = EXIT.ok;
function run<A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const globals = program.opts<{ json: boolean; progress: boolean; strict: boolean }>();
    const ctx: CommandContext = { config: loadCliConfig(), json: globals.json, progress: globals.progress, strict: globals.strict };
    exitCode = await fn(ctx, ...args);
  };
}

const keys = program.command('keys').description('API keys (stored hashed; a key is shown once, when created)');
keys.command('create')
  .description('create a key; the key is the last line of the output')
  .requiredOption('--tenant <name>', 'tenant the key belongs to')
  .option('--scopes <scope,...>', 'lookup, ingest, analyst, partner, admin', 'lookup')
  .option('--rate-limit <n>', 'requests per minute (default: the service default)')
  .option('--daily-quota <n>', 'requests per UTC day (default: unlimited)')
  .option('--trusted', 'mark the key a trusted source (your own sandbox farm, a vendor feed): the telemetry it sends may convict an indicator for every tenant on its own; other keys\' evidence alone convicts only in their own tenant\'s view', false)
  .action(run((ctx, options: { tenant: string; scopes: string; rateLimit?: string; dailyQuota?: string; trusted: boolean }) => keysCreate(ctx, options)));
keys.command('list').description('list keys (never the keys themselves)').action(run((ctx) => keysList(ctx)));
keys.command('revoke').description('revoke a key by id; edges drop it within a second').argument('<id>', 'key id, as `keys list` shows it')
  .action(run((ctx, id: string) => keysRevoke(ctx, id)));

program.command('lookup')
  .description('look indicators up (kinds detected unless --kind); arguments, --file or stdin')
  .argument('[indicator...]', 'indicators to look up (none: --file, else one a line on stdin)')
  .addOption(new Option('--kind <kind>', 'kind of every indicator').choices([...INDICATOR_KINDS]))
  .option('--file <path>', 'indicators, one a line (-: standard input)')
  .option('--url <url>', 'API base URL')
  .option('--key <key>', 'API key with the lookup scope')
  .action(run((ctx, values: string[], options: { kind?: string; file?: string; url?: string; key?: string }) => lookup(ctx, values, options)));

program.command('ingest')
  .description('post telemetry events from an NDJSON file, 1000 a request; exits 1 when every event is rejected')
  .argument('<file.ndjson>', 'one telemetry event a line (-: standard input)')
  .option('--url <url>', 'API base URL')
  .option('--key <key>', 'API key with the ingest scope')
  .option('--restamp', 'move the events to the present, keeping their order and spacing (ingest refuses events older than 30 days): for examples and recorded incidents')
  .action(run((ctx, file: string, options: { url?: string; key?: string; restamp?: boolean }) => ingest(ctx, file, options)));

program.command('import')
  .description('import threat lists as records: plain lists, CSV, STIX 2.1, MISP warning lists, maltrail, IPsum')
  .argument('<file...>', 'list files (-: standard input, once)')
  .addOption(new Option('--as <mode>', 'deny: malicious/suspicious records; allow: clean records').choices(['allow', 'deny']).makeOptionMandatory())
  .addOption(new Option('--format <format>', 'list format').choices([...LIST_FORMATS]).default('auto'))
  .option('--source <name>', 'name of the list in the reasons (default: folder/file; stdin for -)')
  .addOption(new Option('--verdict <verdict>', 'deny verdict (default: suspicious for suspicious/scanner/vulnerable lists, else malicious)').choices(['malicious', 'suspicious']))
  .option('--concurrency <n>', 'writes in flight at once', '2000')
  .action(run((ctx, files: string[], options: { as: string; format: string; source?: string; verdict?: string; concurrency: string }) => importLists(ctx, files, options)));

program.command('filters').description('bloom-filter snapshots').command('rebuild')
  .description('rebuild the filter snapshots from the records')
  .addOption(new Option('--kind <kind>', 'one kind only').choices([...LOOKUP_KINDS]))
  .action(run((ctx, options: { kind?: string }) => filtersRebuild(ctx, options)));

program.command('dns').description('DNS lists (RFC 5782) of the DNS front end').command('query')
  .description('ask a DNS list about one indicator (an IP, a domain or a file hash), as a mail server would')
  .argument('<indicator>', 'the indicator')
  .requiredOption('--zone <zone>', 'list zone (DNS_PUBLIC_ZONE, or a tenant zone of DNS_ZONES)')
  .option('--server <host:port>', 'DNS server to ask', '127.0.0.1:5353')
  .option('--timeout <ms>', 'per try', '2000')
  .action(run((ctx, indicator: string, options: DnsQueryOptions) => dnsQuery(ctx, indicator, options)));

program.command('status')
  .description('readiness of the services, record counts, freshness of updates, bus lag')
  .option('--url <url>', 'API base URL')
  .action(run((ctx, options: { url?: string }) => status(ctx, options)));

program.command('simulate')
  .description('run the seeded sensor-fleet simulation through the running system\'s APIs and score its verdicts against the ground truth;\n'
    + 'mints one ingest key per simulated tenant and a lookup key (revoked afterwards); writes report.json, report.txt, quality.svg')
  .option('--url <url>', 'API base URL')
  .option('--seed <n>', 'seed: the same seed sends the same telemetry', '20251')
  .option('--tenants <n>', 'simulated tenants (one ingest key each)', '6')
  .option('--sensors <n>', 'endpoint sensors over all tenants', '80')
  .option('--campaigns <n>', 'attack campaigns', '8')
  .option('--duration <hours>', 'simulated window, hours', '6')
  .option('--events <n>', 'events to send in all, within 10% (benign activity is scaled to reach it; too few for the fleet and its campaigns is an error naming the least)')
  .option('--speedup <n>', 'simulated ms per wall-clock ms (default: as fast as ingest accepts)')
  .option('--out <dir>', 'folder for report.json, report.txt, quality.svg (default: <REPUTE_DATA_DIR>/simulation)')
  .option('--data <dir>', 'folder of public indicator lists (default: ../shared/data beside the checkout, when present)')
  .option('--generated', 'generate every indicator instead of reading public lists')
  .option('--timeout <s>', 'give verdicts this long to settle after the last event', '120')
  .option('--quiet-ms <ms>', 'settled: no verdict changed for this long', '3000')
  .option('--min-precision <p>', 'with --strict: exit 3 when precision of `malicious` over all kinds is below', '0.9')
  .option('--min-recall <r>', 'with --strict: exit 3 when recall of `malicious` or `suspicious` over all kinds is below', '0.75')
  .action(run((ctx, options: SimulateOptions) => simulate(ctx, options)));

const dlq = program.command('dlq').description('dead letters of the telemetry topic');
dlq.command('list').description('unsettled dead letters: id, time, reason').option('--topic <topic>', 'dead-letter topic (default: <TELEMETRY_TOPIC>.dlq)').option('--limit <n>', 'at most this many', '1000')
  .action(run((ctx, options: { topic?: string; limit: string }) => dlqList(ctx, options)));
dlq.command('show <id>').description('one dead letter: its reason, headers and message').option('--topic <topic>', 'dead-letter topic (default: <TELEMETRY_TOPIC>.dlq)')
  .action(run((ctx, id: string, options: { topic?: string }) => dlqShow(ctx, id, options)));
dlq.command('drop <id>').description('settles one dead letter without replaying it').option('--topic <topic>', 'dead-letter topic (default: <TELEMETRY_TOPIC>.dlq)')
  .action(run((ctx, id: string, options: { topic?: string }) => dlqDrop(ctx, id, options)));
dlq.command('replay').description('sends dead letters back to their source topic (all unsettled ones, or --id one)')
  .option('--topic <topic>', 'dead-letter topic (default: <TELEMETRY_TOPIC>.dlq)').option('--id <id>', 'replay only this dead letter').option('--timeout-ms <ms>', 'give up after', '60000')
  .action(run((ctx, options: { topic?: string; timeoutMs: string; id?: string }) => dlqReplay(ctx, options)));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version are not errors; everything else commander reports is a wrong invocation.
    exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? EXIT.ok : EXIT.usage;
  } else if (err instanceof CliError) {
    process.stderr.write(`repute: ${err.message}\n`);
    exitCode = err.exitCode;
  } else {
    process.stderr.write(`repute: ${err instanceof Error ? err.message : String(err)}\n`);
    exitCode = EXIT.failure;
  }
}
process.exitCode = exitCode;
