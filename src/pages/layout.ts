import { esc } from './escape.js';

/**
 * The shell of every page: the stylesheet and the script from /assets (the CSP forbids inline ones), a
 * viewport for phones, a header. `body` is already escaped HTML; `title` is escaped here.
 */
export function layout(title: string, body: string, opts: { refreshSeconds?: number } = {}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>${opts.refreshSeconds ? `<meta http-equiv="refresh" content="${opts.refreshSeconds}">` : ''}
<link rel="stylesheet" href="/assets/app.css"><script src="/assets/app.js" defer></script>
</head><body><header class="top"><strong><a href="/status">soakwatch</a></strong><span>${esc(title)}</span><a href="/login">sign in</a></header>
<main>${body}</main></body></html>`;
}
