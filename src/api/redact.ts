import { createHash } from 'node:crypto';

// host:port as soakwatch reaches nodes (10.0.1.20:6379, redis-0001-001.abc.cache.amazonaws.com:6379).
const HOST_PORT = /\b(?:\d{1,3}(?:\.\d{1,3}){3}|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|localhost):\d{2,5}\b/g;

/**
 * A stable pseudonym for a node's address: the API says which node (the same one from answer to answer,
 * and an operator with the address can compute it) without telling the internet the network's layout.
 */
export function nodePseudonym(address: string): string {
  return `node-${createHash('sha256').update(address).digest('hex').slice(0, 8)}`;
}

/**
 * What the API answers, without internal host:port: the status's failed nodes as pseudonyms, and any
 * address inside a text (a criterion's cause) replaced the same way. SNS (on-call) keeps the addresses.
 */
export function redactAddresses<T>(value: T): T {
  return walk(value) as T;
}

function walk(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(HOST_PORT, nodePseudonym);
  if (Array.isArray(value)) return value.map(walk);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v);
    return out;
  }
  return value;
}
