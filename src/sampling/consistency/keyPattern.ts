import { MAX_PATTERN_LENGTH } from '../../metrics/index.js';
import { type BinKey, binToText } from './binaryKey.js';

/**
 * A key's pattern: its name with id-like segments replaced by `*` (`session:8f3a9c…` → `session:*`,
 * `user:12345:cart` → `user:*:cart`). Key names may hold customer data and never leave the sampler;
 * a pattern is what a mismatch summary names. The one home of this rule. Pure.
 */

/** Characters that separate a key's segments; kept in the pattern as they are. */
const SEPARATORS = /([:./\\\-_|#,;= {}[\]()]+)/;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** An address-like run (`alice@example.com`): customer data however it is split. */
const EMAIL = /[^\s:/{}@]+@[^\s:/{}@]+/g;
const NUMBER = /^\d+$/;
const HEX = /^[0-9a-f]{6,}$/i;
const DIGIT = /\d/;
const LETTER = /[a-z]/i;
/** A word with a numeric tail (`user12345`, `order_0042` after the split): the word is kept. */
const NUMERIC_TAIL = /^([a-z]+)\d{3,}$/i;
/** Outside printable ASCII (binary, or non-ASCII text such as a name): never kept. */
const UNPRINTABLE = /[^\x20-\x7e]/;
/** A segment this long is data (a token, a serialized value), not a name. */
const LONG_SEGMENT = 32;
/** Letters and digits mixed over this length: a random token (base64, ULID, nanoid). */
const TOKEN_LENGTH = 12;

function generalise(segment: string): string {
  if (segment === '' || segment === '*') return segment;
  if (UNPRINTABLE.test(segment) || segment.length > LONG_SEGMENT) return '*';
  if (NUMBER.test(segment)) return '*';
  if (HEX.test(segment) && DIGIT.test(segment)) return '*';
  const tail = NUMERIC_TAIL.exec(segment);
  if (tail) return `${tail[1]}*`;
  if (segment.length >= TOKEN_LENGTH && DIGIT.test(segment) && LETTER.test(segment)) return '*';
  return segment;
}

/** The pattern of a key given as text. */
export function patternOfText(key: string): string {
  const masked = key.replace(UUID, '*').replace(EMAIL, '*');
  const pattern = masked
    .split(SEPARATORS)
    .map((part, i) => (i % 2 === 1 ? part : generalise(part)))
    .join('');
  return pattern.length > MAX_PATTERN_LENGTH ? `${pattern.slice(0, MAX_PATTERN_LENGTH - 1)}…` : pattern;
}

/** The pattern of a binary-safe key (bytes that are not UTF-8 text become `*`). */
export function keyPattern(key: BinKey): string {
  return patternOfText(binToText(key));
}
