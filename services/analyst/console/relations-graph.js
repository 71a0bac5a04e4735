// @ts-check
import { h, indicatorHref, s } from './dom.js';
import { forceLayout } from './force-layout.js';
import { groupHubs } from './graph-groups.js';

const W = 760;
const H = 460;
const MARGIN_X = 110;
const MARGIN_Y = 40;
const KIND_LETTER = /** @type {Record<string, string>} */ ({ file: 'F', url: 'U', domain: 'D', ip: 'I', email: 'E' });

/** @param {string} text @param {number} max */
const shorten = (text, max) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** @param {string} kind @param {string} value */
const label = (kind, value) => shorten(kind === 'file' ? value.slice(0, 12) : value.replace(/^https?:\/\//, ''), 28);

/**
 * The relations graph around an indicator: nodes coloured by verdict, laid out by force, each
 * a link to its own page. Edge counts appear only when the API gave them (k sensors).
 * @param {any} graph the `GET .../relations` answer
 */
export function relationsGraph(graph) {
  /** @type {{ id: string, kind: string, value: string, depth: number, verdict: string }[]} */
  const nodes = graph.nodes;
  /** @type {{ source: string, target: string, rel: string, counts: { suppressed: boolean, fewer_than?: number, events?: number, sensors?: number } }[]} */
  const edges = graph.edges;
  if (edges.length === 0) {
    return h('p', { class: 'muted', id: 'relations-graph', 'data-nodes': nodes.length }, 'No relations recorded for this indicator yet.');
  }
  const drawn = groupHubs(nodes, edges);
  const pos = forceLayout(drawn.nodes, drawn.edges, { width: W - 2 * MARGIN_X, height: H - 2 * MARGIN_Y });
  const at = (/** @type {string} */ id) => {
    const p = pos.get(id) ?? { x: 0, y: 0 };
    return { x: p.x + MARGIN_X, y: p.y + MARGIN_Y };
  };
  const showRel = drawn.edges.length <= 40;
  // Past a few dozen nodes labels overlap: the centre and its neighbours keep theirs, the rest
  // tell theirs on hover.
  const labelDepth = drawn.nodes.length > 25 ? 1 : Infinity;
  const edgeEls = drawn.edges.map((e) => {
    const a = at(e.source);
    const b = at(e.target);
    const counts = e.counts.suppressed ? `fewer than ${e.counts.fewer_than} sensors` : e.counts.events === undefined ? 'grouped' : `${e.counts.events} events, ${e.counts.sensors} sensors`;
    return s('g', { class: 'edge' },
      s('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y }),
      showRel ? s('text', { class: 'edge-label', x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 3, 'text-anchor': 'middle' }, e.rel.replaceAll('_', ' ')) : null,
      s('title', {}, `${e.rel}: ${counts}`));
  });
  const nodeEls = drawn.nodes.map((/** @type {import('./graph-groups.js').DrawnNode} */ node) => {
    const p = at(node.id);
    if (node.group !== undefined) {
      // One counted node for a hub's quiet leaves; it opens the hub, whose page lists them.
      const { count, hub, verdicts } = node.group;
      const mix = Object.entries(verdicts).map(([v, n]) => `${n} ${v}`).join(', ');
      return s('a', { href: indicatorHref(hub.kind, hub.value), class: 'node-link', 'aria-label': `${count} ${node.kind}s related to ${hub.kind} ${hub.value}: ${mix}` },
        s('g', { class: `node node-group verdict-${node.verdict}`, 'data-kind': node.kind, 'data-count': count, 'data-hub': hub.value, transform: `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})` },
          s('circle', { r: 14 }),
          s('text', { class: 'node-kind', 'text-anchor': 'middle', y: 4 }, String(count)),
          s('text', { class: 'node-label', 'text-anchor': 'middle', y: 27 }, `${count} ${node.kind}s`),
          s('title', {}, `${count} ${node.kind}s related to ${hub.kind} ${hub.value} and nothing else shown here (${mix}); open the ${hub.kind} to list them`)));
    }
    const r = node.depth === 0 ? 15 : 10;
    return s('a', { href: indicatorHref(node.kind, node.value), class: 'node-link', 'aria-label': `${node.kind} ${node.value}: ${node.verdict}` },
      s('g', { class: `node verdict-${node.verdict}${node.depth === 0 ? ' node-centre' : ''}`, 'data-kind': node.kind, 'data-value': node.value, 'data-verdict': node.verdict, transform: `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})` },
        s('circle', { r }),
        s('text', { class: 'node-kind', 'text-anchor': 'middle', y: 4 }, KIND_LETTER[node.kind] ?? '?'),
        node.depth <= labelDepth ? s('text', { class: 'node-label', 'text-anchor': 'middle', y: r + 13 }, label(node.kind, node.value)) : null,
        s('title', {}, `${node.kind} ${node.value}\nverdict: ${node.verdict}\n${node.depth} hop${node.depth === 1 ? '' : 's'} away`)));
  });
  return h('figure', { class: 'graph', id: 'relations-graph', 'data-nodes': nodes.length, 'data-edges': edges.length, 'data-drawn-nodes': drawn.nodes.length },
    s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'group', 'aria-label': 'Relations graph' }, s('g', { class: 'edges' }, ...edgeEls), s('g', { class: 'nodes' }, ...nodeEls)),
    h('figcaption', {},
      ...['malicious', 'suspicious', 'clean', 'unknown'].map((v) => h('span', { class: `legend legend-node verdict-${v}` }, v)),
      ` · ${nodes.length} indicators, ${edges.length} relations${graph.truncated ? ' (truncated)' : ''}${drawn.nodes.length < nodes.length ? ' · quiet leaves of a hub drawn as one counted node' : ''} · click one to open it`));
}
