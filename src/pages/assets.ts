/*
 * The pages' only CSS and script, served by the api function at /assets/<name> (the CSP allows scripts and
 * styles from 'self' only: nothing inline, nothing from a CDN). Plain strings, so the Lambda bundle carries
 * them with no file to package.
 */

const CSS = `
:root{--ok:#2e7d32;--bad:#c62828;--warn:#b26a00;--info:#4a6fa5;--mute:#666;--line:#ddd}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#fafafa}
header.top{background:#263238;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header.top a{color:#fff}
main{padding:1rem;max-width:72rem;margin:0 auto}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse;width:100%;background:#fff}
td,th{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;font-size:.9rem;vertical-align:top}
th{background:#f0f0f0}
.badge{display:inline-block;color:#fff;padding:.1rem .5rem;border-radius:.3rem;font-size:.8rem;font-weight:600;background:var(--mute)}
.badge.REPLICATING,.badge.SOAKING{background:var(--info)}
.badge.CUTOVER_READY,.badge.PASSED,.badge.SCALE_DOWN_APPROVED{background:var(--ok)}
.badge.FAILED{background:var(--bad)}.badge.INCONCLUSIVE{background:var(--warn)}.badge.MUTED{background:#7b1fa2}
progress{width:8rem;height:.8rem;vertical-align:middle}
tr.breach td{background:#fff3e0}tr.firing td{background:#ffebee}tr.nodata td{color:#777}
.fires{color:var(--bad);font-weight:600}.nodata{color:#777}
form.filter{display:flex;gap:.5rem;flex-wrap:wrap;margin:.5rem 0}
form.filter input,form.filter select,button{font:inherit;padding:.3rem .5rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,26rem),1fr));gap:1rem}
figure.chart{margin:0;background:#fff;border:1px solid var(--line);padding:.5rem}
figure.chart svg{width:100%;height:auto;display:block}
figcaption{font-weight:600;font-size:.95rem}
.legend .key{font-weight:400;font-size:.8rem;margin-left:.4rem}
.legend .key::before{content:"";display:inline-block;width:.8rem;height:.2rem;margin-right:.2rem;vertical-align:middle;background:currentColor}
svg .plot{fill:#fff;stroke:#ccc}svg .grid{stroke:#eee}svg .tick,svg .axis,svg .empty{font-size:13px;fill:#444}
svg .line{fill:none;stroke-width:1.5}svg .pt{stroke:none}
.s0{color:#1565c0;stroke:#1565c0;fill:#1565c0}.s1{color:#ef6c00;stroke:#ef6c00;fill:#ef6c00}
.s2{color:#2e7d32;stroke:#2e7d32;fill:#2e7d32}.s3{color:#6a1b9a;stroke:#6a1b9a;fill:#6a1b9a}
.s4{color:#00838f;stroke:#00838f;fill:#00838f}.s5{color:#5d4037;stroke:#5d4037;fill:#5d4037}
svg .line.s0,.series path{fill:none}
svg .mk{stroke-width:1.5;stroke-dasharray:3 2}svg .mk-reset{stroke:var(--bad)}svg .mk-alarm{stroke:var(--warn)}
svg .mk-cutover{stroke:#000;stroke-dasharray:none}svg .mk-event{stroke:#888}svg .mk-transition{stroke:var(--info)}
svg.spark{width:120px;height:24px}svg.spark path{fill:none;stroke:#1565c0;stroke-width:1.2}
.actions button{margin-right:.5rem}
#result{margin:.5rem 0;padding:.5rem;border-radius:.3rem}#result:empty{display:none}
#result.ok{background:#e8f5e9}#result.refused{background:#ffebee}
dialog{max-width:32rem;width:90vw}dialog textarea{width:100%;min-height:4rem}
.scroll{overflow-x:auto}
@media (max-width:40rem){main{padding:.5rem}td,th{font-size:.8rem;padding:.25rem}.wide{display:none}progress{width:5rem}}
`;

