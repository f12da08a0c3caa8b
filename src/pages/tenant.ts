import type { Mute } from '../alerts/index.js';
import { metricKey } from '../metrics/index.js';
import type { FenceOffer, RejectedWrite } from '../release/fence.js';
import { criterionWhy, type TenantView } from '../release/status.js';
import type { SoakEvent } from '../soak/index.js';
import type { AuditEntry } from '../store/index.js';
import { formatDuration } from '../util/duration.js';
import { type Marker, renderChart, renderSparkline } from './chart.js';
import { downsample } from './downsample.js';
import { esc } from './escape.js';
import { layout } from './layout.js';
import { mismatchRow } from './mismatches.js';
import { type HistoryEntry, MISMATCH_BOUND, scopedKeys, seriesOf } from './series.js';
import { formatValue, unitOf } from './units.js';

/** Points per chart: enough for a laptop's width, few enough for a phone. */
export const CHART_POINTS = 300;
const SPARK_POINTS = 60;

export interface TenantPageInput {
  status: TenantView;
  /** The stored history over [from, to], ascending. */
  history: readonly HistoryEntry[];
  events: readonly SoakEvent[];
  audit: readonly AuditEntry[];
  /** Mutes in force. */
  mutes?: readonly Mute[];
  /** The fence of legacy in force (`soakwatch fence`). */
  fence?: { at: number; actor: string; reason: string; node: string; users: { name: string }[] };
  /**
   * Read from legacy (src/release fenceStatus): what may be done now and the writes the fence refused.
   * Absent (no connection to legacy): no fence button, the record alone.
   */
  fenceStatus?: {
    offer: FenceOffer;
    rejected: readonly RejectedWrite[];
    rejectedError?: string;
    nopermTotal: number | null;
  };
  from: number;
  to: number;
  now: number;
}

/** The charts of a tenant page: which metric keys, under which title. */
export function chartsOf(history: readonly HistoryEntry[]): { id: string; title: string; keys: string[] }[] {
  const drift = scopedKeys(history, 'keyDrift');
  return [
    { id: 'chart-cdc-lag', title: 'CDC lag', keys: ['cdcLagMs'] },
    { id: 'chart-key-drift', title: 'Key drift per db', keys: drift.length ? drift : ['keyDrift'] },
    { id: 'chart-memory', title: 'Target memory', keys: ['targetMemoryPct'] },
    { id: 'chart-errors', title: 'Error rate', keys: ['targetErrorRate', 'legacyErrorRate'] },
    { id: 'chart-mismatch', title: 'Spot-check mismatch rate, 95 % upper bound', keys: [MISMATCH_BOUND] },
  ];
}

/** Resets, events, alarms and the cutover on the time axis. */
export function markersOf(
  status: TenantView,
  events: readonly SoakEvent[],
  audit: readonly AuditEntry[],
): Marker[] {
  const markers: Marker[] = status.resets.map((r) => ({ at: r.at, kind: 'reset', label: r.reason }));
  for (const e of events)
    markers.push({
      at: e.at,
      kind: e.alarmName ? 'alarm' : 'event',
      label: `${e.type}${e.detail ? `: ${e.detail}` : ''}`,
    });
  for (const a of audit)
    if (a.to)
      markers.push({
        at: a.at,
        kind: a.action === 'cutover' ? 'cutover' : 'transition',
        label: `${a.action} by ${a.actor}: ${a.from ?? '?'} → ${a.to}${a.reason ? ` (${a.reason})` : ''}`,
      });
  return markers;
}

function clockSection(s: TenantView): string {
  const last = s.resets[s.resets.length - 1];
  const clock =
    s.phase === 'done'
      ? '<p>No clock runs: the migration is over in this state.</p>'
      : `<p><progress max="${Math.max(1, s.requiredMs)}" value="${Math.min(s.elapsedMs, s.requiredMs)}"></progress>
${esc(s.phase)} clock: ${esc(formatDuration(s.elapsedMs))} of ${esc(formatDuration(s.requiredMs))}${
          s.remainingMs === null ? '' : `, ${esc(formatDuration(s.remainingMs))} left`
        } · coverage ${esc(s.coverage === null ? 'no data' : `${(s.coverage * 100).toFixed(1)} %`)}</p>`;
  const reset = last
    ? `<p id="last-reset">Last reset ${esc(new Date(last.at).toISOString())}: ${esc(last.reason)}</p>`
    : '<p id="last-reset">The clock was never reset.</p>';
  const reasons = s.inconclusiveReasons.length
    ? `<p>Inconclusive because:</p><ul>${s.inconclusiveReasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`
    : '';
  return `${clock}${reset}${reasons}`;
}

