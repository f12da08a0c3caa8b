import { type BinKey, binFromText } from './binaryKey.js';
import { ConsistencyInputError } from './errors.js';

/** Legacy db ↔ target key prefix, from a tenant's `dbMap` (e.g. `{"0": "", "3": "impact:"}`). */
export interface KeyMapper {
  /** Legacy dbs in the map. */
  dbs: number[];
  prefixOf(db: number): BinKey | undefined;
  toTarget(db: number, key: BinKey): BinKey;
  /** The legacy db and key of a target key (longest matching prefix); null when no prefix matches. */
  toLegacy(targetKey: BinKey): { db: number; key: BinKey } | null;
}

/** Builds a mapper; throws ConsistencyInputError naming the bad entry. */
export function keyMapper(dbMap: Readonly<Record<string, string>>): KeyMapper {
  const entries: { db: number; prefix: BinKey }[] = [];
  for (const [dbText, prefix] of Object.entries(dbMap)) {
    const db = Number(dbText);
    if (!/^\d+$/.test(dbText) || !Number.isInteger(db) || db < 0 || db > 15) {
      throw new ConsistencyInputError(`dbMap.${dbText}`, 'must be a legacy db index 0..15');
    }
    if (typeof prefix !== 'string')
      throw new ConsistencyInputError(`dbMap.${dbText}`, 'must be a string prefix');
    const bin = binFromText(prefix);
    const twin = entries.find((e) => e.prefix === bin);
    if (twin) {
      throw new ConsistencyInputError(`dbMap.${dbText}`, `has the same prefix as db ${twin.db}`);
    }
    entries.push({ db, prefix: bin });
  }
  // Longest prefix first, so "impact:" wins over "".
  const byLength = [...entries].sort((a, b) => b.prefix.length - a.prefix.length);
  const prefixes = new Map(entries.map((e) => [e.db, e.prefix]));
  return {
    dbs: entries.map((e) => e.db).sort((a, b) => a - b),
    prefixOf: (db) => prefixes.get(db),
    toTarget(db, key) {
      const prefix = prefixes.get(db);
      if (prefix === undefined) throw new ConsistencyInputError('dbs', `db ${db} is not in the dbMap`);
      return prefix + key;
    },
    toLegacy(targetKey) {
      for (const e of byLength) {
        if (targetKey.startsWith(e.prefix)) return { db: e.db, key: targetKey.slice(e.prefix.length) };
      }
      return null;
    },
  };
}
