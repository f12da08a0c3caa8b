import { UsageError } from './errors.js';

/** `0=,1=svc1:` → { '0': '', '1': 'svc1:' } */
export function parseDbMap(text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const eq = part.indexOf('=');
    const db = eq < 0 ? '' : part.slice(0, eq).trim();
    if (!/^\d+$/.test(db) || Number(db) > 15)
      throw new UsageError(`--db-map: "${part}" is not db=prefix (db a number 0-15, e.g. 0=,1=svc1:)`);
    if (db in map) throw new UsageError(`--db-map: db ${db} is mapped twice`);
    map[db] = part.slice(eq + 1);
  }
  if (Object.keys(map).length === 0) throw new UsageError('--db-map: give at least one db=prefix');
  return map;
}

/** An instant: epoch ms, or an ISO-8601 date. */
export function parseInstant(text: string, flag: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: "${text}" is not a time (epoch ms or ISO-8601)`);
  return ms;
}
