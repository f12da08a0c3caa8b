import type { EvidenceReport } from '../release/report.js';
import { formatDuration } from '../util/duration.js';
import { ASSETS } from './assets.js';
import { esc } from './escape.js';
import { formatValue, unitOf } from './units.js';

const iso = (at: number | null | undefined) =>
  at === null || at === undefined ? null : new Date(at).toISOString();

/**
 * The evidence pack as one HTML document for a change ticket. `standalone` (the CLI's file) embeds the
 * stylesheet so the file needs nothing else; served by the api it links /assets/app.css instead (the CSP
 * forbids inline styles). Pure; every value escaped.
 */
export function renderReport(r: EvidenceReport, opts: { standalone: boolean }): string {
  const css = opts.standalone
    ? `<style>${ASSETS['app.css']?.body ?? ''}</style>`
    : '<link rel="stylesheet" href="/assets/app.css">';
  const checks = r.checks
    .map(
      (c) =>
        `<tr><td>${esc(c.phase)}</td><td>${esc(c.id)}</td><td>${esc(c.scope ? `${c.metric}@${c.scope}` : c.metric)}</td><td>${esc(c.rule)}</td><td>${esc(formatDuration(c.windowMs))}</td><td>${esc(c.consecutive)}</td><td>${esc(c.severity)}</td></tr>`,
    )
    .join('');
  const criteria = r.criteria
    .map((c) => {
      const unit = unitOf(c.scope ? `${c.metric}@${c.scope}` : c.metric);
      return `<tr class="${esc(c.status)}"><td>${esc(c.id)}</td><td>${esc(c.status)}</td><td>${esc(formatValue(c.value, unit))}</td><td>${esc(formatValue(c.worst, unit))}</td><td>${esc(`${c.aggregate} ${c.op} ${formatValue(c.threshold, unit)}`)}</td><td>${esc(c.breachCount)}</td><td>${esc(c.cause ?? c.detail ?? '')}</td></tr>`;
    })
    .join('');
  const resets = r.resets
    .map((x) => `<tr><td>${esc(iso(x.at))}</td><td>${esc(x.phase ?? '')}</td><td>${esc(x.reason)}</td></tr>`)
    .join('');
  const actions = r.actions
    .map(
      (a) =>
        `<tr><td>${esc(iso(a.at))}</td><td>${esc(a.actor)}</td><td>${esc(a.action)}</td><td>${esc(a.from && a.to ? `${a.from} → ${a.to}` : '')}</td><td>${esc(a.reason ?? '')}</td></tr>`,
    )
    .join('');
  const transitions = r.transitions
    .map(
      (a) =>
        `<tr><td>${esc(iso(a.at))}</td><td>${esc(a.actor)}</td><td>${esc(`${a.from ?? '?'} → ${a.to}`)}</td><td>${esc(a.reason ?? '')}</td></tr>`,
    )
    .join('');
  const spot = r.spotCheck
    ? `${r.spotCheck.mismatches} mismatches in ${r.spotCheck.checked} keys spot-checked; mismatch rate < ${
        r.spotCheck.upperBound95 === null
          ? 'no bound (nothing checked)'
          : r.spotCheck.upperBound95.toExponential(2)
      } at 95 % (Wilson upper bound)`
    : 'no spot-check in this phase';
  const table = (id: string, head: string[], rows: string) =>
    rows
      ? `<div class="scroll"><table id="${id}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table></div>`
      : '<p>none</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`soakwatch evidence: ${r.tenant}`)}</title>${css}</head><body><main>
<h1>Evidence: tenant ${esc(r.tenant)} <span class="badge ${esc(r.state)}">${esc(r.state)}</span></h1>
<p>Generated ${esc(iso(r.generatedAt))} · schema ${esc(r.schema)} · phase ${esc(r.phase)}</p>
<h2>Policy in force</h2><p>SHA-256 <code id="policy-hash">${esc(r.policy.sha256)}</code> · mode ${esc(r.policy.policy.mode)} · sampled every ${esc(
    formatDuration(r.sampleIntervalMs),
  )} · coverage floor ${esc(`${(r.policy.policy.minCoverage * 100).toFixed(1)} %`)} · readiness after ${esc(
    formatDuration(r.policy.policy.replication.readyAfter),
  )} · soak ${esc(formatDuration(r.policy.policy.soak.duration))} · max resets ${esc(r.policy.policy.maxResets)}</p>
<h2>What was checked</h2>${table('checks', ['phase', 'criterion', 'metric', 'rule', 'window', 'consecutive', 'severity'], checks)}
<h2>Bounds reached</h2><p>Clock ${esc(formatDuration(r.clock.elapsedMs))} of ${esc(formatDuration(r.clock.requiredMs))}, coverage ${esc(
    r.clock.coverage === null ? 'no data' : `${(r.clock.coverage * 100).toFixed(1)} %`,
  )}. ${esc(spot)}.${r.fullCompare ? ` Full compare: ${esc(r.fullCompare.summary)}.` : ''}</p>
${r.inconclusiveReasons.length ? `<p>Inconclusive: ${esc(r.inconclusiveReasons.join('; '))}</p>` : ''}
${table('criteria', ['criterion', 'status', 'value', 'worst', 'rule', 'breaches', 'why'], criteria)}
<p>Judged samples stored from ${esc(iso(r.history.first))} to ${esc(iso(r.history.last))}.</p>
<h2>Every reset</h2>${table('resets', ['at', 'phase', 'reason'], resets)}
<h2>Release managers' actions</h2>${table('actions', ['at', 'actor', 'action', 'transition', 'reason'], actions)}
<h2>Every transition</h2>${table('transitions', ['at', 'by', 'transition', 'reason'], transitions)}
</main></body></html>`;
}
