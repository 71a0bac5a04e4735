import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accusedOnItsOwn, assess, buildPolicy, loadPolicy, wordWeight, type GraphEvidence, type IndicatorState, type Word } from '../src/index.ts';

const policy = loadPolicy();
const NOW = Date.UTC(2026, 5, 1);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function state(over: Partial<IndicatorState>): IndicatorState {
  return { kind: 'file', value: 'ab'.repeat(32), firstSeen: NOW - HOUR, lastSeen: NOW, sensors: 1, tenants: 1, signed: false, words: [], graph: [], ...over };
}
function word(engine: string, tenant: string, category: Word['category'] = 'malicious', over: Partial<Word> = {}): Word {
  return { source: 'engine', engine, tenant, category, at: NOW - HOUR, count: 1, trusted: false, ...over };
}
const from = (v: string) => ({ kind: 'file', value: v, key: `rep:file:${v}` });
function edge(v: string, over: Partial<GraphEvidence> = {}): GraphEvidence {
  return { from: from(v), rel: 'downloaded_from', hops: 1, weight: 25, tenants: ['t1', 't2'], ...over };
}

test('a detection weighs log(TPR/FPR), a clean word log((1-TPR)/(1-FPR)), in decibans', () => {
  const malicious = wordWeight(policy, undefined, 'file', { source: 'engine', engine: 'av', category: 'malicious' });
  assert.ok(Math.abs(malicious - 10 * Math.log10(0.6 / 0.002)) < 1e-9);
  assert.ok(Math.abs(wordWeight(policy, undefined, 'file', { source: 'engine', engine: 'av', category: 'suspicious' }) - malicious / 2) < 1e-9);
  assert.ok(wordWeight(policy, undefined, 'file', { source: 'engine', engine: 'av', category: 'clean' }) < 0);
  // A web filter's word says nothing about a file; a measured noisy engine weighs less.
  assert.equal(wordWeight(policy, undefined, 'file', { source: 'webfilter', engine: 'wf', category: 'malicious' }), 0);
  const noisy = new Map([['engine|av', { tpr: 0.6, fpr: 0.03 }]]);
  assert.ok(wordWeight(policy, noisy, 'file', { source: 'engine', engine: 'av', category: 'malicious' }) < malicious - 10);
});

test('two engines in two tenants convict a file, one reason per engine, strongest first', () => {
  const a = assess(state({ sensors: 3, tenants: 2, words: [word('av1', 't1'), word('av2', 't2'), word('av2', 't1')] }), policy, NOW);
  assert.equal(a.verdict, 'malicious');
  assert.ok(a.score >= 99);
  assert.deepEqual(a.tenants, ['t1', 't2']);
  assert.deepEqual(a.reasons.map((r) => [r.rule, r.detail]), [['engine.malicious', 'av1'], ['engine.malicious', 'av2'], ['consensus.tenants', undefined]]);
  assert.ok(a.reasons[0]!.weight > a.reasons[1]!.weight, 'the second engine is discounted: engines share signatures');
  assert.equal(a.views, undefined);
});

test('rarity alone is never malicious; one engine is suspicious; a noisy engine alone is not even that', () => {
  assert.equal(assess(state({}), policy, NOW).verdict, 'unknown');
  assert.equal(assess(state({ words: [word('av1', 't1')] }), policy, NOW).verdict, 'suspicious');
  const noisy = new Map([['engine|noisy', { tpr: 0.5, fpr: 0.03 }]]);
  assert.equal(assess(state({ words: [word('noisy', 't1'), word('noisy', 't2')] }), policy, NOW, noisy).verdict, 'unknown');
});

test('one tenant convicts in its own view only; a trusted source convicts for everyone', () => {
  const words = [word('av1', 'acme'), word('av2', 'acme'), word('av3', 'acme'), { ...word('sb', 'acme'), source: 'sandbox' as const }];
  const a = assess(state({ sensors: 3, words }), policy, NOW);
  assert.equal(a.verdict, 'suspicious');
  assert.ok(a.reasons.some((r) => r.rule === 'guard.single_tenant'));
  assert.equal(a.views?.['acme']?.verdict, 'malicious');
  assert.ok(!a.views?.['acme']?.reasons.some((r) => r.rule === 'guard.single_tenant'));
  const trusted = assess(state({ words: [{ ...word('sb', 'lab', 'malicious', { trusted: true }), source: 'sandbox' }] }), policy, NOW);
  assert.equal(trusted.verdict, 'malicious', 'a trusted sandbox detonation convicts on its own');
  assert.equal(trusted.views, undefined);
});

