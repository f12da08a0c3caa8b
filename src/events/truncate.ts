const RAW_LIMIT = 500;

/** Serializes untrusted input for a log line or a rejection, bounded so a huge event cannot flood logs. */
export function truncateRaw(value: unknown, limit = RAW_LIMIT): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    // Circular or BigInt input: still say something.
    text = String(value);
  }
  return text.length > limit ? `${text.slice(0, limit)}…(${text.length} chars)` : text;
}
