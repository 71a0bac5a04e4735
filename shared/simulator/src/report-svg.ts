import type { SimulationReport } from './run-simulation.ts';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS = { precision: '#1f4e79', recall: '#c55a11', precisionSevere: '#9dc3e6', recallSevere: '#f4b183', suspicious: '#7f7f7f' };
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${FONT} ${attrs}>${esc(s)}</text>`;
}

/** A round axis maximum and step for `max` (1, 2 or 5 times a power of ten). */
function niceAxis(max: number, ticks = 5): { top: number; step: number } {
  if (max <= 0) return { top: 1, step: 0.2 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  return { top: Math.ceil(max / step) * step, step };
}

/**
 * The report as a self-contained SVG: precision and recall per indicator kind (bars), and
 * time to conviction per campaign (horizontal bars, suspicious as a marker).
 */
export function renderSvg(r: SimulationReport): string {
  const W = 960;
  const out: string[] = [];
  const kinds = ['file', 'url', 'domain', 'ip', 'all'] as const;

  // Panel 1: precision / recall per kind.
  const p1 = { x: 70, y: 110, w: W - 110, h: 240 };
  out.push(text(W / 2, 30, `Repute simulation — seed ${r.seed}`, 'font-size="20" font-weight="bold" text-anchor="middle"'));
  out.push(text(W / 2, 52, `${r.events.accepted} events, ${r.tenants.simulated} tenants, ${r.sensors} endpoint sensors, ${r.campaigns.length} campaigns; ${r.truth.malicious} malicious and ${r.truth.benign} benign indicators scored at the edge`, 'font-size="12" fill="#444" text-anchor="middle"'));
  out.push(text(20, p1.y - 28, 'Precision and recall per indicator kind', 'font-size="15" font-weight="bold"'));
  for (let t = 0; t <= 100; t += 25) {
    const y = p1.y + p1.h - (t / 100) * p1.h;
    out.push(`<line x1="${p1.x}" y1="${y}" x2="${p1.x + p1.w}" y2="${y}" stroke="${t === 0 ? '#000' : '#ddd'}" stroke-width="1"/>`);
    out.push(text(p1.x - 8, y + 4, `${t}%`, 'font-size="11" text-anchor="end"'));
  }
  out.push(`<line x1="${p1.x}" y1="${p1.y}" x2="${p1.x}" y2="${p1.y + p1.h}" stroke="#000"/>`);
  out.push(text(18, p1.y + p1.h / 2, 'share', `font-size="12" text-anchor="middle" transform="rotate(-90 18 ${p1.y + p1.h / 2})"`));
  const series = [
    { label: 'precision (malicious)', color: COLORS.precision, get: (k: (typeof kinds)[number]) => r.evaluation.kinds[k].strict.precision },
    { label: 'recall (malicious)', color: COLORS.recall, get: (k: (typeof kinds)[number]) => r.evaluation.kinds[k].strict.recall },
    { label: 'precision (malicious or suspicious)', color: COLORS.precisionSevere, get: (k: (typeof kinds)[number]) => r.evaluation.kinds[k].severe.precision },
    { label: 'recall (malicious or suspicious)', color: COLORS.recallSevere, get: (k: (typeof kinds)[number]) => r.evaluation.kinds[k].severe.recall },
  ];
  const groupW = p1.w / kinds.length;
  const barW = (groupW * 0.7) / series.length;
  kinds.forEach((k, g) => {
    const x0 = p1.x + g * groupW + groupW * 0.15;
    series.forEach((s, i) => {
      const v = s.get(k);
      const x = x0 + i * barW;
      if (v === null) {
        out.push(text(x + barW / 2, p1.y + p1.h - 4, 'n/a', 'font-size="9" text-anchor="middle" fill="#888"'));
        return;
      }
      const h = v * p1.h;
      out.push(`<rect x="${x.toFixed(1)}" y="${(p1.y + p1.h - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${esc(`${k} ${s.label}: ${(v * 100).toFixed(1)}%`)}</title></rect>`);
      out.push(text(x + barW / 2 - 1, p1.y + p1.h - h - 4, `${Math.round(v * 100)}`, 'font-size="10" text-anchor="middle"'));
    });
    const q = r.evaluation.kinds[k];
    out.push(text(p1.x + g * groupW + groupW / 2, p1.y + p1.h + 18, k, 'font-size="13" font-weight="bold" text-anchor="middle"'));
    out.push(text(p1.x + g * groupW + groupW / 2, p1.y + p1.h + 33, `${q.malicious} malicious / ${q.benign} benign`, 'font-size="10" fill="#555" text-anchor="middle"'));
  });
  const legendY = p1.y + p1.h + 52;
  series.forEach((s, i) => {
    const x = p1.x + i * (p1.w / 4);
    out.push(`<rect x="${x}" y="${legendY - 10}" width="12" height="12" fill="${s.color}"/>`);
    out.push(text(x + 17, legendY, s.label, 'font-size="11"'));
  });

  // Panel 2: time to conviction per campaign.
  const rowH = 26;
  const p2 = { x: 250, y: legendY + 75, w: W - 250 - 190, h: Math.max(1, r.campaigns.length) * rowH };
  out.push(text(20, p2.y - 32, 'Time to conviction per campaign', 'font-size="15" font-weight="bold"'));
  out.push(text(20, p2.y - 14, 'wall clock from the campaign\'s first event sent to the edge answering malicious for its primary indicator (simulated time in brackets)', 'font-size="11" fill="#444"'));
  const times = r.campaigns.flatMap((c) => [c.timeToMaliciousMs, c.timeToSuspiciousMs]).filter((t): t is number => t !== null);
  const axis = niceAxis(Math.max(1, ...times) / 1000);
  const xOf = (ms: number) => p2.x + (ms / 1000 / axis.top) * p2.w;
  for (let t = 0; t <= axis.top + 1e-9; t += axis.step) {
    const x = p2.x + (t / axis.top) * p2.w;
    out.push(`<line x1="${x.toFixed(1)}" y1="${p2.y}" x2="${x.toFixed(1)}" y2="${p2.y + p2.h}" stroke="${t === 0 ? '#000' : '#ddd'}"/>`);
    out.push(text(x, p2.y + p2.h + 16, `${Number(t.toFixed(3))}`, 'font-size="11" text-anchor="middle"'));
  }
  out.push(`<line x1="${p2.x}" y1="${p2.y + p2.h}" x2="${p2.x + p2.w}" y2="${p2.y + p2.h}" stroke="#000"/>`);
  out.push(text(p2.x + p2.w / 2, p2.y + p2.h + 34, 'seconds (wall clock)', 'font-size="12" text-anchor="middle"'));
  r.campaigns.forEach((c, i) => {
    const y = p2.y + i * rowH;
    out.push(text(p2.x - 8, y + rowH / 2 + 4, `${c.id} (${c.vector}, ${c.victims} hosts)`, 'font-size="12" text-anchor="end"'));
    if (c.timeToMaliciousMs !== null) {
      const w = Math.max(2, xOf(c.timeToMaliciousMs) - p2.x);
      out.push(`<rect x="${p2.x}" y="${y + 5}" width="${w.toFixed(1)}" height="${rowH - 10}" fill="${COLORS.precision}"><title>${esc(`${c.id}: malicious after ${(c.timeToMaliciousMs / 1000).toFixed(2)} s`)}</title></rect>`);
      out.push(text(p2.x + w + 6, y + rowH / 2 + 4, `${(c.timeToMaliciousMs / 1000).toFixed(2)} s${c.virtualTimeToMaliciousMs !== null ? ` (${Math.round(c.virtualTimeToMaliciousMs / 60_000)} min)` : ''}`, 'font-size="11"'));
    } else {
      out.push(text(p2.x + 6, y + rowH / 2 + 4, `not convicted (final verdict: ${c.finalVerdict})`, 'font-size="11" fill="#a00" font-style="italic"'));
    }
    if (c.timeToSuspiciousMs !== null && c.timeToSuspiciousMs !== c.timeToMaliciousMs) {
      out.push(`<circle cx="${xOf(c.timeToSuspiciousMs).toFixed(1)}" cy="${y + rowH / 2}" r="5" fill="${COLORS.suspicious}" stroke="#fff"><title>${esc(`${c.id}: suspicious after ${(c.timeToSuspiciousMs / 1000).toFixed(2)} s`)}</title></circle>`);
    }
  });
  const ly = p2.y + p2.h + 58;
  out.push(`<rect x="${p2.x}" y="${ly - 10}" width="12" height="12" fill="${COLORS.precision}"/>`);
  out.push(text(p2.x + 17, ly, 'answered malicious', 'font-size="11"'));
  out.push(`<circle cx="${p2.x + 176}" cy="${ly - 4}" r="5" fill="${COLORS.suspicious}"/>`);
  out.push(text(p2.x + 187, ly, 'first answered suspicious', 'font-size="11"'));
  const H = ly + 20;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">\n<rect width="${W}" height="${H}" fill="#fff"/>\n${out.join('\n')}\n</svg>\n`;
}
