import type { Mute } from '../alerts/index.js';
import type { TenantView } from '../release/status.js';
import { SOAK_STATES, type SoakStateName } from '../soak/index.js';
import { formatDuration } from '../util/duration.js';
import { esc, tenantPath } from './escape.js';
import { layout } from './layout.js';

/** What a person does next in each state: the page's words for the state machine's exits. */
const NEXT_STEP: Record<SoakStateName, string> = {
  REPLICATING: 'wait for readiness',
  CUTOVER_READY: 'cut over',
  SOAKING: 'wait for the soak',
  PASSED: 'approve scale-down',
  FAILED: 'roll back, then restart',
  ABORTED: 'none (aborted)',
  SCALE_DOWN_APPROVED: 'scale down legacy',
  SCALED_DOWN: 'none (done)',
};

/**
 * Lower first: what needs a person (a failed soak, something firing, a decision waiting), then what is
 * merely running, then what is over.
 */
function urgency(s: TenantView): number {
  if (s.state === 'FAILED') return 0;
  if (s.firing.length > 0 && s.phase !== 'done') return 1;
  if (s.state === 'PASSED' || s.state === 'CUTOVER_READY') return 2;
  if (s.inconclusive) return 3;
  if (s.state === 'SCALE_DOWN_APPROVED') return 4;
  if (s.state === 'SOAKING' || s.state === 'REPLICATING') return 5;
  return 6;
}

export interface OverviewFilter {
  state?: SoakStateName | undefined;
  /** Substring of the tenant id, case-insensitive. */
  q?: string | undefined;
}

/** The tenants shown, most urgent first (then by id): pure, so the test measures it without a page. */
export function overviewRows(statuses: readonly TenantView[], filter: OverviewFilter): TenantView[] {
  const q = filter.q?.trim().toLowerCase();
  return statuses
    .filter((s) => (!filter.state || s.state === filter.state) && (!q || s.tenant.toLowerCase().includes(q)))
    .sort((a, b) => urgency(a) - urgency(b) || a.tenant.localeCompare(b.tenant));
}

function row(s: TenantView, now: number, mutes: readonly Mute[]): string {
  const done = s.phase === 'done';
  const clock = done
    ? '<span class="nodata">no clock</span>'
    : `<progress max="${Math.max(1, s.requiredMs)}" value="${Math.min(s.elapsedMs, s.requiredMs)}"></progress> ${esc(
        s.remainingMs === null ? '—' : `${formatDuration(s.remainingMs)} left`,
      )}`;
  const coverage = s.coverage === null ? 'no data' : `${(s.coverage * 100).toFixed(1)} %`;
  const fires = s.firing.length
    ? `<span class="fires">${esc(s.firing.map((c) => c.id).join(', '))}</span>`
    : '—';
  // Shown, never hiding anything: a mute only holds back on-call messages.
  const muted = mutes.length
    ? ` <span class="badge MUTED" title="${esc(
        mutes
          .map((m) => `${m.criterion ?? 'tenant'} until ${new Date(m.until).toISOString()}: ${m.reason}`)
          .join('; '),
      )}">MUTED ${esc(mutes.map((m) => m.criterion ?? 'all').join(', '))}</span>`
    : '';
  const age = s.lastSample ? `${formatDuration(now - s.lastSample.at)} ago` : 'never';
  return `<tr data-tenant="${esc(s.tenant)}" data-state="${esc(s.state)}"><td><a href="${esc(tenantPath(s.tenant))}">${esc(s.tenant)}</a></td>
<td><span class="badge ${esc(s.state)}">${esc(s.state)}</span>${s.inconclusive ? ' <span class="badge INCONCLUSIVE">INCONCLUSIVE</span>' : ''}</td>
<td>${clock}</td><td class="wide">${esc(coverage)}</td><td>${fires}${muted}</td><td class="wide">${esc(age)}</td><td>${esc(NEXT_STEP[s.state])}</td></tr>`;
}

/** The fleet overview (`GET /status`): one row per tenant. Pure: statuses, filter and time in, HTML out. */
export function renderOverview(
  statuses: readonly TenantView[],
  filter: OverviewFilter,
  now: number,
  mutes: ReadonlyMap<string, readonly Mute[]> = new Map(),
): string {
  const rows = overviewRows(statuses, filter);
  const options = ['', ...SOAK_STATES]
    .map(
      (st) =>
        `<option value="${esc(st)}"${st === (filter.state ?? '') ? ' selected' : ''}>${esc(st || 'every state')}</option>`,
    )
    .join('');
  const body = `<h1>Fleet: ${statuses.length} tenant(s)</h1>
<p>${esc(new Date(now).toISOString())} · showing ${rows.length}, what needs a person first</p>
<form class="filter" method="get" action="/status"><select name="state" aria-label="state">${options}</select>
<input type="search" name="q" placeholder="tenant" aria-label="search tenant" value="${esc(filter.q ?? '')}"><button type="submit">filter</button></form>
<div class="scroll"><table id="tenants"><thead><tr><th>tenant</th><th>state</th><th>clock</th><th class="wide">coverage</th><th>fires</th><th class="wide">last sample</th><th>next step</th></tr></thead>
<tbody>${rows.map((s) => row(s, now, mutes.get(s.tenant) ?? [])).join('\n')}</tbody></table></div>`;
  return layout('fleet overview', body, { refreshSeconds: 60 });
}