test("a poisoning tenant cannot convict a popular site for anyone else", () => {
  const words: Word[] = ['s1', 's2', 's3'].map((s) => ({ ...word(`av-${s}`, 'mallory'), source: 'webfilter' as const }));
  const a = assess(state({ kind: 'url', value: 'https://www.google.com/chrome/', sensors: 400, tenants: 14, words }), policy, NOW);
  assert.notEqual(a.verdict, 'malicious');
  assert.ok(a.views === undefined || Object.keys(a.views).every((t) => t === 'mallory'));
});

test('a later clean from the same tenant has replaced the detection; a trusted clean retracts every tenant', () => {
  // The state keeps one word per engine and tenant: the retraction is what remains.
  assert.equal(assess(state({ words: [word('av1', 't1', 'clean')] }), policy, NOW).verdict, 'unknown');
  const retracted = assess(state({ words: [word('av1', 't1'), word('av1', 't2'), word('av1', 'vendor', 'clean', { trusted: true, at: NOW })] }), policy, NOW);
  assert.notEqual(retracted.verdict, 'malicious');
  assert.ok(!retracted.reasons.some((r) => r.rule === 'engine.malicious'));
});

test('popular signed software flagged by one engine in several tenants stays unconvicted', () => {
  const a = assess(state({ signed: true, sensors: 300, tenants: 12, words: [word('av5', 't1'), word('av5', 't2'), word('av5', 't3')] }), policy, NOW);
  assert.notEqual(a.verdict, 'malicious');
  assert.equal(a.relays, false);
});

test('phishing: a web filter in two tenants convicts a URL; a sandbox detonation in one tenant convicts there', () => {
  const wf = (t: string) => ({ ...word('gw', t), source: 'webfilter' as const });
  assert.equal(assess(state({ kind: 'url', value: 'https://login-x.online/a', sensors: 4, tenants: 2, words: [wf('t1'), wf('t2')] }), policy, NOW).verdict, 'malicious');
  const one = assess(state({ kind: 'url', value: 'https://login-x.online/a', words: [{ ...word('sb', 't1'), source: 'sandbox' }] }), policy, NOW);
  assert.equal(one.views?.['t1']?.verdict, 'malicious');
  // One gateway's detection: suspicious; the same gateway blocking visit after visit convicts (in its tenant's view).
  assert.equal(assess(state({ kind: 'url', value: 'https://login-x.online/b', words: [wf('t1')] }), policy, NOW).verdict, 'suspicious');
  const repeated = assess(state({ kind: 'url', value: 'https://login-x.online/b', sensors: 5, words: [{ ...wf('t1'), count: 4 }] }), policy, NOW);
  assert.equal(repeated.views?.['t1']?.verdict, 'malicious');
  assert.ok(repeated.reasons.some((r) => r.rule === 'corroboration.repeated' && r.evidence === 4));
});

test("a web filter's word on a site's home page, or on a page of a site it also flagged at home, lists the site: a hedge, never a conviction", () => {
  const wf = (engine: string, t: string, over: Partial<Word> = {}) => ({ ...word(engine, t, 'malicious', over), source: 'webfilter' as const });
  const words = [wf('wf-x', 't1', { count: 3 }), wf('wf-x', 't2'), wf('wf-x', 't3'), { ...wf('wf-w', 't4'), category: 'suspicious' as const }];
  const home = assess(state({ kind: 'url', value: 'https://river-green.example/', sensors: 30, tenants: 6, words }), policy, NOW);
  assert.equal(home.verdict, 'suspicious', JSON.stringify(home.reasons));
  assert.deepEqual(home.reasons.filter((r) => r.rule.startsWith('webfilter.')).map((r) => `${r.rule}: ${r.detail}`).sort(), ['webfilter.site_listing: wf-w', 'webfilter.site_listing: wf-x']);
  assert.ok(home.reasons.some((r) => r.rule === 'guard.no_hard_evidence'));
  assert.ok(!home.reasons.some((r) => r.rule === 'corroboration.repeated'), 'a listing flags every visit: its repetition says nothing of the page');
  assert.equal(accusedOnItsOwn('consensus.tenants,webfilter.site_listing'), false, 'a listed page does not make its site look dedicated');
  // The same words on a page: a page's own detections, unless the engine listed its site.
  const page = { kind: 'url' as const, value: 'https://river-green.example/news/spring/', sensors: 30, tenants: 6, words };
  assert.equal(assess(state(page), policy, NOW).verdict, 'malicious');
  const listed = assess(state({ ...page, siteListers: ['webfilter|wf-x', 'webfilter|wf-w'] }), policy, NOW);
  assert.equal(listed.verdict, 'suspicious', JSON.stringify(listed.reasons));
  // Another source's word on the page still counts in full: a planted kit the mail gateways see.
  const mail = (t: string) => ({ ...word('mailscan', t), source: 'mailgw' as const });
  const planted = assess(state({ ...page, siteListers: ['webfilter|wf-x'], words: [...words, mail('t5'), mail('t6')] }), policy, NOW);
  assert.equal(planted.verdict, 'malicious', JSON.stringify(planted.reasons));
  assert.ok(planted.reasons.some((r) => r.rule === 'webfilter.malicious' || r.rule === 'webfilter.suspicious' || r.rule === 'mailgw.malicious'));
  // A file's words are never a site listing, whatever its value looks like.
  assert.equal(assess(state({ words: [word('av1', 't1'), word('av2', 't2')] }), policy, NOW).verdict, 'malicious');
});

