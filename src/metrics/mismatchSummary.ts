import * as z from 'zod';

/**
 * The spot-check's confirmed mismatches, summarized for on-call: counts by db, key pattern, type, TTL
 * class and kind, a finding (concentrated in one db / pattern / TTL class, or spread) and hint codes.
 * The sampler builds one per sample from its descriptors (key names never leave it: only patterns);
 * the judge merges those of a criterion's window; alerts and pages render them with `describeMismatches`
 * and the labels below. Pure; the one home of this vocabulary.
 */

/** missing on target · extra on target · type differs · value differs · TTL dropped on target · TTL differs. */
export const MISMATCH_KINDS = ['missing', 'extra', 'type', 'value', 'ttlDropped', 'ttlDiffers'] as const;
export type MismatchKind = (typeof MISMATCH_KINDS)[number];

/** A key's TTL on one side: none, < 60 s, < 1 h, ≥ 1 h, or absent (the key is not there). */
export const TTL_CLASSES = ['none', 'lt60s', 'lt1h', 'ge1h', 'absent'] as const;
export type TtlClass = (typeof TTL_CLASSES)[number];

const SHORT_TTL_MS = 60_000;
const MEDIUM_TTL_MS = 3_600_000;

/** The class of a PTTL reply (-2 absent, -1 no expiry). */
export function ttlClassOf(pttl: number): TtlClass {
  if (pttl === -2) return 'absent';
  if (pttl < 0) return 'none';
  if (pttl < SHORT_TTL_MS) return 'lt60s';
  if (pttl < MEDIUM_TTL_MS) return 'lt1h';
  return 'ge1h';
}

export const HINT_CODES = ['expiredInFlight', 'ttlDropped', 'typeChanged'] as const;
/**
 * expiredInFlight: most mismatched keys had a TTL under 60 s (expired during the copy, or the CDC
 * drops expiring keys) · ttlDropped: most lost their TTL on the target · typeChanged: most differ in type.
 */
export type HintCode = (typeof HINT_CODES)[number];

/** The share of the mismatches one db, pattern, TTL class or kind must hold to be named (and a hint to apply). */
export const CONCENTRATED_SHARE = 0.8;
/** Patterns and type pairs listed; the rest is counted in `other`. */
export const MAX_PATTERNS = 10;
export const MAX_TYPES = 10;
const MAX_DBS = 16;
/** A pattern is cut to this length (the generaliser keeps them shorter). */
export const MAX_PATTERN_LENGTH = 100;

/** One confirmed mismatch, as the sampler keeps it: no key name, only its pattern. */
export interface MismatchDescriptor {
  /** Legacy db; null: a target key whose prefix maps to no legacy db. */
  db: number | null;
  pattern: string;
  kind: MismatchKind;
  /** Redis types on each side (`none` where absent). */
  legacyType: string;
  targetType: string;
  legacyTtl: TtlClass;
  targetTtl: TtlClass;
}

/** The TTL class a mismatch is counted under: the key's on legacy, or the target's for an extra key. */
export function keyTtlOf(d: Pick<MismatchDescriptor, 'legacyTtl' | 'targetTtl'>): TtlClass {
  return d.legacyTtl === 'absent' ? d.targetTtl : d.legacyTtl;
}

const db = z.number().int().nullable();
const n = z.number().int().nonnegative();
const ttlClass = z.enum(TTL_CLASSES);
const group = <T extends z.ZodRawShape>(shape: T, max: number) =>
  z.object({ top: z.array(z.object({ ...shape, count: n })).max(max), other: n });

/**
 * `concentrated` when one db, one pattern (of a db) or one TTL class holds CONCENTRATED_SHARE of the
 * mismatches: each that does is named. How many dbs and patterns they span is always there (`spread`:
 * none is named; `morePatterns`: some were cut from the list, so there are more than `patterns`).
 */
const findingSchema = z.object({
  kind: z.enum(['concentrated', 'spread']),
  db: z.object({ db, count: n }).optional(),
  pattern: z.object({ db, pattern: z.string().max(MAX_PATTERN_LENGTH), count: n }).optional(),
  ttl: z.object({ ttl: ttlClass, count: n }).optional(),
  dbs: n,
  patterns: n,
  morePatterns: z.boolean(),
});

/** The stored form (inside a sample's spot-check record, the judge's state, the alert payload): bounded. */
export const mismatchSummarySchema = z.object({
  v: z.literal(1),
  total: n,
  byDb: group({ db }, MAX_DBS),
  byPattern: group({ db, pattern: z.string().max(MAX_PATTERN_LENGTH) }, MAX_PATTERNS),
  byType: group(
    { legacy: z.string().max(MAX_PATTERN_LENGTH), target: z.string().max(MAX_PATTERN_LENGTH) },
    MAX_TYPES,
  ),
  byTtl: z.partialRecord(ttlClass, n),
  byKind: z.partialRecord(z.enum(MISMATCH_KINDS), n),
  finding: findingSchema,
  hints: z.array(z.enum(HINT_CODES)),
});
export type MismatchSummary = z.infer<typeof mismatchSummarySchema>;
export type MismatchFinding = MismatchSummary['finding'];

