import { AGGREGATE_EVENTS } from '@repute/analytics';
import type { AnalyticsReader } from './analytics-reader.ts';
import { isoTime } from './analytics-reader.ts';

export interface GraphNode {
  id: string;
  kind: string;
  value: string;
  digest: string;
  depth: number;
}

export interface GraphEdge {
  source: string;
  target: string;
  rel: string;
  events: number;
  sensors: number;
  first_seen: string | null;
  last_seen: string | null;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  truncated: boolean;
}

const nodeId = (kind: string, digest: string) => `${kind}:${digest}`;

/**
 * Breadth-first walk of the relations table, one query per hop with the frontier bound as array
 * parameters (kinds and digests apart: digests are SHA-256, so a cross-kind false pair does not occur). Rows are stored in both directions, so reading `src = frontier` finds every
 * neighbour; the edge is reported once, in its `out` direction. `perHop` bounds each hop and
 * `maxEdges` the whole walk, so a hub (a CDN IP, a popular domain) cannot blow the answer up.
 */
export async function relationsGraph(reader: AnalyticsReader, start: { kind: string; value: string; digest: string }, options: { depth: number; perHop: number; maxEdges: number }): Promise<Graph> {
  const nodes = new Map<string, GraphNode>([[nodeId(start.kind, start.digest), { id: nodeId(start.kind, start.digest), kind: start.kind, value: start.value, digest: start.digest, depth: 0 }]]);
  const edges = new Map<string, GraphEdge>();
  let frontier: [string, string][] = [[start.kind, start.digest]];
  let truncated = false;
  for (let hop = 1; hop <= options.depth && frontier.length > 0; hop++) {
    const budget = Math.min(options.perHop, options.maxEdges - edges.size);
    if (budget <= 0) {
      truncated = true;
      break;
    }
    const rows = await reader.rows<{ src_kind: string; src_digest: string; rel: string; direction: string; dst_kind: string; dst_digest: string; src_value: string; dst_value: string; events: string; sensors: string; first_seen: string; last_seen: string }>(
      `SELECT src_kind, src_digest, rel, direction, dst_kind, dst_digest, any(src_value) AS src_value, any(dst_value) AS dst_value,
         ${AGGREGATE_EVENTS} AS events, uniqMerge(sensors) AS sensors, min(first_seen) AS first_seen, max(last_seen) AS last_seen
       FROM {db}.relations
       WHERE src_kind IN {kinds:Array(String)} AND src_digest IN {digests:Array(String)}
       GROUP BY src_kind, src_digest, rel, direction, dst_kind, dst_digest
       ORDER BY events DESC, dst_kind, dst_digest
       LIMIT {limit:UInt32}`,
      { kinds: [...new Set(frontier.map((f) => f[0]))], digests: frontier.map((f) => f[1]), limit: budget + 1 },
    );
    if (rows.length > budget) {
      truncated = true;
      rows.length = budget;
    }
    const next: [string, string][] = [];
    for (const r of rows) {
      const src = nodeId(r.src_kind, r.src_digest);
      const dst = nodeId(r.dst_kind, r.dst_digest);
      if (!nodes.has(dst)) {
        nodes.set(dst, { id: dst, kind: r.dst_kind, value: r.dst_value, digest: r.dst_digest, depth: hop });
        next.push([r.dst_kind, r.dst_digest]);
      }
      const [source, target] = r.direction === 'out' ? [src, dst] : [dst, src];
      const id = `${source}|${r.rel}|${target}`;
      if (!edges.has(id)) {
        edges.set(id, { source, target, rel: r.rel, events: Number(r.events), sensors: Number(r.sensors), first_seen: isoTime(r.first_seen), last_seen: isoTime(r.last_seen) });
      }
    }
    frontier = next;
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()], truncated };
}
