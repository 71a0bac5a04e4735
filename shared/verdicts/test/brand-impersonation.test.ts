import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dirname } from 'node:path';
import { assess, buildPolicy, DEFAULT_POLICY_PATH, loadPolicy, type IndicatorState, type Word } from '../src/index.ts';

const policy = loadPolicy();
const matcher = policy.impersonation!;
const NOW = Date.UTC(2026, 5, 1);
const HOUR = 3_600_000;

test('names that pair a brand with a lure word, spell it with look-alike characters or carry its domain impersonate it', () => {
  const cases: [string, string, string, string][] = [
    ['url', 'https://paypal-secure.top/signin', 'paypal', 'combo'],
    ['url', 'https://verify-microsoft-team.cc/', 'microsoft', 'combo'],
    ['domain', 'paypalsecure42.top', 'paypal', 'combo'],
    ['domain', 'loginmicrosoft.info', 'microsoft', 'combo'],
    ['url', 'https://dr0pbox-files.cloud/x', 'dropbox', 'homoglyph'],
    ['domain', '1inkedin.net', 'linkedin', 'homoglyph'],
    ['domain', 'dh1.online', 'dhl', 'homoglyph'],
    // The part a user-content platform lets anyone choose is the registrant's name.
    ['url', 'https://office365-view-ab12.workers.dev/login', 'office365', 'combo'],
    ['domain', 'sharepoint-docs.azurewebsites.net', 'sharepoint', 'combo'],
    ['url', 'https://paypal.com.account-check.top/x', 'paypal', 'official-name'],
    ['url', 'https://user:pw@WWW.Netflix-Billing.com:8443/a', 'netflix', 'combo'],
  ];
  for (const [kind, value, brand, how] of cases) assert.deepEqual(matcher.match(kind, value), { brand, how }, value);
});

test("a brand's own domains, its country sites, CDN names for them and ordinary words that are brands do not", () => {
  for (const [kind, value] of [
    ['url', 'https://www.dropbox.com/s/abc/Invoice.pdf?dl=1'],
    ['url', 'https://login.microsoftonline.com/common/oauth2'],
    ['domain', 'aadcdn.microsoftonline-p.com'],
    ['domain', 'google.com.br'],
    ['domain', 'amazon.co.uk'],
    ['domain', 'apple.com.edgekey.net'],
    ['domain', 'x.sharepoint.com.dual-spo-0005.spo-msedge.net'],
    ['url', 'https://apple-pie-recipes.com/'],
    ['domain', 'amazonas-tours.com'],
    ['domain', 'pineapple-login.com'],
    ['domain', 'outlook-india.com'],
    ['domain', 'dhl.de'],
    ['url', 'https://203.0.113.7/paypal-login/'],
    ['file', 'ab'.repeat(32)],
  ] as const) assert.equal(matcher.match(kind, value), undefined, value);
});

function url(value: string, words: Word[]): IndicatorState {
  return { kind: 'url', value, firstSeen: NOW - HOUR, lastSeen: NOW, sensors: 1, tenants: 1, signed: false, words, graph: [] };
}
const gateway = (tenant: string): Word => ({ source: 'mailgw', engine: 'mg', tenant, category: 'malicious', at: NOW - HOUR, count: 1, trusted: false });

test("a look-alike's name is a hint no tenant stands behind: alone it accuses nothing, beside a detection it tips the verdict", () => {
  const bare = assess(url('https://docusign-review.click/view', []), policy, NOW);
  assert.equal(bare.verdict, 'unknown');
  assert.equal(bare.reasons[0]?.rule, 'lexical.brand_impersonation');
  assert.equal(bare.reasons[0]?.detail, 'docusign (combo)');
  assert.deepEqual(bare.tenants, []);

  const plain = assess(url('https://review-center.click/view', [gateway('t1')]), policy, NOW);
  const lookalike = assess(url('https://docusign-review.click/view', [gateway('t1')]), policy, NOW);
  assert.equal(plain.views?.['t1']?.verdict ?? plain.verdict, 'suspicious');
  // One gateway in one tenant: convicted in that tenant's view, suspicious for everyone else.
  assert.equal(lookalike.views?.['t1']?.verdict, 'malicious');
  assert.equal(lookalike.verdict, 'suspicious');
  assert.ok(lookalike.logOdds > plain.logOdds);

  // A brand's own site, and a site an allow list vouches for, chose their names long ago: their
  // pages are not look-alikes whatever the name says.
  const own = assess(url('https://www.dropbox.com/login', [gateway('t1')]), policy, NOW);
  assert.ok(!own.reasons.some((r) => r.rule === 'lexical.brand_impersonation'));
  const vouching = { id: 'partners', cap: 'unknown' as const, entries: { domain: ['docusign-review.click'] } };
  const partners = buildPolicy({ ...policy.doc, allowLists: [...policy.doc.allowLists, vouching] }, dirname(DEFAULT_POLICY_PATH));
  const listed = assess(url('https://docusign-review.click/view', [gateway('t1')]), partners, NOW);
  assert.ok(!listed.reasons.some((r) => r.rule === 'lexical.brand_impersonation'), JSON.stringify(listed.reasons));
  assert.equal(partners.impersonation?.match('domain', 'docusign-review.click'), undefined);
});