/** A stored summary, or undefined when there is none or it is not one. */
export function parseMismatchSummary(raw: unknown): MismatchSummary | undefined {
  const parsed = mismatchSummarySchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** Counts keyed by a JSON tuple of their fields, before the lists are cut. */
interface Tally {
  total: number;
  dbs: Map<string, number>;
  patterns: Map<string, number>;
  types: Map<string, number>;
  other: { dbs: number; patterns: number; types: number };
  ttl: Map<TtlClass, number>;
  kinds: Map<MismatchKind, number>;
}

function emptyTally(): Tally {
  return {
    total: 0,
    dbs: new Map(),
    patterns: new Map(),
    types: new Map(),
    other: { dbs: 0, patterns: 0, types: 0 },
    ttl: new Map(),
    kinds: new Map(),
  };
}

function bump<K>(m: Map<K, number>, key: K, by: number): void {
  m.set(key, (m.get(key) ?? 0) + by);
}

/** The `max` largest entries (ties by key, so the result does not depend on arrival order), and the rest's sum. */
function cut(m: Map<string, number>, max: number, other: number): { top: [string, number][]; other: number } {
  const sorted = [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    top: sorted.slice(0, max),
    other: other + sorted.slice(max).reduce((sum, [, c]) => sum + c, 0),
  };
}

function record<K extends string>(m: Map<K, number>): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const [k, c] of m) if (c > 0) out[k] = c;
  return out;
}

function largest<K>(m: Map<K, number>): [K, number] | undefined {
  let best: [K, number] | undefined;
  for (const e of m) if (!best || e[1] > best[1]) best = e;
  return best;
}

function summaryOf(t: Tally): MismatchSummary {
  const dbs = cut(t.dbs, MAX_DBS, t.other.dbs);
  const patterns = cut(t.patterns, MAX_PATTERNS, t.other.patterns);
  const types = cut(t.types, MAX_TYPES, t.other.types);
  const byDb = {
    top: dbs.top.map(([k, count]) => ({ db: JSON.parse(k) as number | null, count })),
    other: dbs.other,
  };
  const byPattern = {
    top: patterns.top.map(([k, count]) => {
      const [d, pattern] = JSON.parse(k) as [number | null, string];
      return { db: d, pattern, count };
    }),
    other: patterns.other,
  };
  const byType = {
    top: types.top.map(([k, count]) => {
      const [legacy, target] = JSON.parse(k) as [string, string];
      return { legacy, target, count };
    }),
    other: types.other,
  };
  const most = (count: number) => t.total > 0 && count >= CONCENTRATED_SHARE * t.total;
  const topDb = byDb.top[0];
  const topPattern = byPattern.top[0];
  const topTtl = largest(t.ttl);
  const concentrated = {
    ...(topDb && most(topDb.count) ? { db: topDb } : {}),
    ...(topPattern && most(topPattern.count) ? { pattern: topPattern } : {}),
    ...(topTtl && most(topTtl[1]) ? { ttl: { ttl: topTtl[0], count: topTtl[1] } } : {}),
  };
  const finding: MismatchFinding = {
    kind: Object.keys(concentrated).length > 0 ? 'concentrated' : 'spread',
    ...concentrated,
    dbs: byDb.top.length,
    patterns: byPattern.top.length,
    morePatterns: byPattern.other > 0,
  };
  const hints: HintCode[] = [];
  if (most(t.ttl.get('lt60s') ?? 0)) hints.push('expiredInFlight');
  if (most(t.kinds.get('ttlDropped') ?? 0)) hints.push('ttlDropped');
  if (most(t.kinds.get('type') ?? 0)) hints.push('typeChanged');
  return {
    v: 1,
    total: t.total,
    byDb,
    byPattern,
    byType,
    byTtl: record(t.ttl),
    byKind: record(t.kinds),
    finding,
    hints,
  };
}

function clip(text: string): string {
  return text.length > MAX_PATTERN_LENGTH ? `${text.slice(0, MAX_PATTERN_LENGTH - 1)}…` : text;
}

/** Groups descriptors into a bounded summary (the top MAX_PATTERNS patterns, the rest in `other`). */
export function summarizeMismatches(descriptors: readonly MismatchDescriptor[]): MismatchSummary {
  const t = emptyTally();
  for (const d of descriptors) {
    t.total++;
    bump(t.dbs, JSON.stringify(d.db), 1);
    bump(t.patterns, JSON.stringify([d.db, clip(d.pattern)]), 1);
    bump(t.types, JSON.stringify([clip(d.legacyType), clip(d.targetType)]), 1);
    bump(t.ttl, keyTtlOf(d), 1);
    bump(t.kinds, d.kind, 1);
  }
  return summaryOf(t);
}