function criteriaSection(s: TenantView, history: readonly HistoryEntry[], to: number): string {
  const rows = s.criteria
    .map((c) => {
      const key = metricKey(c.metric, c.scope);
      const unit = unitOf(key);
      const recent = history.slice(-SPARK_POINTS * 4);
      const spark = renderSparkline(downsample(seriesOf(recent, key), SPARK_POINTS, recent[0]?.at ?? 0, to));
      const status = `${c.status}${c.firing ? ' (firing)' : ''}`;
      return `<tr class="${esc(c.status)}${c.firing ? ' firing' : ''}" data-criterion="${esc(c.id)}"><td>${esc(c.id)}</td><td>${esc(key)}</td>
<td>${esc(formatValue(c.value, unit))}</td><td>${esc(`${c.aggregate} ${c.op} ${formatValue(c.threshold, unit)}`)}</td>
<td class="wide">${esc(formatValue(c.worst, unit))}</td><td>${esc(status)}</td><td class="wide">${esc(criterionWhy(c) ?? '')}</td><td>${spark}</td></tr>${mismatchRow(c, 8)}`;
    })
    .join('\n');
  return `<h2>Criteria (${esc(s.phase)})</h2><div class="scroll"><table id="criteria"><thead><tr><th>criterion</th><th>metric</th><th>value</th><th>threshold</th><th class="wide">worst</th><th>status</th><th class="wide">why / no-data cause</th><th>recent</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function actionsSection(s: TenantView, offer: FenceOffer | undefined): string {
  // Every action is rendered and only the allowed ones shown, so the script can show what a change allows.
  const buttons = ['cutover', 'approve', 'abort', 'restart', 'scaled-down']
    .map(
      (a) =>
        `<button type="button" data-action="${esc(a)}" data-tenant="${esc(s.tenant)}"${(s.actions as string[]).includes(a) ? '' : ' hidden'}>${esc(a)}</button>`,
    )
    .join('');
  // The fence of legacy: offered only where the release service says so (state, existing fence, ACL rights).
  const fence = (['fence', 'unfence'] as const)
    .map(
      (f) =>
        `<button type="button" data-fence="${f}" data-tenant="${esc(s.tenant)}"${offer?.[f] ? '' : ' hidden'}>${f}</button>`,
    )
    .join('');
  return `<section class="actions"><h2>Actions</h2><p>${buttons}${fence}</p><div id="result" role="status"></div>
<dialog id="confirm"><form id="confirm-form" method="dialog"><p id="confirm-text"></p>
<label for="reason">Reason</label><textarea id="reason" name="reason" maxlength="1000"></textarea>
<p><button type="submit" id="confirm-ok">confirm</button> <button type="button" id="confirm-cancel">cancel</button></p></form></dialog></section>`;
}

function muteSection(s: TenantView, mutes: readonly Mute[]): string {
  const rows = mutes
    .map(
      (m) =>
        `<li data-mute="${esc(m.criterion ?? '*')}">${esc(m.criterion ?? 'the whole tenant')} muted until ${esc(
          new Date(m.until).toISOString(),
        )} by ${esc(m.actor)}: ${esc(m.reason)} <button type="button" data-unmute="${esc(m.criterion ?? '')}" data-tenant="${esc(s.tenant)}">unmute</button></li>`,
    )
    .join('');
  const ids = [...new Set(s.criteria.map((c) => c.id))];
  const options = ['', ...ids]
    .map((id) => `<option value="${esc(id)}">${esc(id || 'the whole tenant')}</option>`)
    .join('');
  return `<section class="mutes"><h2>Mutes</h2>${
    rows ? `<ul id="mutes">${rows}</ul>` : '<p id="mutes">Nothing is muted.</p>'
  }<p>A mute holds back on-call messages; it never hides a FAILED soak or a fatal breach, and the page shows everything.</p>
<form id="mute-form" data-tenant="${esc(s.tenant)}"><label>mute <select name="criterion" aria-label="criterion">${options}</select></label>
<label>for <select name="hours" aria-label="hours"><option value="1">1 h</option><option value="4">4 h</option><option value="24">24 h</option></select></label>
<label>reason <input name="reason" required maxlength="1000" aria-label="reason"></label> <button type="submit">mute</button></form></section>`;
}

function fenceSection(
  tenant: string,
  fence: TenantPageInput['fence'],
  status: TenantPageInput['fenceStatus'],
): string {
  if (!fence && !status) return '';
  const head = fence
    ? `<h2>Legacy fenced</h2><p id="fence-state" data-fenced="true">Since ${esc(new Date(fence.at).toISOString())} by ${esc(fence.actor)} (${esc(fence.reason)}): ${esc(
        fence.users.map((u) => u.name).join(', ') || 'no user',
      )} cannot write on ${esc(fence.node)}.</p>`
    : `<h2>Legacy fence</h2><p id="fence-state" data-fenced="false">Legacy is not fenced${
        status?.offer.fence
          ? ': fencing takes the write commands from every application user of the legacy primary (soakwatch and the CDC tool keep theirs), so a forgotten writer fails loudly before legacy is gone.'
          : status?.offer.why
            ? ` (fencing is not offered: ${esc(status.offer.why)}).`
            : '.'
      }</p>`;
  if (!fence) return `<section id="fence">${head}</section>`;
  if (!status)
    return `<section id="fence">${head}<p>Refused writes: <code>soakwatch fence --tenant ${esc(tenant)} --status</code>.</p></section>`;
  const rows = status.rejected
    .map(
      (r) =>
        `<tr><td>${esc(r.username)}</td><td>${esc(r.command)}</td><td>${esc(String(r.count))}</td><td>${esc(formatDuration(r.ageSeconds * 1000))} ago</td><td class="wide">${esc(r.client)}</td></tr>`,
    )
    .join('');
  const table = rows
    ? `<div class="scroll"><table id="refused"><thead><tr><th>user</th><th>command</th><th>count</th><th>last</th><th class="wide">client</th></tr></thead><tbody>${rows}</tbody></table></div>`
    : status.rejectedError !== undefined
      ? `<p id="refused" class="nodata">The refused writes could not be read: ${esc(status.rejectedError)}.</p>`
      : '<p id="refused">No write refused since the fence.</p>';
  const noperm =
    status.nopermTotal === null
      ? ''
      : `<p>NOPERM replies of the legacy primary since its start: ${esc(String(status.nopermTotal))}.</p>`;
  return `<section id="fence">${head}<h3>Refused writes (ACL LOG)</h3>${table}${noperm}</section>`;
}

function auditSection(audit: readonly AuditEntry[], tenant: string): string {
  const rows = [...audit]
    .reverse()
    .map(
      (a) =>
        `<tr><td>${esc(new Date(a.at).toISOString())}</td><td>${esc(a.actor)}</td><td>${esc(a.action)}</td><td>${esc(
          a.from && a.to ? `${a.from} → ${a.to}` : '',
        )}</td><td>${esc(a.reason ?? '')}</td></tr>`,
    )
    .join('');
  return `<h2>Audit trail</h2><p><a href="/tenants/${esc(encodeURIComponent(tenant))}/audit">all entries (JSON, paged)</a></p>
<div class="scroll"><table id="audit"><thead><tr><th>at</th><th>actor</th><th>action</th><th>transition</th><th>reason</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** The tenant page (`GET /tenants/{id}`). Pure: the status, the stored history and time in, HTML out. */
export function renderTenantPage(input: TenantPageInput): string {
  const { status: s, history, from, to } = input;
  const markers = markersOf(s, input.events, input.audit);
  const charts = chartsOf(history)
    .map((c) =>
      renderChart({
        id: c.id,
        title: c.title,
        unitKey: c.keys[0] ?? '',
        from,
        to,
        markers,
        series: c.keys.map((key) => ({
          key,
          points: downsample(seriesOf(history, key), CHART_POINTS, from, to),
        })),
      }),
    )
    .join('\n');
  const fullCompare = s.fullCompare
    ? `<h2>Full compare</h2><p>${esc(s.fullCompare.summary)}${s.fullCompare.voided ? ` — voided: ${esc(s.fullCompare.voided.reason)}` : ''}</p>`
    : '';
  const sample = s.lastSample
    ? `last sample ${esc(formatDuration(input.now - s.lastSample.at))} ago${s.lastSample.complete ? '' : ` (partial: ${esc(s.lastSample.failedNodes.join(', '))})`}`
    : 'no sample yet';
  const body = `<h1>${esc(s.tenant)} <span id="state" class="badge ${esc(s.state)}">${esc(s.state)}</span>${
    s.inconclusive ? ' <span class="badge INCONCLUSIVE">INCONCLUSIVE</span>' : ''
  }</h1><p>${sample} · firing: ${s.firing.length ? `<span class="fires">${esc(s.firing.map((c) => c.id).join(', '))}</span>` : 'nothing'}</p>
${clockSection(s)}
${actionsSection(s, input.fenceStatus?.offer)}
${criteriaSection(s, history, to)}
${muteSection(s, input.mutes ?? [])}
${fenceSection(s.tenant, input.fence, input.fenceStatus)}
<h2>Over time</h2><p>${esc(new Date(from).toISOString())} – ${esc(new Date(to).toISOString())} (the stored history, at most a week; <code>?from=&amp;to=</code> zooms); dashed lines: resets (red), alarms (orange), events (grey), transitions (blue), the cutover (black).</p>
<div class="charts">${charts}</div>
${fullCompare}
${auditSection(input.audit, s.tenant)}`;
  return layout(`tenant ${s.tenant}`, body);
}