test('URL evidence decays from the last evidence, not from the first detection', () => {
  const wf = (t: string) => ({ ...word('gw', t), source: 'webfilter' as const, at: NOW - 30 * HOUR });
  const stale = assess(state({ kind: 'url', value: 'https://x.example/a', lastSeen: NOW - 30 * HOUR, words: [wf('t1'), wf('t2')] }), policy, NOW);
  const visited = assess(state({ kind: 'url', value: 'https://x.example/a', lastSeen: NOW - HOUR, words: [wf('t1'), wf('t2')] }), policy, NOW);
  assert.ok(visited.logOdds > stale.logOdds);
  assert.equal(visited.verdict, 'malicious');
  // File hashes do not decay.
  const old = [word('av1', 't1', 'malicious', { at: NOW - 60 * DAY }), word('av2', 't2', 'malicious', { at: NOW - 60 * DAY })];
  assert.equal(assess(state({ lastSeen: NOW - 60 * DAY, words: old }), policy, NOW).verdict, 'malicious');
});

test('URL evidence keeps its full weight for the policy hold after the last evidence, then fades', () => {
  const at = (ageHours: number) => {
    const wf = (t: string) => ({ ...word('gw', t), source: 'webfilter' as const, at: NOW - ageHours * HOUR });
    return assess(state({ kind: 'url', value: 'https://x.example/a', lastSeen: NOW - ageHours * HOUR, words: [wf('t1'), wf('t2')] }), policy, NOW);
  };
  const hold = policy.doc.holdHours?.url ?? 0;
  assert.ok(hold >= 12, 'the default policy holds URL evidence for the hours recipients take to click');
  // A lure clicked the next morning answers as it did when the filters flagged it.
  assert.equal(at(hold - 1).logOdds, at(0).logOdds);
  assert.equal(at(hold - 1).verdict, 'malicious');
  const faded = at(hold + 3 * (policy.doc.halfLifeHours.url ?? 0));
  assert.ok(faded.logOdds < at(0).logOdds);
  assert.notEqual(faded.verdict, 'malicious');
});

test('graph evidence needs two neighbours to convict, and a relay counts once', () => {
  const one = assess(state({ kind: 'url', value: 'http://evil.example/a', graph: [edge('f1')] }), policy, NOW);
  assert.equal(one.verdict, 'suspicious');
  assert.equal(one.reasons[0]?.detail, 'file f1');
  assert.equal(assess(state({ kind: 'url', value: 'http://evil.example/a', graph: [edge('f1'), edge('f2')] }), policy, NOW).verdict, 'malicious');
  const relayed = ['p1', 'p2', 'p3'].map((s) => edge('explorer', { source: `rep:file:${s}`, rel: 'parent', hops: 2 }));
  const r = assess(state({ graph: relayed }), policy, NOW);
  assert.notEqual(r.verdict, 'malicious');
  assert.equal(r.reasons.filter((x) => x.rule === 'relation.parent').length, 1);
});

test('a record rests on evidence of its own when a source, a block list or an override accused it, not when only its neighbours did', () => {
  assert.equal(accusedOnItsOwn('consensus.tenants,webfilter.malicious'), true);
  assert.equal(accusedOnItsOwn('engine.suspicious;t1=malicious'), true);
  assert.equal(accusedOnItsOwn('list.block'), true);
  assert.equal(accusedOnItsOwn('override'), true);
  assert.equal(accusedOnItsOwn('provenance.dedicated_host,relation.hosted_on'), false);
  assert.equal(accusedOnItsOwn('guard.single_tenant,relation.sent_by;t1=malicious'), false);
  assert.equal(accusedOnItsOwn('webfilter.clean'), false);
  assert.equal(accusedOnItsOwn(''), false);
});