/**
 * Summaries added up (e.g. the samples of a criterion's window), cut again to the same bounds. A pattern
 * cut from one summary stays in `other`: the top list of a merge is the top of what each kept.
 */
export function mergeMismatchSummaries(summaries: readonly MismatchSummary[]): MismatchSummary {
  const t = emptyTally();
  for (const s of summaries) {
    t.total += s.total;
    for (const e of s.byDb.top) bump(t.dbs, JSON.stringify(e.db), e.count);
    for (const e of s.byPattern.top) bump(t.patterns, JSON.stringify([e.db, e.pattern]), e.count);
    for (const e of s.byType.top) bump(t.types, JSON.stringify([e.legacy, e.target]), e.count);
    t.other.dbs += s.byDb.other;
    t.other.patterns += s.byPattern.other;
    t.other.types += s.byType.other;
    for (const k of TTL_CLASSES) bump(t.ttl, k, s.byTtl[k] ?? 0);
    for (const k of MISMATCH_KINDS) bump(t.kinds, k, s.byKind[k] ?? 0);
  }
  return summaryOf(t);
}

// ── words: the one place the text is made from the fields ─────────────────────

export const KIND_LABELS: Record<MismatchKind, string> = {
  missing: 'missing on target',
  extra: 'extra on target',
  type: 'type differs',
  value: 'value differs',
  ttlDropped: 'TTL dropped on target',
  ttlDiffers: 'TTL differs',
};

export const TTL_LABELS: Record<TtlClass, string> = {
  none: 'no TTL',
  lt60s: 'TTL < 60 s',
  lt1h: 'TTL < 1 h',
  ge1h: 'TTL ≥ 1 h',
  absent: 'absent',
};

export const HINT_LABELS: Record<HintCode, string> = {
  expiredInFlight: 'expired in flight?',
  ttlDropped: 'TTLs dropped by the copy?',
  typeChanged: 'keys re-created with another type, not replicated?',
};

/** `db 2`, or the target keys outside the dbMap. */
export function dbLabel(d: number | null): string {
  return d === null ? 'target keys outside the dbMap' : `db ${d}`;
}

function share(count: number, total: number): string {
  return count === total ? 'all' : `${count} of ${total} (${Math.round((100 * count) / total)} %)`;
}

/**
 * One line for people: `37 mismatches, all in db 2 `session:*`, all with TTL < 60 s (missing on target
 * 37): expired in flight?` or `12 mismatches spread over 7 patterns in 3 dbs, all with no TTL (missing on
 * target 12)`.
 */
export function describeMismatches(s: MismatchSummary): string {
  const head = `${s.total} ${s.total === 1 ? 'mismatch' : 'mismatches'}`;
  const f = s.finding;
  const parts: string[] = [];
  if (f.pattern)
    parts.push(`${share(f.pattern.count, s.total)} in ${dbLabel(f.pattern.db)} \`${f.pattern.pattern}\``);
  else if (f.db) parts.push(`${share(f.db.count, s.total)} in ${dbLabel(f.db.db)}`);
  else {
    const patterns = `${f.patterns}${f.morePatterns ? '+' : ''} ${f.patterns === 1 && !f.morePatterns ? 'pattern' : 'patterns'}`;
    parts.push(`spread over ${patterns} in ${f.dbs} ${f.dbs === 1 ? 'db' : 'dbs'}`);
  }
  if (f.ttl) parts.push(`${share(f.ttl.count, s.total)} with ${TTL_LABELS[f.ttl.ttl]}`);
  const kinds = MISMATCH_KINDS.filter((k) => (s.byKind[k] ?? 0) > 0)
    .map((k) => `${KIND_LABELS[k]} ${s.byKind[k]}`)
    .join(', ');
  const hints = s.hints.map((h) => HINT_LABELS[h]).join(' ');
  return `${head}${f.pattern || f.db ? ', ' : ' '}${parts.join(', ')}${kinds ? ` (${kinds})` : ''}${
    hints ? `: ${hints}` : ''
  }`;
}

/** `db 2 `session:*` 30, db 0 `user:*:cart` 7, other patterns 3`: the largest patterns first, at most `max`. */
export function describePatterns(s: MismatchSummary, max = 5): string {
  const shown = s.byPattern.top.slice(0, max);
  const rest = s.byPattern.other + s.byPattern.top.slice(max).reduce((sum, e) => sum + e.count, 0);
  return [
    ...shown.map((e) => `${dbLabel(e.db)} \`${e.pattern}\` ${e.count}`),
    ...(rest > 0 ? [`other patterns ${rest}`] : []),
  ].join(', ');
}
