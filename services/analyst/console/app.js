// @ts-check
// The console's entry: sign-in, hash routing (#/indicator/{kind}/{value}), the indicator page
// (verdict card, sightings, relations, history, override and dispute forms) and the live feed.
import { ApiError, analystName, apiKey, download, get, indicatorPath } from './api.js';
import { byId, h, indicatorHref, replace, when } from './dom.js';
import { disputeForm, disputesPanel, overrideForm } from './analyst-forms.js';
import { apiText, guessKind } from './indicator-kind.js';
import { followVerdicts } from './live-feed.js';
import { problemView } from './problem-view.js';
import { relationsGraph } from './relations-graph.js';
import { sightingsChart } from './sightings-chart.js';
import { crossTenantText, verdictBadge, verdictCard } from './verdict-card.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FEED_MAX = 50;

const login = byId('login', HTMLElement);
const loginForm = byId('login-form', HTMLFormElement);
const loginStatus = byId('login-status', HTMLElement);
const workspace = byId('workspace', HTMLElement);
const searchForm = byId('search-form', HTMLFormElement);
const session = byId('session', HTMLElement);
const content = byId('content', HTMLElement);
const actions = byId('actions', HTMLElement);
const feedList = byId('feed-list', HTMLOListElement);
const feedEmpty = byId('feed-empty', HTMLElement);
const feedStatus = byId('feed-status', HTMLElement);

/** @type {(() => void) | undefined} */
let stopFeed;
/** What the page shows now, so a feed event about it refreshes it. @type {{ kind: string, value: string, digest: string, version: number | null } | null} */
let current = null;
/** Hops of the relations graph, kept across pages. */
let relationsDepth = 2;
/** Guards against an older page load finishing after a newer one. */
let generation = 0;

/** @param {boolean} signedIn */
function showSignedIn(signedIn) {
  login.hidden = signedIn;
  workspace.hidden = !signedIn;
  searchForm.hidden = !signedIn;
  session.hidden = !signedIn;
}

function signOut() {
  apiKey.clear();
  analystName.clear();
  stopFeed?.();
  stopFeed = undefined;
  current = null;
  feedList.replaceChildren();
  showSignedIn(false);
}

async function signIn() {
  showSignedIn(true);
  stopFeed?.();
  stopFeed = followVerdicts({
    onEvent: onFeedEvent,
    onStatus: (status, detail) => {
      feedStatus.textContent = `feed: ${status}`;
      feedStatus.className = `feed-status ${status}`;
      feedStatus.title = detail ?? '';
      feedStatus.dataset['status'] = status;
    },
  });
  await route();
}

/** @param {import('./live-feed.js').VerdictEvent} e @param {boolean} recent */
function onFeedEvent(e, recent) {
  feedEmpty.hidden = true;
  const label = e.value !== '' ? `${e.kind} ${e.value}` : `${e.kind} ${e.digest.slice(0, 16)}…`;
  const item = h('li', { class: recent ? 'recent' : 'fresh', 'data-kind': e.kind, 'data-value': e.value, 'data-verdict': e.verdict, 'data-id': e.id },
    verdictBadge(e.verdict),
    e.value !== '' ? h('a', { href: indicatorHref(e.kind, e.value) }, label) : h('span', {}, label),
    h('time', { datetime: e.time }, `${when(e.time)}${e.score !== null ? ` · score ${e.score}` : ''}`));
  feedList.prepend(item);
  while (feedList.children.length > FEED_MAX) feedList.lastElementChild?.remove();
  // A change of the indicator on screen (by the correlator or another analyst) redraws it,
  // unless the page already shows that version (this analyst's own override); changes from
  // before the page opened are history.
  if (!recent && current !== null && current.kind === e.kind && current.digest === e.digest && (e.version === null || e.version !== current.version)) {
    void showIndicator(current.kind, current.value, { quiet: true });
  }
}

/** Sightings window: from a little before the first sighting, up to a week in hours, else in days. @param {any} ind */
function sightingsQuery(ind) {
  const now = Date.now();
  const firstSeen = ind.stats.own.first_seen ?? ind.stats.cross_tenant.first_seen ?? ind.record?.first_seen ?? null;
  const first = firstSeen !== null ? Date.parse(firstSeen) : now - DAY;
  if (now - first <= 7 * DAY - HOUR) {
    const from = Math.min(now - 6 * HOUR, first - HOUR);
    return `bucket=hour&from=${new Date(from).toISOString()}&to=${new Date(now).toISOString()}`;
  }
  return `bucket=day&from=${new Date(Math.max(now - 365 * DAY, first - DAY)).toISOString()}&to=${new Date(now).toISOString()}`;
}