test('popularity is judged with the sightings of now; weightless neighbours explain nothing', () => {
  const accusers = (sensors: number) => ['f1', 'f2', 'f3'].map((f) => edge(f, { rel: 'connected_to', sensors }));
  // Three programs on one machine each, contacting an address 116 machines use now (though two
  // had when the evidence was recorded).
  const resolver = assess(state({ kind: 'ip', value: '203.0.113.53', sensors: 116, tenants: 9, graph: accusers(1).map((g) => ({ ...g, targetSensors: 2 })) }), policy, NOW);
  assert.notEqual(resolver.verdict, 'malicious');
  assert.ok(resolver.reasons.some((r) => r.rule === 'prevalence.bystander'));
  // Its own name, testifying nothing, does not switch the guard off.
  const withName = [...accusers(1), { from: { kind: 'domain', value: 'ns.example', key: 'rep:domain:ns' }, rel: 'resolves_to', hops: 1, weight: 0, sensors: 116 }];
  assert.notEqual(assess(state({ kind: 'ip', value: '203.0.113.53', sensors: 116, tenants: 9, graph: withName }), policy, NOW).verdict, 'malicious');
  // A C2 address seen only with its accusers counts them whole.
  assert.equal(assess(state({ kind: 'ip', value: '203.0.113.66', sensors: 9, tenants: 3, graph: accusers(3) }), policy, NOW).verdict, 'malicious');
});

test('a dedicated host is convicted by its URL; delivering a convicted file to several sensors convicts a URL', () => {
  const url = { kind: 'url', value: 'https://login-x.online/a', key: 'rep:url:a' };
  const host = assess(state({ kind: 'domain', value: 'login-x.online', graph: [{ from: url, rel: 'hosted_on', hops: 1, weight: 20, tenants: ['t1', 't2'], dedicated: true, convictedSensors: 1 }] }), policy, NOW);
  assert.equal(host.verdict, 'malicious');
  const spread = assess(state({ kind: 'url', value: 'http://x.example/a.exe', graph: [edge('f1', { convictedSensors: 4 })] }), policy, NOW);
  assert.equal(spread.verdict, 'malicious');
  assert.ok(spread.reasons.some((r) => r.rule === 'provenance.delivered_convicted' && r.evidence === 4));
});

test('an address its convicted name was shown to run on is convicted by that one name; evidence a dedication test stands behind is not scaled down', () => {
  const name = { kind: 'domain', value: 'c2.example', key: 'rep:domain:c2' };
  const resolves = (over: Partial<GraphEvidence> = {}): GraphEvidence => ({ from: name, rel: 'resolves_to', hops: 1, weight: 16.5, tenants: ['t1', 't2'], convictedSensors: 3, sensors: 3, ...over });
  const own = assess(state({ kind: 'ip', value: '203.0.113.9', sensors: 3, tenants: 2, graph: [resolves({ dedicated: true })] }), policy, NOW);
  assert.equal(own.verdict, 'malicious');
  assert.deepEqual(own.reasons.map((r) => r.rule), ['provenance.dedicated_address', 'relation.resolves_to']);
  // The same name without the dedication test behind it says little of an address (a prior of -23 dB).
  assert.equal(assess(state({ kind: 'ip', value: '203.0.113.9', sensors: 3, tenants: 2, graph: [resolves()] }), policy, NOW).verdict, 'unknown');
  // A phishing domain resolved by many more machines than saw its one accused page: with the
  // host shown dedicated, the page's evidence counts whole and no guard claims to scale it.
  const page = { kind: 'url', value: 'https://login-x.online/a', key: 'rep:url:a' };
  const hosted = (over: Partial<GraphEvidence>): GraphEvidence => ({ from: page, rel: 'hosted_on', hops: 1, weight: 26.4, tenants: ['t1', 't2'], convictedSensors: 4, sensors: 4, ...over });
  const phishing = assess(state({ kind: 'domain', value: 'login-x.online', sensors: 20, tenants: 4, graph: [hosted({ dedicated: true })] }), policy, NOW);
  assert.equal(phishing.verdict, 'malicious');
  assert.ok(!phishing.reasons.some((r) => r.rule === 'prevalence.bystander'));
  const notShown = assess(state({ kind: 'domain', value: 'login-x.online', sensors: 20, tenants: 4, graph: [hosted({})] }), policy, NOW);
  assert.ok(notShown.reasons.some((r) => r.rule === 'prevalence.bystander'));
});

test('a URL that served a build of its own to machines of two tenants is convicted; of one tenant, in that tenant\'s view only', () => {
  const url = (tenants: string[]) =>
    assess(state({ kind: 'url', value: 'https://cdn.example/download/setup.exe', sensors: 5, tenants: tenants.length, polymorphic: { files: 5, machines: 5, tenants } }), policy, NOW);
  const two = url(['t1', 't2']);
  assert.equal(two.verdict, 'malicious');
  assert.deepEqual(two.reasons.map((r) => [r.rule, r.detail]), [['provenance.polymorphic', '5 builds to 5 machines']]);
  const one = url(['t1']);
  assert.equal(one.verdict, 'suspicious');
  assert.equal(one.views?.['t1']?.verdict, 'malicious');
});

