import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalizeDomain, canonicalizeUrl, digestAndKey, parseIndicator, parseIp, sha256, urlExpressions } from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(here, '../../..');
const DATA = process.env.REPUTE_SHARED_DATA ?? resolve(REPO, '../shared/data');
const MAX_INPUTS = 60_000;
const SECONDS_PER_CASE = Number(process.env.BENCH_SECONDS ?? 2);

function feedUrls(): string[] {
  const urls: string[] = [];
  const add = (line: string) => {
    const token = line.trim().split(/\s+/)[0] ?? '';
    if (token.length === 0 || token.startsWith('#') || token.startsWith('/')) return;
    if (!token.includes('/')) return;
    urls.push(/^[a-z][a-z0-9+.-]*:\/\//i.test(token) ? token : `http://${token}`);
  };
  const blocklist = join(DATA, 'blocklist-recommendations/lists/urls.txt');
  if (existsSync(blocklist)) readFileSync(blocklist, 'utf8').split('\n').forEach(add);
  const maltrail = join(DATA, 'maltrail/static/malware');
  if (existsSync(maltrail)) for (const name of readdirSync(maltrail)) readFileSync(join(maltrail, name), 'utf8').split('\n').forEach(add);
  const splunk = join(DATA, 'urlhaus-filter/urlhaus-filter-splunk-online.csv');
  if (existsSync(splunk)) {
    for (const line of readFileSync(splunk, 'utf8').split('\n')) {
      const m = /^"([^"]*)","([^"]+)"/.exec(line);
      if (m !== null && m[1] !== 'host') urls.push(`http://${m[1]}${m[2]}`);
    }
  }
  return urls;
}

function generatedUrls(n: number): string[] {
  const urls: string[] = [];
  let seed = 42;
  const rand = (k: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % k;
  };
  const words = ['login', 'secure', 'update', 'paypal', 'account', 'cdn', 'files', 'wp-content', 'index.php', 'a%20b', '..', 'Verify'];
  for (let i = 0; i < n; i++) {
    const host = rand(5) === 0 ? `${rand(256)}.${rand(256)}.${rand(256)}.${rand(256)}` : `${words[rand(12)]}-${rand(9999)}.example${rand(3) === 0 ? '.co.uk' : '.com'}`;
    const path = Array.from({ length: rand(5) }, () => words[rand(12)]).join('/');
    urls.push(`http://${host}/${path}${rand(3) === 0 ? `?id=${rand(1e6)}&u=${words[rand(12)]}` : ''}`);
  }
  return urls;
}

let sink = 0;

// Runs fn over the inputs repeatedly for about SECONDS_PER_CASE and returns calls per second.
function measure(inputs: readonly string[], fn: (input: string) => unknown): number {
  const once = () => {
    for (const input of inputs) {
      try {
        const out = fn(input);
        sink += typeof out === 'string' ? out.length : 1;
      } catch {
        sink -= 1;
      }
    }
  };
  once(); // warm up
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    once();
    calls += inputs.length;
    elapsed = performance.now() - start;
  } while (elapsed < SECONDS_PER_CASE * 1000);
  return Math.round(calls / (elapsed / 1000));
}

const fromData = existsSync(DATA);
const all = fromData ? feedUrls() : generatedUrls(MAX_INPUTS);
// An even spread over the sources, not just the first file.
const step = Math.max(1, Math.floor(all.length / MAX_INPUTS));
const inputs = all.filter((_, i) => i % step === 0).slice(0, MAX_INPUTS);
const hosts = inputs.map((u) => u.replace(/^[a-z]+:\/\//i, '').split(/[/?:]/)[0] ?? '');
const ipHosts = hosts.filter((h) => /^[0-9.]+$/.test(h));
const nameHosts = hosts.filter((h) => !/^[0-9.]+$/.test(h));

const baseline = measure(inputs, (u) => new URL(u));
const canonicalize = measure(inputs, canonicalizeUrl);
const expressions = measure(inputs, urlExpressions);
const parseUrl = measure(inputs, (u) => parseIndicator('url', u));
const ip = measure(ipHosts.length > 0 ? ipHosts : ['192.0.2.1'], parseIp);
const domain = measure(nameHosts.length > 0 ? nameHosts : ['example.com'], canonicalizeDomain);
// The digest every record key starts from: one SHA-256 of a short string per key.
const digest = measure(inputs, (u) => sha256(u));
const domainKey = measure(nameHosts.length > 0 ? nameHosts : ['example.com'], (h) => digestAndKey('domain', h).key);

const ratio = (n: number) => Math.round((n / baseline) * 1000) / 1000;
const result = {
  name: 'core',
  figures: {
    canonicalize_per_s: canonicalize,
    expressions_per_s: expressions,
    parse_indicator_url_per_s: parseUrl,
    parse_ip_per_s: ip,
    canonicalize_domain_per_s: domain,
    sha256_per_s: digest,
    domain_digest_and_key_per_s: domainKey,
  },
  baseline: { url_parse_per_s: baseline },
  ratios: { canonicalize_vs_url_parse: ratio(canonicalize), expressions_vs_url_parse: ratio(expressions), parse_indicator_url_vs_url_parse: ratio(parseUrl) },
  inputs: inputs.length,
  source: fromData ? 'shared/data feed URLs (blocklist-recommendations, maltrail, urlhaus-filter)' : 'generated URLs',
  node: process.version,
};

const rows: [string, number, string][] = [
  ['new URL() (baseline)', baseline, '1.000'],
  ['canonicalizeUrl', canonicalize, ratio(canonicalize).toFixed(3)],
  ['urlExpressions', expressions, ratio(expressions).toFixed(3)],
  ["parseIndicator('url')", parseUrl, ratio(parseUrl).toFixed(3)],
  ['parseIp', ip, '-'],
  ['canonicalizeDomain', domain, '-'],
  ['sha256', digest, '-'],
  ["digestAndKey('domain')", domainKey, '-'],
];
console.log(`inputs: ${inputs.length} URLs from ${result.source}`);
console.log(`${'operation'.padEnd(24)}${'per second'.padStart(14)}${'vs new URL()'.padStart(14)}`);
for (const [name, perSecond, r] of rows) console.log(`${name.padEnd(24)}${perSecond.toLocaleString('en-US').padStart(14)}${r.padStart(14)}`);

const out = join(REPO, 'bench-results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'core.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${join(out, 'core.json')}${sink === 0.5 ? '' : ''}`);
