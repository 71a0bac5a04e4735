import { wordWeight } from './likelihood.ts';
import { TRUSTED, type Tally } from './score.ts';
import { listsSite } from './site-listing.ts';
import type { ReliabilityMap, Word } from './types.ts';

/**
 * Per engine, the word that counts: each tenant's latest word is that tenant's testimony (a
 * later `clean` through the same tenant retracts an earlier detection); across tenants the
 * most severe stands, with the tenants that accuse too: a sandbox that called one recipient's
 * lure `malicious` in one tenant and another's `suspicious` in a second has two witnesses,
 * though only the stronger word is weighed (`count` is of the words as severe as it). A
 * trusted source's later `clean` retracts every tenant's earlier detection of that engine.
 */
function engineWords(words: readonly Word[]): { word: Word; tenants: string[]; trusted: boolean; count: number }[] {
  const byEngine = new Map<string, Word[]>();
  for (const w of words) {
    const id = `${w.source}|${w.engine}`;
    const list = byEngine.get(id);
    if (list === undefined) byEngine.set(id, [w]);
    else list.push(w);
  }
  const out: { word: Word; tenants: string[]; trusted: boolean; count: number }[] = [];
  for (const list of byEngine.values()) {
    let trustedClean = -1;
    for (const w of list) if (w.trusted && w.category === 'clean' && w.at > trustedClean) trustedClean = w.at;
    const live = list.filter((w) => w.category === 'clean' || w.at >= trustedClean);
    const severity = (w: Word) => (w.category === 'malicious' ? 3 : w.category === 'clean' ? 1 : 2);
    let best = live[0] ?? list[0]!;
    for (const w of live) if (severity(w) > severity(best) || (severity(w) === severity(best) && w.at > best.at)) best = w;
    const agreeing = live.filter((w) => severity(w) === severity(best));
    // A trusted source stands behind what it said: its weaker word makes no conviction its own.
    const witnesses = best.category === 'clean' ? agreeing : live.filter((w) => severity(w) === severity(best) || (w.category !== 'clean' && !w.trusted));
    out.push({
      word: best,
      tenants: [...new Set(witnesses.map((w) => (w.trusted ? TRUSTED : w.tenant)))],
      trusted: agreeing.some((w) => w.trusted),
      count: agreeing.reduce((n, w) => n + w.count, 0),
    });
  }
  return out;
}

/**
 * The sources' words: per class, strongest first, discounted for their correlation (engines
 * share signatures); a product that flagged the same thing again and again; independent
 * tenants agreeing. Whether any word accuses it.
 */
export function scoreWords(t: Tally, reliability: ReliabilityMap | undefined): { hasBad: boolean } {
  const { state, policy, rule, add, fade } = t;
  const { doc } = policy;
  // Most indicators have no word at all: no grouping for them.
  const words = state.words.length === 0 ? [] : engineWords(state.words);
  const byClass = new Map<string, { weight: number; word: Word; tenants: string[]; count: number; trusted: boolean; site: boolean }[]>();
  let hasBad = false;
  for (const w of words) {
    // A web filter's listing of the whole site is a hedge about this page (site-listing.ts).
    const site = listsSite(state, w.word);
    const weight = wordWeight(policy, reliability, state.kind, site ? { ...w.word, category: 'suspicious' } : w.word);
    if (weight === 0) continue;
    if (w.word.category !== 'clean') hasBad = true;
    const list = byClass.get(w.word.source) ?? [];
    byClass.set(w.word.source, list);
    list.push({ weight, word: w.word, tenants: w.tenants, count: w.count, trusted: w.trusted, site });
  }
  const badTenants = new Set<string>();
  for (const [source, list] of byClass) {
    const positive = list.filter((x) => x.weight > 0).sort((a, b) => b.weight - a.weight || a.word.engine.localeCompare(b.word.engine));
    const negative = list.filter((x) => x.weight < 0).sort((a, b) => a.weight - b.weight || a.word.engine.localeCompare(b.word.engine));
    for (const group of [positive, negative]) {
      group.forEach((x, n) => {
        const discount = doc.discount[Math.min(n, doc.discount.length - 1)]!;
        const category = x.word.category === 'pua' ? 'suspicious' : x.word.category;
        if (x.weight > 0) for (const tenant of x.tenants) badTenants.add(tenant);
        add({
          rule: x.site ? `${source}.site_listing` : `${source}.${category}`, weight: x.weight * discount * (x.weight > 0 ? fade : 1), evidence: x.count, detail: x.word.engine,
          hard: category === 'malicious' && !x.site, tenants: x.tenants,
        });
      });
    }
  }

  // A product that flagged the same URL or name on visit after visit (several hosts, hours
  // apart) has classified it again each time: not a one-off misclassification. Whatever the
  // class of the product: a mail gateway's retro-scan alerts arrive as plain detections.
  // A site listing flags every visit of the site: its repetition says nothing of the page.
  const repeated = rule('corroboration.repeated');
  if (repeated !== undefined) {
    let best: { weight: number; word: Word; tenants: string[]; count: number } | undefined;
    for (const list of byClass.values()) {
      for (const x of list) if (x.weight > 0 && !x.site && x.count >= (repeated.min ?? 3) && (best === undefined || x.count > best.count)) best = x;
    }
    if (best !== undefined) add({ rule: 'corroboration.repeated', weight: repeated.weight * fade, evidence: best.count, detail: best.word.engine, tenants: best.tenants });
  }

  // Independent tenants agreeing: each beyond the first is a witness a single tenant cannot fake.
  const consensus = rule('consensus.tenants');
  const independent = [...badTenants].filter((t) => t !== TRUSTED && t !== '').length;
  if (consensus !== undefined && independent >= (consensus.min ?? 2)) {
    add({ rule: 'consensus.tenants', weight: Math.min(consensus.maxTotal ?? Infinity, consensus.weight * Math.log2(independent)), evidence: independent, tenants: [...badTenants] });
  }
  return { hasBad };
}
