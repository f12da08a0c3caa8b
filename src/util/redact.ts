/** Removes a password from a Redis URL so it can be shown in errors and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Not a URL: strip anything that looks like userinfo before '@'.
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
