// @ts-check
// Hubs collapsed for drawing: a parent process with forty children or a resolver with a
// hundred names drowns the graph in look-alike leaves. Leaves that only hang off one hub and
// say nothing bad are drawn as one counted node per hub, kind and relation; malicious and
// suspicious leaves stay drawn, one by one, since they are what an analyst pivots on.

/**
 * @typedef {{ id: string, kind: string, value: string, depth: number, verdict: string }} GraphNode
 * @typedef {{ source: string, target: string, rel: string, counts: any }} GraphEdge
 * @typedef {GraphNode & { group?: { count: number, hub: GraphNode, verdicts: Record<string, number> } }} DrawnNode
 */

/** More benign leaves than this on one hub are drawn as one node. */
export const MAX_LEAVES = 8;

const QUIET = new Set(['clean', 'unknown']);

/**
 * @param {GraphNode[]} nodes
 * @param {GraphEdge[]} edges
 * @returns {{ nodes: DrawnNode[], edges: GraphEdge[] }}
 */
export function groupHubs(nodes, edges) {
  /** @type {Map<string, GraphEdge[]>} */
  const incident = new Map();
  for (const e of edges) {
    for (const id of [e.source, e.target]) incident.set(id, [...(incident.get(id) ?? []), e]);
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  // Leaves by hub, kind and relation: a node with one relation, not the centre, and quiet.
  /** @type {Map<string, { hub: GraphNode, rel: string, kind: string, leaves: GraphNode[], outward: boolean }>} */
  const buckets = new Map();
  for (const node of nodes) {
    const own = incident.get(node.id) ?? [];
    if (node.depth === 0 || own.length !== 1 || !QUIET.has(node.verdict)) continue;
    const e = own[0];
    if (e === undefined) continue;
    const hubId = e.source === node.id ? e.target : e.source;
    const hub = byId.get(hubId);
    if (hub === undefined) continue;
    const key = `${hubId}|${node.kind}|${e.rel}`;
    const bucket = buckets.get(key) ?? { hub, rel: e.rel, kind: node.kind, leaves: [], outward: e.source === hubId };
    bucket.leaves.push(node);
    buckets.set(key, bucket);
  }
  const hidden = new Set();
  /** @type {DrawnNode[]} */
  const groups = [];
  /** @type {GraphEdge[]} */
  const groupEdges = [];
  for (const [key, b] of buckets) {
    if (b.leaves.length <= MAX_LEAVES) continue;
    for (const leaf of b.leaves) hidden.add(leaf.id);
    /** @type {Record<string, number>} */
    const verdicts = {};
    for (const leaf of b.leaves) verdicts[leaf.verdict] = (verdicts[leaf.verdict] ?? 0) + 1;
    const id = `group:${key}`;
    const depth = Math.max(...b.leaves.map((l) => l.depth));
    groups.push({ id, kind: b.kind, value: b.hub.value, depth, verdict: (verdicts['unknown'] ?? 0) >= (verdicts['clean'] ?? 0) ? 'unknown' : 'clean', group: { count: b.leaves.length, hub: b.hub, verdicts } });
    groupEdges.push({ source: b.outward ? b.hub.id : id, target: b.outward ? id : b.hub.id, rel: b.rel, counts: { suppressed: false, events: undefined, sensors: undefined } });
  }
  if (hidden.size === 0) return { nodes, edges };
  return {
    nodes: [...nodes.filter((n) => !hidden.has(n.id)), ...groups],
    edges: [...edges.filter((e) => !hidden.has(e.source) && !hidden.has(e.target)), ...groupEdges],
  };
}
