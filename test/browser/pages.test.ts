import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../src/config/index.js';
import { initialSoakState, type SoakState } from '../../src/soak/index.js';
import { createStateStore } from '../../src/store/index.js';
import { type Standalone, startStandalone } from '../../tools/local/index.js';
import { type Offline, startOffline } from '../support/offline.js';

/*
 * Issue 10's pages in a real browser: Debian's chromium driven by playwright-core, against the api function
 * served by `serverless offline` over a real Redis state store, under the contract's strict CSP (added to
 * every response here until the api handler sets it), with every request checked to stay on loopback.
 * One offline and one browser for the whole file; screenshots go to .artifacts/browser/ (gitignored).
 */

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'browser-test-token-7d1e0b';
const EVIL = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const ARTIFACTS = resolve(import.meta.dirname, '../../.artifacts/browser');
const PREFIX = 'soakwatch-browser:';

let state: Standalone | undefined;
/** beta's legacy: ACL users soak (soakwatch's, may change ACLs) and app (the application's). */
let legacy: Standalone | undefined;
let offline: Offline | undefined;
let browser: Browser | undefined;
let dir: string | undefined;
/** Every URL the browser asked for, and every CSP violation or page error it reported. */
const requested: string[] = [];
const problems: string[] = [];
/** The cdcLagMs values stored for acme, by time. */
const stored = new Map<number, number>();

function configText(stateUrl: string, fencedLegacyUrl: string): string {
  // beta's legacy has ACL users (soakwatch's own, an application's): its page offers the fence.
  const tenant = (id: string) => `
  - id: ${id}
    legacy: { url: ${id === 'beta' ? fencedLegacyUrl : `${stateUrl}/1`}, heartbeat: { enabled: false } }
    target: { url: ${stateUrl}/2 }
    soak: { soak: { duration: 40m } }`;
  return `
stateStore:
  url: ${stateUrl}/0
  keyPrefix: "${PREFIX}"
notifications:
  alertTopicArn: arn:aws:sns:us-east-1:123456789012:soakwatch-dev-alerts
  releaseTopicArn: arn:aws:sns:us-east-1:123456789012:soakwatch-dev-release
tenants:${tenant('acme')}${tenant('beta')}${tenant('gamma')}
`;
}

/** acme: PASSED after a soak with charts' worth of history; beta: SOAKING, its clock reset for an evil reason. */
async function seed(stateUrl: string, text: string): Promise<void> {
  const config = configSchema.parse(parseYaml(text));
  const redis = new Redis(`${stateUrl}/0`);
  const store = createStateStore(redis, { keyPrefix: PREFIX });
  const now = Date.now();
  const start = now - 40 * 60_000;
  try {
    for (const tenant of config.tenants.slice(0, 2)) {
      const s: SoakState = initialSoakState(tenant.id, tenant.soak, start);
      s.phase = 'soak';
      s.phaseStartedAt = start;
      s.state = tenant.id === 'acme' ? 'PASSED' : 'SOAKING';
      const credited = tenant.id === 'acme' ? 40 : 18;
      s.clock = { startedAt: start, creditedMs: credited * 60_000, lastAt: now - 60_000 };
      s.lastSampleAt = now - 60_000;
      if (tenant.id === 'beta')
        s.resets = [{ at: now - 20 * 60_000, reason: EVIL, criterion: 'legacy-writes' }];
      const cas = await store.casState(tenant.id, 0, s, [
        // The cutover 10 minutes into the stored history (its replication phase before it).
        {
          at: start + 10 * 60_000,
          actor: 'alice',
          action: 'cutover',
          from: 'CUTOVER_READY',
          to: 'SOAKING',
          reason: EVIL,
        },
      ]);
      if (!cas.ok) throw new Error('seeding the state failed');
    }
    // 39 samples a minute apart; one spike, one sample without data.
    for (let i = 0; i < 39; i++) {
      const at = start + (i + 1) * 60_000;
      const lag = i === 20 ? 4_000 : 100 + i * 3;
      const derived: Record<string, number | null> = {
        cdcLagMs: i === 30 ? null : lag,
        'keyDrift@db0': i % 5,
        'keyDrift@db3': i === 12 ? 25 : 0,
        targetMemoryPct: 40 + i / 2,
        targetErrorRate: i === 25 ? 1.5 : 0,
        legacyErrorRate: 0,
        spotCheckChecked: 200,
        spotCheckMismatches: 0,
      };
      if (i !== 30) stored.set(at, lag);
      await store.appendHistory('acme', { at, derived, complete: true }, 86_400_000);
    }
    await store.appendEvent('acme', {
      at: start + 15 * 60_000,
      type: 'ElastiCache:FailoverComplete',
      source: 'elasticache',
      detail: EVIL,
    });
  } finally {
    redis.disconnect();
  }
}

