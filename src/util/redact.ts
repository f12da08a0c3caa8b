/** Query parameters whose value is a credential (as Redis clients and webhooks spell them). */
const SECRET_PARAM = /^(password|pass|pwd|secret|token|auth|key|apikey|api_key|access_token|sig|signature)$/i;

/** Removes a password from a Redis URL (and secrets from its query) so it can be shown in errors and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const name of [...u.searchParams.keys()])
      if (SECRET_PARAM.test(name)) u.searchParams.set(name, '***');
    return u.toString();
  } catch {
    // Not a URL: strip anything that looks like userinfo before '@', and every query value (a malformed
    // URL cannot be trusted to name its parameters the way the parser above would see them).
    return url.replace(/\/\/[^@/]*@/, '//***@').replace(/([?&][^=&#]*)=[^&#]*/g, '$1=***');
  }
}
