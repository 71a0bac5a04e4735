// @ts-check
import { h, s } from './dom.js';

const W = 760;
const H = 220;
const PAD = { left: 44, right: 12, top: 12, bottom: 34 };

/** A round step near span/n: 1, 2 or 5 times a power of ten. @param {number} max @param {number} n */
function niceStep(max, n) {
  const raw = Math.max(1, max / n);
  const p = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].map((m) => m * p).find((m) => m >= raw)) ?? raw;
}

/** @param {number} ms @param {string} bucket */
function tickLabel(ms, bucket) {
  const iso = new Date(ms).toISOString();
  return bucket === 'day' ? iso.slice(5, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

/**
 * Sightings over time: the caller's own events per bucket as bars, every tenant's events as a
 * line where k tenants contributed (buckets below k are gaps, and counted in the caption).
 * Empty buckets are drawn as zero: the API returns only buckets with sightings.
 * @param {any} data the `GET .../sightings` answer
 */
export function sightingsChart(data) {
  const stepMs = data.bucket === 'day' ? 86_400_000 : 3_600_000;
  const from = Math.floor(Date.parse(data.from) / stepMs) * stepMs;
  const to = Date.parse(data.to);
  const n = Math.max(1, Math.ceil((to - from) / stepMs));
  /** @type {Map<number, number>} */
  const own = new Map();
  for (const b of data.own) own.set(Math.floor(Date.parse(b.time) / stepMs), b.events);
  /** @type {Map<number, number | null>} */
  const all = new Map();
  let withheld = 0;
  for (const b of data.cross_tenant) {
    if (b.suppressed) withheld += 1;
    all.set(Math.floor(Date.parse(b.time) / stepMs), b.suppressed ? null : (b.events ?? null));
  }
  const first = from / stepMs;
  const ownSeries = Array.from({ length: n }, (_, i) => own.get(first + i) ?? 0);
  const allSeries = Array.from({ length: n }, (_, i) => (all.has(first + i) ? all.get(first + i) ?? null : 0));
  const max = Math.max(1, ...ownSeries, ...allSeries.map((v) => v ?? 0));
  const step = niceStep(max, 4);
  const top = Math.ceil(max / step) * step;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (/** @type {number} */ i) => PAD.left + (i / n) * plotW;
  const y = (/** @type {number} */ v) => PAD.top + plotH - (v / top) * plotH;
  const barW = Math.max(1, plotW / n - 1);

  const grid = [];
  for (let v = 0; v <= top; v += step) {
    grid.push(s('line', { class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }),
      s('text', { class: 'axis', x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, v));
  }
  const ticks = [];
  const every = Math.max(1, Math.ceil(n / 6));
  for (let i = 0; i < n; i += every) {
    ticks.push(s('line', { class: 'tick', x1: x(i), x2: x(i), y1: PAD.top + plotH, y2: PAD.top + plotH + 4 }),
      s('text', { class: 'axis', x: x(i), y: H - PAD.bottom + 18, 'text-anchor': 'start' }, tickLabel(from + i * stepMs, data.bucket)));
  }
  const bars = ownSeries.map((v, i) => (v === 0 ? null : s('rect', { class: 'bar-own', x: x(i) + 0.5, y: y(v), width: barW, height: y(0) - y(v), 'data-events': v },
    s('title', {}, `${tickLabel(from + i * stepMs, data.bucket)}: ${v} events seen by your tenant`))));
  // The all-tenants line breaks at withheld buckets rather than drawing through them.
  const segments = [];
  let path = '';
  allSeries.forEach((v, i) => {
    const cx = x(i) + barW / 2;
    if (v === null) { if (path !== '') segments.push(path); path = ''; return; }
    path += `${path === '' ? 'M' : 'L'}${cx.toFixed(1)},${y(v).toFixed(1)}`;
  });
  if (path !== '') segments.push(path);
  // Dots as well: a bucket between two withheld ones is a line of one point.
  const dots = allSeries.map((v, i) => (v === null || v === 0 ? null : s('circle', { class: 'dot-all', cx: x(i) + barW / 2, cy: y(v), r: 2.5 },
    s('title', {}, `${tickLabel(from + i * stepMs, data.bucket)}: ${v} events over all tenants`))));
  const totalOwn = ownSeries.reduce((a, b) => a + b, 0);

  return h('figure', { class: 'chart', id: 'sightings-chart', 'data-buckets': n, 'data-own-events': totalOwn },
    s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `Sightings per ${data.bucket}` },
      ...grid, ...ticks,
      s('line', { class: 'axis-line', x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0) }),
      ...bars,
      ...segments.map((d) => s('path', { class: 'line-all', d })),
      ...dots),
    h('figcaption', {},
      h('span', { class: 'legend legend-own' }, 'your tenant’s events'), ' ',
      h('span', { class: 'legend legend-all' }, 'all tenants’ events'),
      ` · per ${data.bucket}, ${tickLabel(from, data.bucket)} → ${tickLabel(to, data.bucket)} UTC`,
      withheld > 0 ? ` · ${withheld} bucket${withheld === 1 ? '' : 's'} withheld (fewer than ${data.k_anonymity} tenants)` : ''));
}