async function newPage(ctx: BrowserContext): Promise<Page> {
  const page = await ctx.newPage();
  page.on('request', (r) => requested.push(r.url()));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return page;
}

async function newContext(opts: { width?: number; height?: number } = {}): Promise<BrowserContext> {
  if (!browser || !offline) throw new Error('not started');
  const ctx = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
  });
  // Every request: refused if it would leave loopback; the contract's CSP added to what the api answers.
  await ctx.route('**/*', async (route) => {
    const host = new URL(route.request().url()).hostname;
    if (host !== '127.0.0.1' && host !== 'localhost') return route.abort('blockedbyclient');
    const response = await route.fetch({ maxRedirects: 0 });
    return route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': CSP } });
  });
  return ctx;
}

async function signIn(ctx: BrowserContext, token: string, next = '/status'): Promise<Page> {
  if (!offline) throw new Error('not started');
  const page = await newPage(ctx);
  await page.goto(`${offline.httpUrl}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#token', token);
  // The sign-in answers with a redirect (a 303 to `next`) or the form again (same URL): wait for the
  // document of the answer, not for the load state of the form already shown.
  await Promise.all([page.waitForEvent('framenavigated'), page.click('#login-submit')]);
  await page.waitForLoadState('load');
  return page;
}

const logs = () => `\n--- offline (tail) ---\n${offline?.logs().slice(-4_000) ?? ''}`;

describe.skipIf(!existsSync(CHROMIUM))('status pages in a real browser (chromium)', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'soakwatch-browser-'));
    [state, legacy] = await Promise.all([
      startStandalone(),
      startStandalone({
        aclUsers: [
          'user default off',
          'user soak on >soak-pw ~* &* +@all',
          'user app on >app-pw ~* &* +@all',
        ],
      }),
    ]);
    const text = configText(state.node.url, `redis://soak:soak-pw@${legacy.node.host}:${legacy.node.port}`);
    const path = join(dir, 'soakwatch.config.yml');
    writeFileSync(path, text);
    await seed(state.node.url, text);
    const hash = createHash('sha256').update(TOKEN).digest('hex');
    [offline, browser] = await Promise.all([
      startOffline({ env: { SOAKWATCH_CONFIG: path, SOAKWATCH_API_TOKEN_HASHES: `alice=${hash}` } }),
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] }),
    ]);
  }, 180_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await offline?.stop().catch(() => undefined);
    await state?.stop().catch(() => undefined);
    await legacy?.stop().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('refuses a wrong token and shows it, with no cookie set', async () => {
    const ctx = await newContext();
    const page = await signIn(ctx, 'not-the-token');
    await expect(page.locator('#login-error').textContent()).resolves.toContain('not accepted');
    expect(await ctx.cookies()).toEqual([]);
    await ctx.close();
  });

  it('signs in with the token and lists every tenant, what needs a person first', async () => {
    const ctx = await newContext();
    const page = await signIn(ctx, TOKEN);
    expect(page.url(), logs()).toMatch(/\/status$/);
    const cookie = (await ctx.cookies()).find((c) => c.name === 'soakwatch_session');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', expires: -1 });
    const rows = await page
      .locator('#tenants tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-tenant')));
    expect(rows).toEqual(['acme', 'beta', 'gamma']);
    await expect(page.locator('tr[data-tenant="acme"]').textContent()).resolves.toContain(
      'approve scale-down',
    );
    await page.selectOption('select[name=state]', 'SOAKING');
    await page.waitForURL(/state=SOAKING/);
    expect(await page.locator('#tenants tbody tr').count()).toBe(1);
    await page.goto(`${offline?.httpUrl}/status`);
    await page.screenshot({ path: join(ARTIFACTS, 'overview.png'), fullPage: true });
    await ctx.close();
  });

  it('draws the charts of a tenant page, and the drawn points are the stored samples', async () => {
    const ctx = await newContext();
    const page = await signIn(ctx, TOKEN, '/tenants/acme');
    expect(page.url(), logs()).toMatch(/\/tenants\/acme$/);
    for (const id of ['chart-cdc-lag', 'chart-key-drift', 'chart-memory', 'chart-errors', 'chart-mismatch'])
      expect(await page.locator(`#${id} svg path.line`).count(), id).toBeGreaterThan(0);
    expect(await page.locator('#chart-key-drift g.series').count()).toBe(2);
    const dots = await page
      .locator('#chart-cdc-lag circle.pt')
      .evaluateAll((cs) =>
        cs.map((c) => [Number(c.getAttribute('data-at')), Number(c.getAttribute('data-v'))]),
      );
    expect(dots).toEqual([...stored.entries()]);
    // The same points from the samples API, over the chart's range (the page's session cookie authorises it).
    const svg = page.locator('#chart-cdc-lag svg');
    const [from, to] = [await svg.getAttribute('data-from'), await svg.getAttribute('data-to')];
    const api = (await page.evaluate(
      (u) => fetch(u).then((r) => r.json()),
      `/tenants/acme/samples?metric=cdcLagMs&from=${from}&to=${to}&points=300`,
    )) as { points: { at: number; v: number | null }[] };
    expect(api.points.filter((p) => p.v !== null).map((p) => [p.at, p.v])).toEqual(dots);
    expect(await page.locator('#chart-cdc-lag line.mk-cutover').count()).toBe(1);
    expect(await page.locator('#chart-cdc-lag line.mk-event').count()).toBe(1);
    expect(await page.locator('#criteria svg.spark').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'tenant.png'), fullPage: true });
    await ctx.close();
  });

  it('renders a reason holding <script> as text', async () => {
    const ctx = await newContext();
    const page = await signIn(ctx, TOKEN, '/tenants/beta');
    await expect(page.locator('#last-reset').textContent()).resolves.toContain(EVIL);
    expect(await page.locator('#audit').textContent()).toContain(EVIL);
    // Expressions as strings: this file is type-checked without the DOM library.
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    await ctx.close();
  });

  it('approves the PASSED tenant from the page: SCALE_DOWN_APPROVED is shown, approve is gone', async () => {
    const ctx = await newContext();
    const page = await signIn(ctx, TOKEN, '/tenants/acme');
    expect(await page.locator('button[data-action="approve"]').isVisible()).toBe(true);
    expect(await page.locator('button[data-action="cutover"]').isVisible()).toBe(false);
    await page.click('button[data-action="approve"]');
    await expect(page.locator('#confirm-text').textContent()).resolves.toContain('"acme"');
    await page.fill('#reason', 'browser test: soak looks clean');
    await page.click('#confirm-ok');
    await page.locator('#result.ok').waitFor({ timeout: 20_000 });
    expect(await page.locator('#result').textContent(), logs()).toContain('SCALE_DOWN_APPROVED');
    await page.locator('#state', { hasText: 'SCALE_DOWN_APPROVED' }).waitFor();
    expect(await page.locator('button[data-action="approve"]').isVisible()).toBe(false);
    // A second approve (a stale page) is refused by the judge, and the refusal is shown.
    await page.evaluate('document.querySelector(\'button[data-action="approve"]\').hidden = false');
    await page.click('button[data-action="approve"]');
    await page.click('#confirm-ok');
    await page.locator('#result.refused').waitFor({ timeout: 20_000 });
    expect(await page.locator('#result').textContent()).toMatch(/409.*PASSED only/);
    await ctx.close();
  });

  it('refuses an action after the session is gone and says so', async () => {
    const ctx = await newContext();
    const page = await signIn(ctx, TOKEN, '/tenants/beta');
    await ctx.clearCookies();
    await page.click('button[data-action="abort"]');
    await page.click('#confirm-ok');
    await page.locator('#result.refused').waitFor({ timeout: 20_000 });
    expect(await page.locator('#result').textContent()).toMatch(/403.*not accepted/);
    await ctx.close();
  });

  it('mutes a criterion from the page and shows the mute', async () => {
    const ctx = await newContext();
    const page = await signIn(ctx, TOKEN, '/tenants/beta');
    await page.selectOption('#mute-form select[name=criterion]', 'evictions');
    await page.fill('#mute-form input[name=reason]', 'resharding tonight');
    await Promise.all([page.waitForEvent('framenavigated'), page.click('#mute-form button[type=submit]')]);
    await page.locator('li[data-mute="evictions"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('li[data-mute="evictions"]').textContent()).toContain('resharding tonight');
    await ctx.close();
  });

  it('fences the soaking tenant from the page: confirmed with a reason, then the fence and a refused write are shown', async () => {
    const ctx = await newContext();
    const page = await signIn(ctx, TOKEN, '/tenants/beta');
    expect(await page.locator('button[data-fence="fence"]').isVisible(), logs()).toBe(true);
    expect(await page.locator('button[data-fence="unfence"]').isVisible()).toBe(false);
    await expect(page.locator('#fence-state').getAttribute('data-fenced')).resolves.toBe('false');
    await page.click('button[data-fence="fence"]');
    await expect(page.locator('#confirm-text').textContent()).resolves.toContain('fence on tenant "beta"');
    await page.fill('#reason', 'browser test: cutover done');
    // The fence's state is rendered by the server: the page reloads once it is done.
    await Promise.all([page.waitForEvent('framenavigated'), page.click('#confirm-ok')]);
    await page.locator('#fence-state[data-fenced="true"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('#fence').textContent()).toContain('app cannot write');
    expect(await page.locator('#fence').textContent()).toContain('No write refused since the fence');

    const app = new Redis({
      host: legacy?.node.host,
      port: legacy?.node.port,
      username: 'app',
      password: 'app-pw',
    });
    try {
      await expect(app.set('invoice:1', 'forgotten writer')).rejects.toThrow(/NOPERM/);
    } finally {
      app.disconnect();
    }
    await page.reload();
    const refused = await page
      .locator('#refused tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)),
      );
    expect(refused).toEqual([['app', 'set', '1']]);
    expect(await page.locator('button[data-fence="unfence"]').isVisible()).toBe(true);
    expect(await page.locator('button[data-fence="fence"]').isVisible()).toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, 'tenant-fenced.png'), fullPage: true });
    await ctx.close();
  });

  it('works at a phone width: nothing wider than the screen but the tables, which scroll', async () => {
    const ctx = await newContext({ width: 390, height: 844 });
    const page = await signIn(ctx, TOKEN, '/tenants/acme');
    const widths = (await page.evaluate(`({
      doc: document.documentElement.scrollWidth,
      view: window.innerWidth,
      chart: document.querySelector('#chart-cdc-lag svg').getBoundingClientRect().width,
    })`)) as { doc: number; view: number; chart: number };
    expect(widths.doc).toBeLessThanOrEqual(widths.view);
    expect(widths.chart).toBeGreaterThan(300);
    await page.screenshot({ path: join(ARTIFACTS, 'tenant-phone.png'), fullPage: true });
    await ctx.close();
  });

  it('sent no request off loopback and hit no CSP violation', () => {
    expect(requested.length).toBeGreaterThan(10);
    expect(requested.filter((u) => !/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(u))).toEqual([]);
    expect(problems).toEqual([]);
  });
});
