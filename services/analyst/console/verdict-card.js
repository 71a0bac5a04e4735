// @ts-check
import { h, indicatorHref, when } from './dom.js';

/**
 * @typedef {{ suppressed: boolean, fewer_than?: number, tenants?: number, sensors?: number, hosts?: number, events?: number }} CrossTenant
 * @typedef {{ rule: string, weight: number, evidence?: number, detail?: string }} Reason
 */

/** "1 event", "2 events". @param {number} n @param {string} noun */
export const count = (n, noun) => `${n} ${n === 1 ? noun.replace(/s$/, '') : noun}`;

/** "fewer than k tenants" or the counts, as the API allowed them. @param {CrossTenant} c */
export function crossTenantText(c) {
  if (c.suppressed) return `withheld: fewer than ${c.fewer_than ?? '?'} tenants`;
  /** @type {string[]} */
  const parts = [];
  for (const name of /** @type {const} */ (['tenants', 'sensors', 'hosts', 'events'])) {
    const n = c[name];
    if (n !== undefined) parts.push(count(n, name));
  }
  return parts.join(' · ') || '—';
}

/** @param {string} verdict */
export const verdictBadge = (verdict) => h('span', { class: `verdict verdict-${verdict}` }, verdict);

// Reasons that arrived through a related indicator name it as "<kind> <value>".
const INDICATOR_DETAIL = /^(file|url|domain|ip|email) (\S+)$/;

/** A reason's detail, as a link to the indicator it names when it names one. @param {string | undefined} detail */
function detailCell(detail) {
  const m = INDICATOR_DETAIL.exec(detail ?? '');
  if (m === null) return detail ?? '';
  return h('a', { class: 'reason-indicator', href: indicatorHref(/** @type {string} */ (m[1]), /** @type {string} */ (m[2])) }, detail);
}

/** @param {Reason[]} reasons */
function reasonsTable(reasons) {
  if (reasons.length === 0) return h('p', { class: 'muted' }, 'No reasons recorded.');
  return h('table', { class: 'reasons' },
    h('thead', {}, h('tr', {}, h('th', {}, 'rule'), h('th', { class: 'num' }, 'weight'), h('th', { class: 'num' }, 'evidence'), h('th', {}, 'detail'))),
    h('tbody', {}, ...reasons.map((r) => h('tr', { 'data-rule': r.rule },
      h('td', {}, h('code', {}, r.rule)),
      h('td', { class: 'num' }, r.weight.toFixed(r.weight % 1 === 0 ? 0 : 2)),
      h('td', { class: 'num' }, r.evidence ?? '—'),
      h('td', {}, detailCell(r.detail))))));
}

/**
 * @param {[string, unknown][]} rows
 */
const facts = (rows) => h('dl', { class: 'facts' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, /** @type {any} */ (v))]));

/** "1.2 MB (1,234,567 bytes)". @param {number} bytes */
function sizeText(bytes) {
  const units = ['bytes', 'KB', 'MB', 'GB'];
  let n = bytes;
  let u = 0;
  while (n >= 1000 && u < units.length - 1) { n /= 1000; u++; }
  return u === 0 ? `${bytes} bytes` : `${n.toFixed(1)} ${units[u]} (${bytes.toLocaleString('en')} bytes)`;
}

/** What the tenant's sensors reported of a file. @param {{ names: string[], signers: string[], size: number | null }} file */
function fileSection(file) {
  return h('section', { id: 'file-facts' },
    h('h3', {}, 'File'),
    facts([
      ['names', file.names.length > 0 ? h('span', { id: 'file-names' }, file.names.join(' · ')) : '—'],
      ['signer', file.signers.length > 0 ? h('span', { id: 'file-signer' }, file.signers.join(' · ')) : 'unsigned, or not reported'],
      ['size', file.size !== null ? h('span', { id: 'file-size', 'data-bytes': file.size }, sizeText(file.size)) : '—'],
    ]));
}

/**
 * The verdict card: verdict, score, reasons (rule, weight, evidence), prevalence and the
 * caller's own sightings, with cross-tenant counts only where k tenants contributed.
 * @param {any} ind the `GET /v1/indicators/{kind}/{value}` answer
 */
export function verdictCard(ind) {
  const record = ind.record;
  const stats = ind.stats;
  const ct = /** @type {CrossTenant & { detections?: Record<string, number>, first_seen?: string | null, last_seen?: string | null }} */ (stats.cross_tenant);
  const detections = ct.detections !== undefined ? Object.entries(ct.detections).sort((a, b) => b[1] - a[1]) : [];
  return h('article', { class: 'card verdict-card', id: 'verdict-card', 'data-verdict': ind.verdict },
    h('header', {},
      h('span', { class: 'kind' }, ind.kind),
      h('h2', { class: 'indicator-value', title: ind.value }, ind.value),
      h('div', { class: 'verdict-line' }, h('span', { id: 'verdict' }, verdictBadge(ind.verdict)),
        record !== null ? h('span', { class: 'score' }, `score ${record.score} · confidence ${Math.round(record.confidence * 100)} %`) : null),
      h('div', { class: 'digest muted' }, h('code', {}, ind.digest))),
    ind.override !== null
      ? h('p', { class: 'override-note', id: 'override-note' }, ind.override.scope === 'global' ? 'Override for everyone ' : 'Your tenant’s override ', verdictBadge(ind.override.verdict), ` by ${ind.override.actor !== '' ? ind.override.actor : `key ${ind.override.analyst}`} (${when(ind.override.time)}): ${ind.override.comment}`)
      : null,
    record === null
      ? h('p', { class: 'muted' }, 'No reputation record: no rule has convicted or cleared this indicator, so lookups answer unknown.')
      : h('section', {},
        facts([
          ['categories', record.categories.length > 0 ? record.categories.join(', ') : '—'],
          ['first seen', when(record.first_seen)],
          ['last seen', when(record.last_seen)],
          ['prevalence', h('span', { id: 'prevalence' }, crossTenantText(record.prevalence))],
          ['record version', record.version],
          ['cache TTL', `${record.ttl} s`],
        ]),
        h('h3', {}, 'Reasons'),
        reasonsTable(record.reasons)),
    ind.file !== undefined ? fileSection(ind.file) : null,
    h('h3', {}, 'Sightings'),
    facts([
      ['your tenant', `${count(stats.own.events, 'events')} · ${count(stats.own.sensors, 'sensors')} · ${count(stats.own.hosts, 'hosts')}`],
      ['all tenants', h('span', { id: 'cross-tenant' }, crossTenantText(ct))],
      ['seen', `${when(stats.own.first_seen ?? ct.first_seen)} → ${when(stats.own.last_seen ?? ct.last_seen)}`],
      ['detections', detections.length > 0 ? detections.map(([engine, n]) => `${engine} ${n}`).join(' · ') : '—'],
    ]),
    h('p', { class: 'muted small' }, `Counts across tenants are shown only when at least ${stats.k_anonymity} tenants contributed.`));
}