test('a convicted program contacting a name from several machines convicts it; a popular site it checks stays unconvicted', () => {
  const beacon = [edge('payload', { rel: 'connected_to', weight: 23.1, convictedSensors: 4, sensors: 4 })];
  const c2 = assess(state({ kind: 'domain', value: 'c2.example', sensors: 5, tenants: 2, graph: beacon }), policy, NOW);
  assert.equal(c2.verdict, 'malicious');
  assert.ok(c2.reasons.some((r) => r.rule === 'provenance.contacted_convicted' && r.evidence === 4));
  const site = assess(state({ kind: 'domain', value: 'popular.example', sensors: 200, tenants: 9, graph: beacon }), policy, NOW);
  assert.notEqual(site.verdict, 'malicious');
});

test('a link or an attachment a convicted sender delivered to several recipients is convicted; a decoy seen mostly apart is not', () => {
  const sender = { kind: 'email', value: 'docs@account-portal.example', key: 'rep:email:s' };
  const mailed = (over: Partial<GraphEvidence>): GraphEvidence => ({ from: sender, rel: 'sent_by', hops: 1, weight: 26.4, tenants: ['t1', 't2'], ...over });
  const lure = assess(state({ kind: 'url', value: 'https://portal-login.example/verify/', sensors: 6, tenants: 2, graph: [mailed({ convictedSensors: 6, sensors: 6 })] }), policy, NOW);
  assert.equal(lure.verdict, 'malicious');
  assert.ok(lure.reasons.some((r) => r.rule === 'provenance.sent_by_convicted' && r.evidence === 6), JSON.stringify(lure.reasons));
  const attachment = assess(state({ kind: 'file', value: 'ab'.repeat(32), sensors: 3, tenants: 2, graph: [mailed({ convictedSensors: 3, sensors: 3 })] }), policy, NOW);
  assert.equal(attachment.verdict, 'malicious');
  // One recipient is one message: it might be a mislabelled one.
  assert.notEqual(assess(state({ kind: 'url', value: 'https://portal-login.example/x', sensors: 1, graph: [mailed({ convictedSensors: 1, sensors: 1 })] }), policy, NOW).verdict, 'malicious');
  // The brand's real page, carried beside the lure, and read by many who never got the mail.
  const decoy = assess(state({ kind: 'url', value: 'https://shop.brand-x.example/track', sensors: 120, tenants: 9, graph: [mailed({ convictedSensors: 6, sensors: 6 })] }), policy, NOW);
  assert.notEqual(decoy.verdict, 'malicious', JSON.stringify(decoy.reasons));
});

test('infrastructure is never convicted by association, and direct evidence is capped', () => {
  const resolver = assess(state({ kind: 'ip', value: '8.8.8.8', sensors: 3, graph: [edge('f1'), edge('f2'), edge('f3')] }), policy, NOW);
  assert.equal(resolver.verdict, 'unknown');
  assert.equal(resolver.propagates, false);
  assert.ok(resolver.reasons.some((r) => r.rule === 'allow.public-dns-v4'));
  const shortener = assess(state({ kind: 'domain', value: '2no.co', words: [word('a', 't1', 'malicious', { source: 'dnsfw' }), word('b', 't2', 'malicious', { source: 'dnsfw' })] }), policy, NOW);
  assert.equal(shortener.verdict, 'suspicious');
  assert.ok(shortener.reasons.some((r) => r.rule === 'allow.url-shortener'));
  // A dynamic-DNS provider is infrastructure; its customers' names are not.
  assert.ok(assess(state({ kind: 'domain', value: '00x56.com' }), policy, NOW).reasons.some((r) => r.rule === 'allow.dynamic-dns'));
  assert.ok(!assess(state({ kind: 'domain', value: 'evil.00x56.com' }), policy, NOW).reasons.some((r) => r.rule.startsWith('allow.')));
});

test("a platform's place in a top-sites list does not cover its customers' subdomains", () => {
  const wf = (t: string) => ({ ...word('gw', t), source: 'webfilter' as const });
  const page = assess(state({ kind: 'domain', value: 'login-x.web.app', sensors: 3, tenants: 2, words: [wf('t1'), wf('t2')] }), policy, NOW);
  assert.ok(!page.reasons.some((r) => r.rule.startsWith('allow.')), JSON.stringify(page.reasons));
  assert.equal(page.verdict, 'malicious');
  assert.ok(assess(state({ kind: 'domain', value: 'web.app' }), policy, NOW).reasons.some((r) => r.rule.startsWith('allow.')));
  assert.ok(assess(state({ kind: 'domain', value: 'mail.google.com' }), policy, NOW).reasons.some((r) => r.rule === 'allow.tranco10k'));
  // Platforms the Public Suffix List lacks are bounded by the policy's userContentHosts.
  const weebly = assess(state({ kind: 'domain', value: 'paypal-login-b2246a.weebly.com', sensors: 3, tenants: 2, words: [wf('t1'), wf('t2')] }), policy, NOW);
  assert.ok(!weebly.reasons.some((r) => r.rule.startsWith('allow.')), JSON.stringify(weebly.reasons));
  assert.equal(weebly.verdict, 'malicious');
  for (const own of ['weebly.com', 'www.weebly.com']) assert.ok(assess(state({ kind: 'domain', value: own }), policy, NOW).reasons.some((r) => r.rule === 'allow.tranco10k'), own);
});

