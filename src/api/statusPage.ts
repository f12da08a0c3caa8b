import { criterionWhy, type TenantStatus } from '../release/index.js';
import { formatDuration } from '../util/duration.js';

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const STATE_COLOR: Record<string, string> = {
  REPLICATING: '#4a6fa5',
  CUTOVER_READY: '#2e7d32',
  SOAKING: '#4a6fa5',
  PASSED: '#2e7d32',
  SCALE_DOWN_APPROVED: '#2e7d32',
  SCALED_DOWN: '#555',
  FAILED: '#c62828',
  ABORTED: '#555',
};

function pct(v: number | null): string {
  return v === null ? 'no data' : `${(v * 100).toFixed(1)} %`;
}

/** Every value goes through this: strings, numbers and nulls alike (— for none). */
const cell = (v: string | number | null | undefined) =>
  v === null || v === undefined ? '—' : escapeHtml(String(v));

function tenantSection(s: TenantStatus, now: number): string {
  const rows = s.criteria
    .map((c) => {
      const metric = c.scope ? `${c.metric}@${c.scope}` : c.metric;
      const status = `${c.status}${c.firing ? ' (firing)' : ''}`;
      return `<tr class="${cell(c.status)}${c.firing ? ' firing' : ''}"><td>${cell(c.id)}</td><td>${cell(metric)}</td><td>${cell(
        status,
      )}</td><td>${cell(c.value)}</td><td>${cell(c.worst)}</td><td>${cell(`${c.aggregate} ${c.op} ${c.threshold}`)}</td><td>${cell(
        c.severity,
      )}</td><td>${cell(c.breachCount)}</td><td>${cell(
        c.lastBreachAt ? new Date(c.lastBreachAt).toISOString() : null,
      )}</td><td class="why">${cell(criterionWhy(c))}</td></tr>`;
    })
    .join('\n');
  const resets = s.resets
    .slice(-10)
    .map((r) => `<li>${cell(new Date(r.at).toISOString())}: ${cell(r.reason)}</li>`)
    .join('');
  const reasons = s.inconclusiveReasons.map((r) => `<li>${cell(r)}</li>`).join('');
  const sampleAge = s.lastSample ? formatDuration(now - s.lastSample.at) : 'never';
  return `<section>
<h2>${cell(s.tenant)} <span class="state" style="background:${STATE_COLOR[s.state] ?? '#555'}">${cell(s.state)}</span>${
    s.inconclusive ? ' <span class="state" style="background:#b26a00">INCONCLUSIVE</span>' : ''
  }</h2>
${reasons ? `<p>Inconclusive because:</p><ul class="reasons">${reasons}</ul>` : ''}
<p>Phase: ${cell(s.phase)} · coverage ${cell(pct(s.coverage))} · elapsed ${cell(formatDuration(s.elapsedMs))} of ${cell(
    formatDuration(s.requiredMs),
  )} · remaining ${cell(s.remainingMs === null ? null : formatDuration(s.remainingMs))} · last sample ${cell(sampleAge)}${
    s.lastSample ? ' ago' : ''
  }${s.lastSample && !s.lastSample.complete ? ` (partial: ${cell(s.lastSample.failedNodes.join(', '))})` : ''}</p>
<table><thead><tr><th>criterion</th><th>metric</th><th>status</th><th>value</th><th>worst</th><th>rule</th><th>severity</th><th>breaches</th><th>last breach</th><th>why</th></tr></thead>
<tbody>${rows}</tbody></table>
${resets ? `<h3>Resets</h3><ul>${resets}</ul>` : ''}
</section>`;
}

/** The status page: every tenant's state, clock and evidence. Pure: statuses and time in, HTML out. */
export function renderStatusHtml(statuses: TenantStatus[], now: number): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>soakwatch status</title>
<meta http-equiv="refresh" content="60">
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;font-size:.9rem}
.state{color:#fff;padding:.1rem .5rem;border-radius:.3rem;font-size:.9rem}
tr.breach td{background:#fff3e0}tr.firing td{background:#ffebee}tr.nodata td{color:#888}td.why{max-width:40rem}
</style></head><body>
<h1>soakwatch</h1><p>${statuses.length} tenant(s) · ${new Date(now).toISOString()}</p>
${statuses.map((s) => tenantSection(s, now)).join('\n')}
</body></html>`;
}
