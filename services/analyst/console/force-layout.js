// @ts-check
// A small force-directed layout (Fruchterman–Reingold with cooling), deterministic: nodes start
// on rings by hop distance from the centre, so the same graph is drawn the same way every time.
// O(n²) per iteration is fine for the few hundred nodes a relations walk returns.

/**
 * @typedef {{ id: string, depth: number }} LayoutNode
 * @typedef {{ source: string, target: string }} LayoutEdge
 * @typedef {{ x: number, y: number }} Point
 */

/**
 * @param {LayoutNode[]} nodes
 * @param {LayoutEdge[]} edges
 * @param {{ width: number, height: number, iterations?: number }} size
 * @returns {Map<string, Point>} positions inside [0, width] × [0, height]
 */
export function forceLayout(nodes, edges, size) {
  const n = nodes.length;
  /** @type {Map<string, Point>} */
  const pos = new Map();
  if (n === 0) return pos;
  const area = size.width * size.height;
  const k = Math.sqrt(area / n) * 0.75;
  const ring = Math.min(size.width, size.height) / 6;
  /** @type {Map<number, LayoutNode[]>} */
  const byDepth = new Map();
  for (const node of nodes) byDepth.set(node.depth, [...(byDepth.get(node.depth) ?? []), node]);
  for (const [depth, group] of byDepth) {
    group.forEach((node, i) => {
      const angle = (2 * Math.PI * i) / group.length + depth * 0.7;
      const r = depth === 0 && group.length === 1 ? 0 : ring * (depth + 0.5);
      pos.set(node.id, { x: r * Math.cos(angle), y: r * Math.sin(angle) });
    });
  }
  const links = edges.filter((e) => pos.has(e.source) && pos.has(e.target) && e.source !== e.target);
  const iterations = size.iterations ?? 300;
  let temperature = Math.min(size.width, size.height) / 8;
  const ids = nodes.map((node) => node.id);
  const points = ids.map((id) => /** @type {Point} */ (pos.get(id)));
  const disp = points.map(() => ({ x: 0, y: 0 }));
  const index = new Map(ids.map((id, i) => [id, i]));
  for (let it = 0; it < iterations; it++) {
    for (const d of disp) { d.x = 0; d.y = 0; }
    for (let i = 0; i < n; i++) {
      const a = /** @type {Point} */ (points[i]);
      for (let j = i + 1; j < n; j++) {
        const b = /** @type {Point} */ (points[j]);
        let dx = a.x - b.x;
        let dy = a.y - b.y;
        let dist = Math.hypot(dx, dy);
        if (dist < 0.01) { dx = 0.01 * (i - j); dy = 0.01; dist = Math.hypot(dx, dy); }
        const force = (k * k) / dist;
        const di = /** @type {Point} */ (disp[i]);
        const dj = /** @type {Point} */ (disp[j]);
        di.x += (dx / dist) * force; di.y += (dy / dist) * force;
        dj.x -= (dx / dist) * force; dj.y -= (dy / dist) * force;
      }
    }
    for (const e of links) {
      const i = /** @type {number} */ (index.get(e.source));
      const j = /** @type {number} */ (index.get(e.target));
      const a = /** @type {Point} */ (points[i]);
      const b = /** @type {Point} */ (points[j]);
      const dx = a.x - b.x;
      const dy = a.y - b.y;
      const dist = Math.max(0.01, Math.hypot(dx, dy));
      const force = (dist * dist) / k;
      const di = /** @type {Point} */ (disp[i]);
      const dj = /** @type {Point} */ (disp[j]);
      di.x -= (dx / dist) * force; di.y -= (dy / dist) * force;
      dj.x += (dx / dist) * force; dj.y += (dy / dist) * force;
    }
    for (let i = 0; i < n; i++) {
      const p = /** @type {Point} */ (points[i]);
      const d = /** @type {Point} */ (disp[i]);
      // Weak gravity keeps unconnected parts from drifting off.
      d.x -= p.x * 0.05; d.y -= p.y * 0.05;
      const len = Math.max(0.01, Math.hypot(d.x, d.y));
      p.x += (d.x / len) * Math.min(len, temperature);
      p.y += (d.y / len) * Math.min(len, temperature);
    }
    temperature *= 0.985;
  }
  // Fitted to the box: a walk usually spreads to one side (a hub's children), and a drawing
  // centred on the indicator would leave half the box empty. The centre is marked, not pinned.
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const minX = Math.min(...xs);
  const minY = Math.min(...ys);
  const spanX = Math.max(1, Math.max(...xs) - minX);
  const spanY = Math.max(1, Math.max(...ys) - minY);
  ids.forEach((id, i) => {
    const p = /** @type {Point} */ (points[i]);
    pos.set(id, {
      x: n === 1 ? size.width / 2 : ((p.x - minX) / spanX) * size.width,
      y: n === 1 ? size.height / 2 : ((p.y - minY) / spanY) * size.height,
    });
  });
  return pos;
}