test('a record of confirmed early reports lifts no tenant above the others by default: a poisoner builds one first', () => {
  const words = [word('av1', 'acme'), word('av2', 'acme'), { ...word('sb', 'acme'), source: 'sandbox' as const }];
  const record = (confirmed: number, contradicted: number) => new Map([['reporter|acme', { tpr: 0.9, fpr: 0.1, labelledMalicious: confirmed, labelledBenign: contradicted }]]);
  const byDefault = assess(state({ sensors: 3, words }), policy, NOW, record(40, 1));
  assert.equal(byDefault.verdict, 'suspicious', 'one tenant convicts in its own view only, whatever its record');
  assert.equal(byDefault.views?.['acme']?.verdict, 'malicious');
  // An operator who trusts records more than poisoning resistance may turn `malicious.reporters` on.
  const opted = buildPolicy({ ...policy.doc, malicious: { ...policy.doc.malicious, reporters: { minConfirmed: 10, minShare: 0.9 } } }, new URL('../policy/', import.meta.url).pathname);
  const established = assess(state({ sensors: 3, words }), opted, NOW, record(40, 1));
  assert.equal(established.verdict, 'malicious');
  assert.equal(established.views, undefined);
  const reason = established.reasons.find((r) => r.rule === 'consensus.reporter');
  assert.ok(reason !== undefined, JSON.stringify(established.reasons));
  assert.ok(!JSON.stringify(established.reasons).includes('acme'), 'answers never name the tenant');
  // Too short a record, too many contradicted reports, or another tenant's record: its own view only.
  for (const map of [record(3, 0), record(40, 30), new Map([['reporter|other', { tpr: 0.9, fpr: 0.1, labelledMalicious: 40, labelledBenign: 0 }]])]) {
    const a = assess(state({ sensors: 3, words }), opted, NOW, map);
    assert.equal(a.verdict, 'suspicious');
    assert.equal(a.views?.['acme']?.verdict, 'malicious');
  }
  // What is widespread needs independent tenants whatever the reporter's record.
  const popular = assess(state({ sensors: 400, tenants: 9, firstSeen: NOW - 30 * DAY, words }), opted, NOW, record(40, 1));
  assert.notEqual(popular.verdict, 'malicious');
});

test("no one tenant's evidence may be indispensable to a global conviction", () => {
  // A poisoner floods a popular installer with detections from every class it can name; one
  // honest tenant's sandbox hedges `suspicious`. Two tenants, but one accusation.
  const flood = ['av1', 'av2', 'av3'].flatMap((e) => [word(e, 'mallory'), { ...word(e, 'mallory'), source: 'sandbox' as const }]);
  const honest = { ...word('sb', 'acme', 'suspicious'), source: 'sandbox' as const };
  const a = assess(state({ sensors: 40, tenants: 3, words: [...flood, honest] }), policy, NOW);
  assert.notEqual(a.verdict, 'malicious', JSON.stringify(a.reasons));
  assert.ok(a.reasons.some((r) => r.rule === 'guard.single_tenant'));
  // Even when that sandbox's measured rates make its hedge alone suspicious: on a signed
  // program, the rest must rest on a detection of its own.
  const measured = new Map([['sandbox|sb', { tpr: 0.9, fpr: 0.00001 }]]);
  const lone = assess(state({ signed: true, sensors: 3, tenants: 1, words: [honest] }), policy, NOW, measured);
  assert.equal(lone.verdict, 'suspicious', 'the hedge alone');
  const weighed = assess(state({ signed: true, sensors: 16, tenants: 7, words: [...flood, honest] }), policy, NOW, measured);
  assert.notEqual(weighed.verdict, 'malicious', JSON.stringify(weighed.reasons));
  // Faint graph evidence naming many tenants (a browser two hops from the CDN addresses of sites
  // everyone visits) adds names, not witnesses: the flood is still one tenant's accusation.
  const many = Array.from({ length: 9 }, (_, i) => `t${i}`);
  const faint = [edge('cdn-a', { rel: 'connected_to', hops: 2, weight: 0.45, tenants: many, sensors: 40 }), edge('cdn-b', { rel: 'connected_to', hops: 2, weight: 0.73, tenants: many, sensors: 40 })];
  const named = assess(state({ signed: true, sensors: 250, tenants: 9, words: flood, graph: faint }), policy, NOW);
  assert.notEqual(named.verdict, 'malicious', JSON.stringify(named.reasons));
  assert.ok(named.reasons.some((r) => r.rule === 'guard.single_tenant'), JSON.stringify(named.reasons));
  // Naming the honest sandbox's own engine makes its hedge no more the poisoner's witness.
  const borrowed = [...flood, { ...word('sb', 'mallory'), source: 'sandbox' as const }, honest];
  const posing = assess(state({ signed: true, sensors: 16, tenants: 7, words: borrowed }), policy, NOW, measured);
  assert.notEqual(posing.verdict, 'malicious', JSON.stringify(posing.reasons));
  // Two tenants whose evidence each stands on its own still convict.
  const b = assess(state({ sensors: 3, tenants: 2, words: [word('av1', 't1'), word('av2', 't2')] }), policy, NOW);
  assert.equal(b.verdict, 'malicious');
  // And so do seven, past the bound of the leave-one-out check.
  const seven = assess(state({ sensors: 30, tenants: 7, words: many.slice(0, 7).map((t, i) => word(`av${i % 3}`, t)) }), policy, NOW);
  assert.equal(seven.verdict, 'malicious');
});