/** @param {string} title @param {string} id @param {...import('./dom.js').Child} children */
const panel = (title, id, ...children) => h('section', { class: 'card', id }, h('h3', {}, title), ...children);

/**
 * @param {HTMLElement} target
 * @param {() => Promise<Node>} render
 */
async function fill(target, render) {
  try {
    target.append(await render());
  } catch (err) {
    target.append(problemView(err));
  }
}

/** @type {{ key: string, form: 'override' | 'dispute', node: Node } | null} */
let shownNotice = null;

/**
 * The indicator page. `quiet` re-renders in place (after a feed event or an override): the new
 * page is built off screen and swapped in whole, so nothing flickers; `notice` is shown under
 * the form that caused the change.
 * @param {string} kind @param {string} value
 * @param {{ quiet?: boolean, notice?: { form: 'override' | 'dispute', node: Node } }} [options]
 */
async function showIndicator(kind, value, options = {}) {
  const mine = ++generation;
  if (options.quiet !== true) replace(content, h('p', { class: 'muted' }, `Looking up ${kind} ${value}…`));
  let ind;
  try {
    ind = await get(indicatorPath(kind, value));
  } catch (err) {
    if (mine !== generation) return;
    current = null;
    replace(content, h('section', { class: 'card' }, h('h3', {}, `${kind} ${value}`), problemView(err)));
    replace(actions);
    return;
  }
  if (mine !== generation) return;
  current = { kind: ind.kind, value: ind.value, digest: ind.digest, version: ind.record?.version ?? null };
  // A form's notice survives a quiet redraw of the same indicator: the feed's event of the very
  // change the form made may redraw the page just after the form's own redraw.
  const shownKey = `${ind.kind}:${ind.digest}`;
  if (options.notice !== undefined) shownNotice = { key: shownKey, ...options.notice };
  else if (options.quiet !== true || shownNotice?.key !== shownKey) shownNotice = null;
  const base = indicatorPath(ind.kind, ind.value);
  const depthSelect = h('select', { id: 'relations-depth', 'aria-label': 'Depth' }, ...[1, 2, 3].map((d) => h('option', { value: d, selected: d === relationsDepth }, `${d} hop${d > 1 ? 's' : ''}`)));
  const sightings = panel('Sightings over time', 'sightings');
  const relations = panel('Relations', 'relations');
  // The neighbourhood drawn, as a file for a TIP or a spreadsheet.
  const exportButton = (/** @type {'csv' | 'stix'} */ format, /** @type {string} */ label) => {
    const button = h('button', { type: 'button', class: 'secondary', id: `export-${format}` }, label);
    button.addEventListener('click', () => {
      download(`${base}/export?format=${format}&depth=${relationsDepth}&limit=60`, `${ind.kind}-neighbourhood.${format === 'csv' ? 'csv' : 'json'}`).catch((err) => {
        relations.querySelector('.export-problem')?.remove();
        relations.append(h('div', { class: 'export-problem' }, problemView(err)));
      });
    });
    return button;
  };
  relations.prepend(h('div', { class: 'toolbar' }, 'depth ', depthSelect, exportButton('csv', 'Export CSV'), exportButton('stix', 'Export STIX 2.1')));
  const history = panel('Verdict history', 'history');
  /** @param {'override' | 'dispute'} form @returns {(node: Node) => void} */
  const refresh = (form) => (node) => void showIndicator(ind.kind, ind.value, { quiet: true, notice: { form, node } });
  depthSelect.addEventListener('change', () => {
    relationsDepth = Number(depthSelect.value);
    relations.querySelector('#relations-graph, .problem')?.remove();
    void fill(relations, async () => relationsGraph(await get(`${base}/relations?depth=${relationsDepth}&limit=60`)));
  });
  const notice = (/** @type {'override' | 'dispute'} */ form) => (shownNotice?.form === form ? shownNotice.node.cloneNode(true) : undefined);
  const sidebar = [overrideForm(ind, refresh('override'), notice('override')), disputeForm(ind, refresh('dispute'), notice('dispute'))];
  const loads = Promise.all([
    fill(sightings, async () => sightingsChart(await get(`${base}/sightings?${sightingsQuery(ind)}`))),
    fill(relations, async () => relationsGraph(await get(`${base}/relations?depth=${relationsDepth}&limit=60`))),
    fill(history, async () => historyTable(await get(`${base}/history?limit=20`))),
  ]);
  const disputes = disputesPanel(refresh('dispute'));
  if (options.quiet === true) await loads;
  if (mine !== generation) return;
  replace(content, verdictCard(ind), sightings, relations, history);
  replace(actions, ...sidebar, await disputes);
  await loads;
  if (mine === generation) content.dataset['loaded'] = `${ind.kind}:${ind.digest}:${ind.verdict}`;
}

