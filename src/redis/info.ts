/** A keyspace line of INFO: `db0:keys=1,expires=0,avg_ttl=0`. */
export interface KeyspaceEntry {
  keys: number;
  expires: number;
}

/** A `slaveN:` line of INFO replication, as the primary sees its replica. */
export interface ReplicaLine {
  address: string;
  offset: number;
  lagSeconds: number;
  state: string;
}

/** A `cmdstat_<name>:` line of INFO commandstats. */
export interface CommandStat {
  calls: number;
  usec: number;
}

/** INFO output, parsed. Unknown fields are kept in `fields` and otherwise ignored. */
export interface InfoSections {
  /** Section names seen (`# Memory` → `memory`). */
  sections: Set<string>;
  /** Every plain `key:value` line, by key. */
  fields: Map<string, string>;
  keyspace: Record<number, KeyspaceEntry>;
  replicas: ReplicaLine[];
  /** `errorstat_ERR:count=3` → `{ ERR: 3 }`. */
  errorstats: Record<string, number>;
  /** `cmdstat_client|list:calls=…` → `{ 'client|list': … }`. */
  commandstats: Record<string, CommandStat>;
}

const MAX_REASONABLE_DB = 1 << 16;

/**
 * Parses the text of an INFO reply. Never throws: malformed lines are skipped, numbers that do
 * not parse are left out, so a caller sees "absent" rather than a wrong 0.
 */
export function parseInfo(text: unknown): InfoSections {
  const out: InfoSections = {
    sections: new Set(),
    fields: new Map(),
    keyspace: {},
    replicas: [],
    errorstats: {},
    commandstats: {},
  };
  if (typeof text !== 'string') return out;
  // One pass over the text by index (no split, no per-line regex): a sample parses 8+ INFO replies of
  // ~3 KB each, and this loop was the sampler's largest client-side cost.
  const length = text.length;
  let start = 0;
  while (start < length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = length;
    const next = end + 1;
    // Trim: INFO lines end with \r; a hand-written reply may carry spaces.
    while (start < end && isSpace(text.charCodeAt(start))) start++;
    while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
    if (start === end) {
      start = next;
      continue;
    }
    if (text.charCodeAt(start) === HASH) {
      const name = text
        .slice(start + 1, end)
        .trim()
        .toLowerCase();
      if (name) out.sections.add(name);
      start = next;
      continue;
    }
    const colon = text.indexOf(':', start);
    if (colon <= start || colon >= end) {
      start = next;
      continue;
    }
    const key = text.slice(start, colon);
    const value = text.slice(colon + 1, end);
    start = next;
    // A key that would touch the prototype of the plain objects below is never a real INFO field.
    if (key.endsWith('__proto__')) continue;
    if (isNumbered(key, 'db')) {
      const db = Number(key.slice(2));
      const kv = parseKv(value);
      const keys = toNumber(kv.keys);
      const expires = toNumber(kv.expires);
      if (db < MAX_REASONABLE_DB && keys !== undefined && expires !== undefined) {
        out.keyspace[db] = { keys, expires };
      }
      continue;
    }
    if (isNumbered(key, 'slave')) {
      const replica = replicaLine(value);
      if (replica) out.replicas.push(replica);
      continue;
    }
    if (key.startsWith('errorstat_') && key.length > 'errorstat_'.length) {
      const count = toNumber(parseKv(value).count);
      if (count !== undefined) out.errorstats[key.slice('errorstat_'.length)] = count;
      continue;
    }
    if (key.startsWith('cmdstat_') && key.length > 'cmdstat_'.length) {
      const kv = parseKv(value);
      const calls = toNumber(kv.calls);
      if (calls !== undefined)
        out.commandstats[key.slice('cmdstat_'.length)] = { calls, usec: toNumber(kv.usec) ?? 0 };
      continue;
    }
    out.fields.set(key, value);
  }
  return out;
}

const HASH = 35;

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 13 || code === 10;
}

/** `db12`, `slave0`: the prefix then one or more digits, nothing else. */
function isNumbered(key: string, prefix: string): boolean {
  if (key.length <= prefix.length || !key.startsWith(prefix)) return false;
  for (let i = prefix.length; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A numeric INFO field, or `undefined` when absent or not a number. */
export function infoNumber(info: InfoSections, field: string): number | undefined {
  return toNumber(info.fields.get(field));
}

/** A string INFO field, or `undefined` when absent. */
export function infoString(info: InfoSections, field: string): string | undefined {
  return info.fields.get(field);
}

function replicaLine(value: string): ReplicaLine | undefined {
  const kv = parseKv(value);
  const port = toNumber(kv.port);
  const offset = toNumber(kv.offset);
  if (kv.ip === undefined || port === undefined || offset === undefined) return undefined;
  return {
    address: `${kv.ip}:${port}`,
    offset,
    lagSeconds: toNumber(kv.lag) ?? 0,
    state: kv.state ?? 'unknown',
  };
}

// `a=1,b=2` → { a: '1', b: '2' }. A null-prototype object, so a field named __proto__ is harmless.
function parseKv(value: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = Object.create(null);
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

function toNumber(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}