test("one sandbox's words in two tenants are two witnesses, the stronger weighed: one recipient's lure malicious, another's suspicious", () => {
  const sandbox = (tenant: string, category: Word['category']) => ({ ...word('detonator', tenant, category), source: 'sandbox' as const });
  const page = (value: string, words: Word[]) => state({ kind: 'url', value, sensors: 6, tenants: 4, words });
  const words = [sandbox('t1', 'malicious'), sandbox('t2', 'suspicious'), sandbox('t3', 'clean')];
  const lure = 'https://docusign-review.click/view/index.html';
  const two = assess(page(lure, words), policy, NOW);
  assert.equal(two.verdict, 'malicious', JSON.stringify(two.reasons));
  assert.deepEqual(two.tenants, ['t1', 't2']);
  const onlyMalicious = assess(page(lure, [sandbox('t1', 'malicious')]), policy, NOW);
  assert.equal(two.logOdds - onlyMalicious.logOdds, policy.doc.rules['consensus.tenants']!.weight, 'the weaker word adds a witness, not its weight');
  // One tenant's word alone convicts in its view only.
  assert.equal(onlyMalicious.verdict, 'suspicious');
  assert.equal(onlyMalicious.views?.['t1']?.verdict, 'malicious');
  // A witness must accuse on its own: a sandbox's hedge alone leaves a plainly named page unknown.
  const plain = assess(page('https://review-files.click/view/index.html', words), policy, NOW);
  assert.equal(plain.verdict, 'suspicious');
  assert.ok(plain.reasons.some((r) => r.rule === 'guard.single_tenant'));
});

test('reasons: one row per rule and contributor, at most ten, in a stable order', () => {
  const words = Array.from({ length: 14 }, (_, i) => word(`av${String(i).padStart(2, '0')}`, `t${i % 3}`));
  const a = assess(state({ sensors: 20, tenants: 3, words }), policy, NOW);
  assert.ok(a.reasons.length <= 10);
  const ids = a.reasons.map((r) => `${r.rule}/${r.detail ?? ''}`);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(assess(state({ sensors: 20, tenants: 3, words: [...words].reverse() }), policy, NOW).reasons, a.reasons);
});

test('signed or widespread files relay nothing; an override reason names only the rule', () => {
  assert.equal(assess(state({ signed: true }), policy, NOW).relays, false);
  assert.equal(assess(state({ sensors: 600, tenants: 30, firstSeen: NOW - 30 * DAY }), policy, NOW).relays, false);
  assert.equal(assess(state({}), policy, NOW).relays, true);
  assert.deepEqual(assess(state({ override: { verdict: 'clean' } }), policy, NOW).reasons, [{ rule: 'override', weight: 0, evidence: 1 }]);
});

