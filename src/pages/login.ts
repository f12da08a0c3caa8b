import { esc } from './escape.js';
import { layout } from './layout.js';

/** A safe place to go after signing in: a path of this site, never another origin (`//evil`, `https:`). */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/status';
}

/** The sign-in form (`GET /login`): no tenant data; the token is posted once and kept in a session cookie. */
export function renderLogin(opts: { next?: string | undefined; error?: string | undefined } = {}): string {
  const error = opts.error ? `<p id="login-error" class="fires" role="alert">${esc(opts.error)}</p>` : '';
  return layout(
    'sign in',
    `<h1>Sign in</h1>${error}
<form method="post" action="/login"><input type="hidden" name="next" value="${esc(safeNext(opts.next))}">
<p><label for="token">API token</label><br><input id="token" name="token" type="password" autocomplete="off" required size="40"></p>
<p><button type="submit" id="login-submit">sign in</button></p></form>
<p>The token is kept in a session cookie of this tab's browser (HttpOnly, gone when the browser closes), never in a URL.</p>`,
  );
}
