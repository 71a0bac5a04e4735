import { parseArgs } from 'node:util';

export interface Options {
  quick: boolean;
  url: string | undefined;
  key: string | undefined;
  /** Write a V8 CPU profile of the launcher and flame graphs of the lookup and ingest phases. */
  profile: boolean;
  out: string;
}

const USAGE = `usage: npm run loadtest -- [--quick] [--profile] [--url <base> --key <api key>] [--out <folder>]
  --quick     short phases (under a minute)
  --profile   CPU-profile the launcher it starts; flame graphs of the lookup and ingest phases
  --url       a running system instead of starting one (the key needs the lookup and ingest scopes
              and a rate limit above the load; records are not seeded then)
  --out       folder for report.md and the charts (default bench-results/loadtest)`;

export function parseOptions(argv: string[], defaultOut: string): Options {
  const { values } = parseArgs({
    args: argv,
    options: { quick: { type: 'boolean', default: false }, profile: { type: 'boolean', default: false }, url: { type: 'string' }, key: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if ((values.url === undefined) !== (values.key === undefined)) throw new Error(`--url and --key go together\n${USAGE}`);
  if (values.url !== undefined && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/.test(values.url)) throw new Error('--url must be a loopback address: the load test never sends load off the machine');
  if (values.url !== undefined && values.profile) throw new Error('--profile needs the launcher this run starts');
  return { quick: values.quick, url: values.url, key: values.key, profile: values.profile, out: values.out ?? defaultOut };
}