// No template literals below: this is the browser's code, kept to what every browser runs.
const JS = `
(function () {
  'use strict';
  // Filters of the overview submit themselves (the server filters; the form works without script too).
  document.querySelectorAll('form.filter select').forEach(function (el) {
    el.addEventListener('change', function () { el.form.submit(); });
  });

  // Mutes: posted as JSON with the session cookie; the page reloads to show what is in force.
  var muteForm = document.getElementById('mute-form');
  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.text().then(function (text) {
        if (r.ok) { location.reload(); return; }
        var out = document.getElementById('result');
        if (out) { out.className = 'refused'; out.textContent = 'refused (' + r.status + '): ' + text; }
      });
    });
  }
  if (muteForm) {
    muteForm.addEventListener('submit', function (e) {
      e.preventDefault();
      var t = muteForm.getAttribute('data-tenant');
      var criterion = muteForm.elements.criterion.value;
      var body = {
        until: Date.now() + Number(muteForm.elements.hours.value) * 3600000,
        reason: muteForm.elements.reason.value,
      };
      if (criterion) body.criterion = criterion;
      post('/tenants/' + encodeURIComponent(t) + '/mute', body);
    });
  }
  document.querySelectorAll('button[data-unmute]').forEach(function (b) {
    b.addEventListener('click', function () {
      var c = b.getAttribute('data-unmute');
      post('/tenants/' + encodeURIComponent(b.getAttribute('data-tenant')) + '/unmute', c ? { criterion: c } : {});
    });
  });

  var dialog = document.getElementById('confirm');
  var result = document.getElementById('result');
  if (!dialog || !result) return;
  var pending = null;

  function show(kind, text) {
    result.className = kind;
    result.textContent = text;
  }

  function refresh(tenant) {
    return fetch('/tenants/' + encodeURIComponent(tenant) + '/status', { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) return;
        var badge = document.getElementById('state');
        if (badge) { badge.textContent = s.state; badge.className = 'badge ' + s.state; }
        document.querySelectorAll('button[data-action]').forEach(function (b) {
          b.hidden = s.actions.indexOf(b.getAttribute('data-action')) < 0;
        });
      });
  }

  document.querySelectorAll('button[data-action], button[data-fence]').forEach(function (button) {
    button.addEventListener('click', function () {
      var fence = button.getAttribute('data-fence');
      pending = fence
        ? { tenant: button.getAttribute('data-tenant'), action: fence, path: '/' + fence }
        : {
            tenant: button.getAttribute('data-tenant'),
            action: button.getAttribute('data-action'),
            path: '/actions/' + encodeURIComponent(button.getAttribute('data-action')),
          };
      document.getElementById('confirm-text').textContent =
        pending.action + ' on tenant "' + pending.tenant + '"? The reason goes into the audit trail.';
      document.getElementById('reason').value = '';
      dialog.showModal();
    });
  });

  document.getElementById('confirm-cancel').addEventListener('click', function () { dialog.close(); pending = null; });
  document.getElementById('confirm-form').addEventListener('submit', function (e) {
    e.preventDefault();
    if (!pending) return;
    var p = pending;
    pending = null;
    var reason = document.getElementById('reason').value.trim();
    dialog.close();
    show('', 'sending ' + p.action + '…');
    fetch('/tenants/' + encodeURIComponent(p.tenant) + p.path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(reason ? { reason: reason } : {}),
    })
      .then(function (r) {
        return r.text().then(function (text) {
          if (r.ok) {
            var out = JSON.parse(text);
            if (p.path.indexOf('/actions/') !== 0) {
              // The fence's state and its evidence are rendered by the server: show them.
              show('ok', p.action + ' done: ' + p.tenant + (out.fenced ? ' is fenced' : ' is unfenced'));
              window.location.reload();
              return;
            }
            show('ok', p.action + ' done: ' + p.tenant + ' is now ' + out.state);
            return refresh(p.tenant);
          }
          var why = r.status === 401 || r.status === 403
            ? 'not signed in, or the token is not accepted: sign in again at /login'
            : text;
          show('refused', p.action + ' refused (' + r.status + '): ' + why);
        });
      })
      .catch(function (err) { show('refused', p.action + ' failed: ' + err.message); });
  });
})();
`;

export interface Asset {
  contentType: string;
  body: string;
}

/** The static assets by name (`/assets/app.css`); nothing else is served from /assets. */
export const ASSETS: Readonly<Record<string, Asset>> = {
  'app.css': { contentType: 'text/css; charset=utf-8', body: CSS },
  'app.js': { contentType: 'text/javascript; charset=utf-8', body: JS },
};
