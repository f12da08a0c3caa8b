/**
 * Every value that reaches a page goes through this: text and attribute values alike (the five characters
 * that can end a text node or an attribute). null/undefined render as an em dash, "no value".
 */
export function esc(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** A tenant page's path; the id is validated by the config schema, but it is encoded all the same. */
export function tenantPath(id: string): string {
  return `/tenants/${encodeURIComponent(id)}`;
}
