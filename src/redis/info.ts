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
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const name = line.slice(1).trim().toLowerCase();
      if (name) out.sections.add(name);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    // A key that would touch the prototype of the plain objects below is never a real INFO field.
    if (key.endsWith('__proto__')) continue;
    const value = line.slice(colon + 1);
    if (/^db\d+$/.test(key)) {
      const db = Number(key.slice(2));
      const kv = parseKv(value);
      const keys = toNumber(kv.keys);
      const expires = toNumber(kv.expires);
      if (db < MAX_REASONABLE_DB && keys !== undefined && expires !== undefined) {
        out.keyspace[db] = { keys, expires };
      }
      continue;
    }
    if (/^slave\d+$/.test(key)) {
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
