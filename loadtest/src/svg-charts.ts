const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f'];

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v) ?? v;
}

/** Horizontal grouped bars: one group per row, one bar per series; an optional goal line. */
export function barChart(title: string, unit: string, series: string[], rows: { label: string; values: number[] }[], goal?: { value: number; label: string }): string {
  const labelW = 300;
  const plotW = 560;
  const barH = 12;
  const groupH = series.length * barH + 10;
  const top = 50;
  const height = top + rows.length * groupH + 40;
  const max = niceMax(Math.max(...rows.flatMap((r) => r.values), goal?.value ?? 0));
  const x = (v: number): number => labelW + (v / max) * plotW;
  const parts: string[] = [`<rect width="100%" height="100%" fill="#fff"/>`, `<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`];
  series.forEach((s, i) => { parts.push(`<rect x="${labelW + i * 120}" y="30" width="10" height="10" fill="${COLOURS[i % COLOURS.length]}"/><text x="${labelW + i * 120 + 14}" y="39" font-size="11">${esc(s)}</text>`); });
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    parts.push(`<line x1="${x(v)}" y1="${top - 4}" x2="${x(v)}" y2="${height - 30}" stroke="#ddd"/><text x="${x(v)}" y="${height - 16}" font-size="10" text-anchor="middle">${Number(v.toPrecision(3)).toLocaleString('en-US')} ${esc(unit)}</text>`);
  }
  rows.forEach((r, ri) => {
    const y0 = top + ri * groupH;
    parts.push(`<text x="${labelW - 6}" y="${y0 + groupH / 2}" font-size="11" text-anchor="end">${esc(r.label)}</text>`);
    r.values.forEach((v, i) => {
      parts.push(`<rect x="${labelW}" y="${y0 + i * barH}" width="${Math.max(0.5, x(v) - labelW).toFixed(1)}" height="${barH - 2}" fill="${COLOURS[i % COLOURS.length]}"><title>${esc(`${r.label} ${series[i]}: ${v} ${unit}`)}</title></rect><text x="${(x(v) + 3).toFixed(1)}" y="${y0 + i * barH + barH - 3}" font-size="9">${Number(v.toPrecision(4)).toLocaleString('en-US')}</text>`);
    });
  });
  if (goal !== undefined) parts.push(`<line x1="${x(goal.value)}" y1="${top - 4}" x2="${x(goal.value)}" y2="${height - 30}" stroke="#c00" stroke-dasharray="4 3"/><text x="${x(goal.value) + 3}" y="${top - 6}" font-size="10" fill="#c00">${esc(goal.label)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 80}" height="${height}" font-family="sans-serif">${parts.join('')}</svg>\n`;
}

/** Cumulative distributions of samples (ms), one line per series, with an optional goal. */
export function cdfChart(title: string, series: { name: string; samples: number[] }[], goal?: { value: number; label: string }): string {
  const w = 760;
  const h = 360;
  const left = 60;
  const top = 40;
  const plotW = w - left - 30;
  const plotH = h - top - 50;
  const max = niceMax(Math.max(1, ...series.flatMap((s) => s.samples), goal?.value ?? 0));
  const x = (v: number): number => left + (v / max) * plotW;
  const y = (p: number): number => top + plotH - p * plotH;
  const parts: string[] = [`<rect width="100%" height="100%" fill="#fff"/>`, `<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`];
  for (let t = 0; t <= 4; t++) {
    parts.push(`<line x1="${x((max * t) / 4)}" y1="${top}" x2="${x((max * t) / 4)}" y2="${top + plotH}" stroke="#ddd"/><text x="${x((max * t) / 4)}" y="${top + plotH + 14}" font-size="10" text-anchor="middle">${Number(((max * t) / 4).toPrecision(3))} ms</text>`);
    parts.push(`<line x1="${left}" y1="${y(t / 4)}" x2="${left + plotW}" y2="${y(t / 4)}" stroke="#eee"/><text x="${left - 4}" y="${y(t / 4) + 3}" font-size="10" text-anchor="end">${t * 25}%</text>`);
  }
  series.forEach((s, i) => {
    const sorted = [...s.samples].sort((a, b) => a - b);
    const pts = sorted.map((v, k) => `${x(v).toFixed(1)},${y((k + 1) / sorted.length).toFixed(1)}`);
    if (pts.length > 0) parts.push(`<polyline fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="2" points="${x(0)},${y(0)} ${pts.join(' ')}"/>`);
    parts.push(`<rect x="${left + 10 + i * 260}" y="${top + plotH + 26}" width="10" height="10" fill="${COLOURS[i % COLOURS.length]}"/><text x="${left + 24 + i * 260}" y="${top + plotH + 35}" font-size="11">${esc(`${s.name} (${s.samples.length})`)}</text>`);
  });
  if (goal !== undefined) parts.push(`<line x1="${x(goal.value)}" y1="${top}" x2="${x(goal.value)}" y2="${top + plotH}" stroke="#c00" stroke-dasharray="4 3"/><text x="${x(goal.value) + 3}" y="${top + 10}" font-size="10" fill="#c00">${esc(goal.label)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">${parts.join('')}</svg>\n`;
}
