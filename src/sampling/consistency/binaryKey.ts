/**
 * Keys are binary-safe in Redis. Inside the consistency code a key is held as a "binary string"
 * (latin1: one char per byte) so it round-trips exactly, works as a Map key, and is converted to a
 * Buffer when sent. Decoding as UTF-8 would turn a non-UTF-8 key into a different key (false "missing").
 */
export type BinKey = string;

export function binFromBuffer(buf: Buffer): BinKey {
  return buf.toString('latin1');
}

export function binToBuffer(key: BinKey): Buffer {
  return Buffer.from(key, 'latin1');
}

/** A UTF-8 text (a configured prefix, a heartbeat key name) as a binary string. */
export function binFromText(text: string): BinKey {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Human-readable form for reports and `exclude` callbacks (invalid UTF-8 shows as U+FFFD). */
export function binToText(key: BinKey): string {
  return Buffer.from(key, 'latin1').toString('utf8');
}

const NON_ASCII = /[\u0080-\u00ff]/;

/**
 * The key as a command argument: the string itself when it is ASCII (the same bytes in latin1 and
 * UTF-8, and ioredis writes it without a Buffer per key), else its bytes.
 */
export function binToArg(key: BinKey): string | Buffer {
  return NON_ASCII.test(key) ? Buffer.from(key, 'latin1') : key;
}