test('allow lists cap the verdict over a block list; an override wins over both', () => {
  const doc = JSON.parse(JSON.stringify(policy.doc));
  doc.blockLists = [{ id: 'bad-domains', entries: { domain: ['google.com'], file: ['cd'.repeat(32)] } }];
  const p = buildPolicy(doc, new URL('../policy/', import.meta.url).pathname);
  const listed = assess(state({ kind: 'domain', value: 'mail.google.com' }), p, NOW);
  assert.equal(listed.verdict, 'unknown');
  assert.equal(listed.propagates, false);
  assert.deepEqual(listed.reasons.map((r) => r.rule), ['list.block', 'allow.tranco10k']);
  assert.equal(assess(state({ value: 'cd'.repeat(32) }), p, NOW).verdict, 'malicious');
  const empty = assess(state({ value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', words: [{ ...word('x', 't1'), source: 'sandbox' }] }), p, NOW);
  assert.equal(empty.verdict, 'clean');
  assert.equal(assess(state({ kind: 'ip', value: '104.16.1.1' }), p, NOW).reasons.at(-1)?.rule, 'allow.cloudflare');
  const overridden = assess(state({ kind: 'domain', value: 'google.com', override: { verdict: 'malicious' } }), p, NOW);
  assert.deepEqual([overridden.verdict, overridden.reasons[0]?.rule], ['malicious', 'override']);
});

test('an invalid policy is refused with every problem listed', () => {
  assert.throws(() => buildPolicy({ ...policy.doc, thresholds: { malicious: 10, suspicious: 20, clean: 30 } }, '.'), { code: 'REPUTE_VERDICTS_POLICY_INVALID' });
  assert.throws(() => buildPolicy({ version: 'x' }, '.'), (err: Error & { code: string }) => err.code === 'REPUTE_VERDICTS_POLICY_INVALID' && err.message.includes('thresholds'));
});

test('a sandbox that saw nothing on a URL says less than on a file it ran: phishing kits cloak against crawlers', () => {
  const clean = (kind: 'file' | 'url') => wordWeight(policy, undefined, kind, { source: 'sandbox', engine: 'sb', category: 'clean' });
  assert.ok(clean('url') < 0);
  assert.ok(clean('url') > clean('file') + 3, `url ${clean('url')} vs file ${clean('file')}`);
  // The URL rate stands even where the engine's rates are measured (mostly on files).
  const measured = new Map([['sandbox|sb', { tpr: 0.95, fpr: 0.0001 }]]);
  assert.ok(Math.abs(wordWeight(policy, measured, 'url', { source: 'sandbox', engine: 'sb', category: 'clean' }) - 10 * Math.log10((1 - 0.5) / (1 - 0.0001))) < 1e-9);
});

test('a URL flagged again and again counts as corroborated whatever class of product flags it', () => {
  const url = { kind: 'url' as const, value: 'https://docs-share.example/view', sensors: 6, tenants: 1 };
  const once = assess(state({ ...url, words: [word('mailscan', 't1')] }), policy, NOW);
  const again = assess(state({ ...url, words: [word('mailscan', 't1', 'malicious', { count: 4 })] }), policy, NOW);
  assert.ok(again.reasons.some((r) => r.rule === 'corroboration.repeated' && r.detail === 'mailscan' && r.evidence === 4));
  assert.ok(again.logOdds > once.logOdds);
  // Files are not corroborated by rescans: the rule covers names and URLs.
  const file = assess(state({ sensors: 6, words: [word('av1', 't1', 'malicious', { count: 4 })] }), policy, NOW);
  assert.ok(!file.reasons.some((r) => r.rule === 'corroboration.repeated'));
});

test('reach gained in a burst is not popularity: widespread needs sightings spread over hours', () => {
  const seen = { kind: 'domain' as const, value: 'verify-account.example', sensors: 40, tenants: 6, words: [word('dns1', 't1'), word('dns1', 't2')] };
  const burst = assess(state({ ...seen, firstSeen: NOW - 3 * HOUR }), policy, NOW);
  const sustained = assess(state({ ...seen, firstSeen: NOW - 3 * DAY }), policy, NOW);
  assert.ok(!burst.reasons.some((r) => r.rule === 'prevalence.widespread'));
  assert.ok(sustained.reasons.some((r) => r.rule === 'prevalence.widespread'));
  assert.ok(burst.logOdds > sustained.logOdds);
});

test('graph evidence alone never convicts a signed program: malware ran it or injected into it', () => {
  const neighbours = [edge('aa'.repeat(32), { rel: 'parent', weight: 30 }), edge('bb'.repeat(32), { rel: 'connected_to', weight: 30 })];
  const unsigned = assess(state({ sensors: 4, tenants: 2, graph: neighbours }), policy, NOW);
  assert.equal(unsigned.verdict, 'malicious');
  const signed = assess(state({ sensors: 4, tenants: 2, signed: true, graph: neighbours }), policy, NOW);
  assert.equal(signed.verdict, 'suspicious');
  assert.ok(signed.reasons.some((r) => r.rule === 'guard.no_hard_evidence' && r.detail === 'a signed program needs a detection of its own'));
  // Its own detection convicts it: stolen certificates sign malware too.
  const detected = assess(state({ sensors: 4, tenants: 2, signed: true, graph: neighbours, words: [word('av1', 't1'), word('av2', 't2')] }), policy, NOW);
  assert.equal(detected.verdict, 'malicious');
});
