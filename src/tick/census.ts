import type { ConnectionReport } from '../store/index.js';

/**
 * How long a process's report counts after it was made. Lambda freezes an idle container with its
 * sockets open and reaps it after several minutes unused: until then its connections are still open
 * on the nodes, so a report is kept 15 minutes (counting a reaped container a little too long errs on
 * the side of the bound).
 */
export const CENSUS_TTL_MS = 15 * 60_000;

/** Nodes named in a census, most loaded first. */
export const CENSUS_TOP_NODES = 5;

/** soakwatch's connections per Redis node, summed over every live process's report. */
export interface ConnectionCensus {
  /** Processes (containers) whose report counted. */
  processes: number;
  /** Nodes any of them holds a connection to. */
  nodes: number;
  /** Connections over every node. */
  total: number;
  /** The most any one node sees (ElastiCache's and Redis's maxclients are per node). */
  maxPerNode: number;
  /** The most loaded nodes, most first (at most CENSUS_TOP_NODES). */
  busiest: { node: string; connections: number }[];
  /** `fleet.maxConnectionsPerNode`. */
  bound: number;
  /** Nodes above the bound, most first (all of them). */
  overBound: { node: string; connections: number }[];
}

/** Sums the reports per node (pure). */
export function censusOf(reports: readonly ConnectionReport[], bound: number): ConnectionCensus {
  const byNode = new Map<string, number>();
  for (const r of reports)
    for (const [node, n] of Object.entries(r.byNode)) byNode.set(node, (byNode.get(node) ?? 0) + n);
  const ranked = [...byNode]
    .map(([node, connections]) => ({ node, connections }))
    .filter((n) => n.connections > 0)
    .sort((a, b) => b.connections - a.connections || a.node.localeCompare(b.node));
  return {
    processes: reports.length,
    nodes: ranked.length,
    total: ranked.reduce((sum, n) => sum + n.connections, 0),
    maxPerNode: ranked[0]?.connections ?? 0,
    busiest: ranked.slice(0, CENSUS_TOP_NODES),
    bound,
    overBound: ranked.filter((n) => n.connections > bound),
  };
}