/** @param {any} data */
function historyTable(data) {
  if (data.items.length === 0) return h('p', { class: 'muted' }, 'No verdict changes logged.');
  return h('table', { class: 'reasons', id: 'history-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'time'), h('th', {}, 'change'), h('th', {}, 'source'), h('th', { class: 'num' }, 'score'))),
    h('tbody', {}, ...[...data.items].reverse().map((/** @type {any} */ i) => h('tr', { 'data-source': i.source },
      h('td', {}, when(i.time)), h('td', {}, verdictBadge(i.previous_verdict), ' → ', verdictBadge(i.verdict)), h('td', {}, i.source), h('td', { class: 'num' }, i.score)))));
}

/** A hunt's rows as a table of links. @param {any[]} items */
const huntTable = (items) => h('table', { class: 'hunts' },
  h('thead', {}, h('tr', {}, h('th', {}, 'indicator'), h('th', {}, 'verdict'), h('th', {}, 'growth'), h('th', {}, 'all tenants'))),
  h('tbody', {}, ...items.map((/** @type {any} */ i) => h('tr', { 'data-verdict': i.verdict },
    h('td', {}, h('a', { href: indicatorHref(i.kind, i.value) }, `${i.kind} ${i.value}`)),
    h('td', {}, verdictBadge(i.verdict)), h('td', {}, `${i.growth >= 0 ? '+' : ''}${i.growth} sensors`), h('td', { class: 'small' }, crossTenantText(i.cross_tenant))))));

/**
 * The start page, a place to begin: first what is malicious or suspicious and spreading (what
 * needs a look), then everything new and spreading (mostly software being rolled out).
 */
async function showHome() {
  current = null;
  const mine = ++generation;
  const severe = panel('Malicious and suspicious, spreading (24 h)', 'hunts-severe');
  const hunts = panel('Everything new and spreading (24 h)', 'hunts');
  replace(content, severe, hunts);
  replace(actions, await disputesPanel(() => void showHome()));
  if (mine !== generation) return;
  await fill(severe, async () => {
    const data = await get('/v1/hunts/new-and-spreading?window=24h&limit=15&verdict=malicious,suspicious');
    if (data.items.length === 0) return h('p', { class: 'muted' }, 'Nothing malicious or suspicious is new and spreading in the last 24 hours.');
    return huntTable(data.items);
  });
  await fill(hunts, async () => {
    const data = await get('/v1/hunts/new-and-spreading?window=24h&limit=10');
    if (data.items.length === 0) return h('p', { class: 'muted' }, 'Nothing new in the last 24 hours. Search an indicator above.');
    return huntTable(data.items);
  });
}

async function route() {
  if (apiKey.get() === '') return;
  const m = /^#\/indicator\/([^/]+)\/(.+)$/.exec(location.hash);
  if (m === null) return showHome();
  const kind = decodeURIComponent(m[1] ?? '');
  const value = decodeURIComponent(m[2] ?? '');
  const input = byId('search-value', HTMLInputElement);
  if (input.value.trim() !== value) input.value = value;
  return showIndicator(kind, value);
}

loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(loginForm);
  const key = String(form.get('key') ?? '').trim();
  apiKey.set(key);
  analystName.set(String(form.get('name') ?? '').trim());
  replace(loginStatus);
  try {
    // Any analyst-scoped read tells whether the key is good for the console.
    await get('/v1/overrides/audit?limit=1');
  } catch (err) {
    apiKey.clear();
    analystName.clear();
    replace(loginStatus, problemView(err));
    return;
  }
  loginForm.reset();
  await signIn();
});

searchForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const data = new FormData(searchForm);
  const value = String(data.get('value') ?? '').trim();
  if (value === '') return;
  const chosen = String(data.get('kind') ?? 'auto');
  const kind = chosen === 'auto' ? guessKind(value) : chosen;
  const target = indicatorHref(kind, apiText(kind, value));
  // The same hash fires no hashchange: load it again explicitly.
  if (location.hash === target) void route();
  else location.hash = target;
});

byId('sign-out', HTMLButtonElement).addEventListener('click', signOut);
window.addEventListener('hashchange', () => void route());
window.addEventListener('unhandledrejection', (event) => {
  if (event.reason instanceof ApiError && event.reason.status === 401) signOut();
});

if (apiKey.get() !== '') void signIn();
else showSignedIn(false);
