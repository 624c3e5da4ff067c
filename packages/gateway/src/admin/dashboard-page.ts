/**
 * The dashboard page (GET / on the admin listener): one HTML document with inline CSS and vanilla
 * JavaScript, no build step and no external resources. It reads /config_dump (routes, chains,
 * plugins, VMs per worker) every 2 s and /stats.json (live rates, latency, workers, reload history)
 * every second, and draws the last minute as SVG sparklines.
 */
export const DASHBOARD_HTML = /* html */ `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>wasmgate dashboard</title>
<style>
:root{--bg:#f6f7f9;--card:#fff;--fg:#1d2330;--mut:#6b7385;--line:#e3e6ec;--ok:#1a8f4c;--bad:#c9302c;--warn:#c77700;--acc:#2f6fde}
*{box-sizing:border-box}body{margin:0;font:13px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;gap:18px;align-items:baseline;padding:10px 18px;background:#1d2330;color:#fff}
header h1{font-size:16px;margin:0}header span{color:#c5cbd8}header b{color:#fff}
main{padding:12px 18px;display:grid;gap:12px}
section{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 12px;overflow-x:auto}
h2{font-size:13px;margin:2px 0 6px;text-transform:uppercase;letter-spacing:.04em;color:var(--mut)}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-top:1px solid var(--line);vertical-align:middle;white-space:nowrap}
th{border-top:0;color:var(--mut);font-weight:500;font-size:12px}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.chip{display:inline-block;padding:0 6px;margin:1px 2px 1px 0;border-radius:9px;background:#eef2fb;color:var(--acc);font-size:12px}
.arrow{color:var(--mut);margin:0 2px}.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}.mut{color:var(--mut)}
.st-running{background:#e4f5ea;color:var(--ok)}.st-failed{background:#fbe5e4;color:var(--bad)}.st-recreating{background:#fdf0dc;color:var(--warn)}
.err{max-width:340px;overflow:hidden;text-overflow:ellipsis;color:var(--bad)}code{font:12px ui-monospace,Menlo,monospace}
.pl{white-space:normal;min-width:150px;max-width:200px}.pl .mut{font-size:11px}.url{max-width:220px;overflow:hidden;text-overflow:ellipsis}.err{max-width:200px}.up{max-width:190px;overflow:hidden;text-overflow:ellipsis}
.note{color:var(--mut);font-size:12px;margin:4px 0 0}
.kpis{display:flex;gap:28px}.kpi b{display:block;font-size:20px;font-variant-numeric:tabular-nums}.kpi span{color:var(--mut);font-size:12px}
svg.spark{display:block}#problem{display:none;background:#fbe5e4;color:var(--bad);padding:6px 18px}
</style></head><body>
<header><h1>wasmgate</h1><span>generation <b id="gen">–</b></span><span>workers <b id="nworkers">–</b></span><span>last reload <b id="lastreload">–</b></span><span id="updated" class="mut"></span></header>
<div id="problem"></div>
<main>
<section><div class="kpis">
<div class="kpi"><b id="k-rps">–</b><span>requests/s</span></div><div class="kpi"><b id="k-err">–</b><span>errors (5xx, resets)</span></div>
<div class="kpi"><b id="k-inflight">–</b><span>in flight</span></div><div class="kpi"><b id="k-total">–</b><span>requests since start</span></div>
<div class="kpi" id="k-spark"></div></div></section>
<section><h2>Routes</h2><table id="routes"><thead><tr><th>route</th><th>match</th><th>endpoints</th><th>plugin chain</th><th class="n">req/s</th><th class="n">errors</th><th class="n">p50</th><th class="n">p99</th><th>last minute</th></tr></thead><tbody></tbody></table></section>
<section><h2>Plugins</h2><table id="plugins"><thead><tr><th>plugin</th><th>source · sha256</th><th>VMs per worker</th><th class="n">restarts</th><th>last error</th><th class="n">req/s</th><th class="n">errors</th><th class="n" title="time inside the plugin per callback">in plugin p50</th><th class="n" title="time inside the plugin per callback">in plugin p99</th><th>last minute</th></tr></thead><tbody></tbody></table>
<p class="note">A plugin's requests and errors are those of the exchanges whose chain includes it; "in plugin" is the time inside one of its callbacks (all phases). Errors: 5xx answers and responses that never completed. Rates and percentiles: last 10 s.</p></section>
<section><h2>Workers</h2><table id="workers"><thead><tr><th>worker</th><th>generation</th><th class="n">in flight</th><th class="n">draining gens</th><th class="n">heap</th><th>listening</th><th class="n">requests</th></tr></thead><tbody></tbody></table></section>
<section><h2>Reloads</h2><table id="reloads"><thead><tr><th>at</th><th>trigger</th><th>outcome</th><th class="n">generation</th><th class="n">took</th><th>problems</th></tr></thead><tbody></tbody></table></section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const ms = (x) => (x == null ? '–' : x < 0.1 ? Math.round(x * 1000) + ' µs' : x < 1 ? x.toFixed(2) + ' ms' : x < 100 ? x.toFixed(1) + ' ms' : Math.round(x) + ' ms');
const rate = (x) => (x >= 100 ? Math.round(x) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const pct = (x) => (x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1) + ' %';
const bytes = (b) => (b / 1048576).toFixed(1) + ' MiB';
let dump = null, stats = null, failing = '';

/** Requests per second as a line, errors as red bars, over the last minute. */
function spark(s, w = 140, h = 26) {
  if (!s) return '';
  const n = s.rps.length, max = Math.max(1, ...s.rps);
  const x = (i) => ((i / (n - 1)) * (w - 2) + 1).toFixed(1), y = (v) => (h - 2 - (v / max) * (h - 4)).toFixed(1);
  const line = s.rps.map((v, i) => x(i) + ',' + y(v)).join(' ');
  const bars = s.errors.map((v, i) => (v > 0 ? '<rect x="' + x(i) + '" y="' + y(v) + '" width="2" height="' + (h - 2 - y(v)).toFixed(1) + '" fill="#c9302c"/>' : '')).join('');
  return '<svg class="spark" width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + ' ' + h + '"><title>peak ' + max + ' req/s in the last minute</title>' + bars +
    '<polyline fill="none" stroke="#2f6fde" stroke-width="1.5" points="' + line + '"/></svg>';
}
const liveCells = (s, w) => s
  ? '<td class="n rps">' + rate(s.rps) + '</td><td class="n errs ' + (s.errorRate > 0 ? 'bad' : '') + '">' + pct(s.errorRate) + '</td><td class="n p50">' + ms(s.p50Ms) + '</td><td class="n p99">' + ms(s.p99Ms) + '</td><td>' + spark(s.series, w) + '</td>'
  : '<td class="n rps">–</td><td class="n errs">–</td><td class="n p50">–</td><td class="n p99">–</td><td></td>';

/** A plugin's percentiles are the time inside its callbacks (from the metrics) where the gateway has them. */
const pluginLive = (s) => (s && s.inPlugin ? { ...s, p50Ms: s.inPlugin.p50Ms, p99Ms: s.inPlugin.p99Ms } : s);

function render() {
  const live = { routes: new Map((stats?.routes ?? []).map((r) => [r.name, r])), plugins: new Map((stats?.plugins ?? []).map((p) => [p.key, p])) };
  if (dump) {
    $('gen').textContent = dump.generation.id;
    $('nworkers').textContent = dump.gateway.workers;
    const chains = new Map(dump.chains.map((c) => [c.route, c]));
    const rows = dump.routes.map((r) => {
      const c = chains.get(r.name);
      const chain = !c ? '' : c.unavailable ? '<span class="bad">unavailable: ' + esc(c.unavailable) + '</span>'
        : c.plugins.length === 0 ? '<span class="mut">no plugins</span>'
        : c.plugins.map((p) => '<span class="chip st-' + esc(p.state ?? 'running') + '">' + esc(p.key) + '</span>').join('<span class="arrow">→</span>');
      const up = (r.endpoints ?? []).map((e) => e.host + ':' + e.port).join(', ');
      return '<tr data-route="' + esc(r.name) + '"><td><b>' + esc(r.name) + '</b></td><td><code>' + esc(r.host) + ' ' + esc(r.path) + '</code> <span class="mut">' + esc(r.pathType) + '</span></td>' +
        '<td class="up" title="' + esc(r.cluster) + '">' + esc(up || r.cluster) + '</td><td class="chain">' + chain + '</td>' + liveCells(live.routes.get(r.name)) + '</tr>';
    });
    for (const r of stats?.routes ?? []) if (r.configured === false) rows.push('<tr data-route="' + esc(r.name) + '"><td class="mut">' + esc(r.name) + '</td><td colspan="3" class="mut">not in the serving configuration</td>' + liveCells(r) + '</tr>');
    $('routes').tBodies[0].innerHTML = rows.join('');
    $('plugins').tBodies[0].innerHTML = dump.plugins.map((p) => '<tr data-plugin="' + esc(p.key) + '"><td class="pl"><b>' + esc(p.key) + '</b><br><span class="mut">' + esc(p.phase) + ' · ' + esc(p.failStrategy) + ' · ' + esc(p.toolchain ?? '') + '</span></td>' +
      '<td class="url" title="' + esc(p.url) + '&#10;sha256:' + esc(p.sha256) + '"><code>' + esc(p.url) + '</code><br><code class="mut">sha256:' + esc(String(p.sha256 ?? '').slice(0, 16)) + '…</code></td>' +
      '<td class="vms">' + p.workers.map((w) => '<span class="chip st-' + esc(w.state) + '" title="' + esc(w.lastError ?? '') + '">w' + w.workerId + ' ' + esc(w.state) + '</span>').join('') + '</td>' +
      '<td class="n">' + p.restarts + '</td><td class="err" title="' + esc(p.lastError ?? '') + '">' + (p.lastError ? esc(p.lastError) : '<span class="mut">–</span>') + '</td>' + liveCells(pluginLive(live.plugins.get(p.key)), 110) + '</tr>').join('') +
      dump.skippedPlugins.map((p) => '<tr data-plugin="' + esc(p.key) + '"><td><b>' + esc(p.key) + '</b></td><td colspan="3" class="warn">skipped (FAIL_OPEN)</td><td class="err" title="' + esc(p.message) + '">' + esc(p.code + ' ' + p.message) + '</td>' + liveCells(undefined) + '</tr>').join('');
  }
  if (stats) {
    const sum = (k) => stats.routes.reduce((n, r) => n + r[k], 0);
    const rps = sum('rps'), errs = stats.routes.reduce((n, r) => n + r.errorRate * r.rps, 0);
    $('k-rps').textContent = rate(rps);
    $('k-err').textContent = rps > 0 ? pct(errs / rps) : '0 %';
    $('k-err').className = errs > 0 ? 'bad' : '';
    $('k-total').textContent = sum('requests');
    $('k-inflight').textContent = stats.workers.reduce((n, w) => n + (w.inFlight ?? 0), 0);
    const all = { rps: stats.routes[0]?.series.rps.map((_, i) => stats.routes.reduce((n, r) => n + r.series.rps[i], 0)) ?? [], errors: stats.routes[0]?.series.errors.map((_, i) => stats.routes.reduce((n, r) => n + r.series.errors[i], 0)) ?? [] };
    $('k-spark').innerHTML = all.rps.length ? spark(all, 260, 40) + '<span>all routes, last minute</span>' : '';
    $('workers').tBodies[0].innerHTML = stats.workers.map((w) => w.unresponsive
      ? '<tr data-worker="' + w.workerId + '"><td>' + w.workerId + '</td><td colspan="6" class="warn">unresponsive (busy in a plugin call?)</td></tr>'
      : '<tr data-worker="' + w.workerId + '"><td>' + w.workerId + '</td><td>' + w.generation + '</td><td class="n">' + w.inFlight + '</td><td class="n">' + w.draining + '</td><td class="n">' + bytes(w.heapUsedBytes) + '</td><td>' + (w.listening ? '<span class="ok">yes</span>' : '<span class="bad">no</span>') + '</td><td class="n">' + w.requests + '</td></tr>').join('');
    const h = stats.reloads.history;
    const last = h[0];
    $('lastreload').innerHTML = last ? (last.ok ? '<span class="ok">ok</span>' : '<span class="bad">failed</span>') + ' ' + esc(new Date(last.at).toLocaleTimeString()) : '–';
    $('reloads').tBodies[0].innerHTML = h.map((o) => '<tr class="reload"><td>' + esc(new Date(o.at).toLocaleString()) + '</td><td><code>' + esc(o.trigger) + '</code></td><td>' + (o.ok ? '<span class="ok">ok</span>' : '<span class="bad">failed</span>') + '</td>' +
      '<td class="n">' + o.generation + '</td><td class="n">' + o.durationMs + ' ms</td><td class="err" title="' + esc([...o.errors, ...o.warnings].map((p) => p.code + ' ' + p.message).join('\\n')) + '">' +
      esc(o.errors.map((p) => p.code + ' ' + p.message).join('; ')) + (o.warnings.length ? ' <span class="warn">' + o.warnings.length + ' warning(s)</span>' : '') + '</td></tr>').join('');
    $('updated').textContent = 'updated ' + new Date(stats.at).toLocaleTimeString();
  }
  $('problem').style.display = failing ? 'block' : 'none';
  $('problem').textContent = failing;
}

// The admin token, when one is set: open the page as /#token=<token>; it is kept for this tab only
// and taken out of the address bar.
const tokenInHash = new URLSearchParams(location.hash.slice(1)).get('token');
if (tokenInHash) { sessionStorage.setItem('wasmgate-admin-token', tokenInHash); history.replaceState(null, '', location.pathname + location.search); }
const token = sessionStorage.getItem('wasmgate-admin-token');
async function get(path) {
  const r = await fetch(path, { cache: 'no-store', headers: token ? { authorization: 'Bearer ' + token } : {} });
  if (r.status === 401) throw new Error(path + ': the admin token is needed (open this page as /#token=<token>)');
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return r.json();
}
async function tick(what) {
  try {
    if (what === 'dump') dump = await get('config_dump');
    else stats = await get('stats.json');
    failing = '';
  } catch (e) {
    failing = 'admin listener not answering: ' + e.message;
  }
  render();
}
tick('dump'); tick('stats');
setInterval(() => tick('dump'), 2000);
setInterval(() => tick('stats'), 1000);
</script></body></html>
`;
