<?php
// SPDX-License-Identifier: BSD-3-Clause
/*
 * clustered_session status page (in the spirit of APCu's apc.php).
 *
 * Copy it into a web root of each app node. It shows this node only: every
 * node has its own cache and counters.
 *   status.php                    the page (refreshes itself every 2 s)
 *   status.php?format=json        clustered_session_stats() as JSON
 *   status.php?format=prometheus  clustered_session_metrics() for Prometheus
 *
 * Access: clients from CLUSTERED_STATUS_ALLOW (comma-separated IPs, default
 * 127.0.0.1,::1), or anyone who gives the password in CLUSTERED_STATUS_PASSWORD
 * (HTTP basic auth, any user name). Set them with Apache's SetEnv, FPM's env[],
 * or in status.config.php next to this file:
 *   <?php return ['allow' => ['10.0.0.5'], 'password' => 'long random secret'];
 */

$config = [
    'allow' => array_filter(array_map('trim', explode(',', getenv('CLUSTERED_STATUS_ALLOW') ?: '127.0.0.1,::1'))),
    'password' => (string)(getenv('CLUSTERED_STATUS_PASSWORD') ?: ''),
];
if (is_file(__DIR__ . '/status.config.php')) {
    $config = array_merge($config, (array)include __DIR__ . '/status.config.php');
}

function status_allowed(array $config): bool
{
    $client = $_SERVER['REMOTE_ADDR'] ?? '';
    if (in_array($client, $config['allow'], true)) {
        return true;
    }
    $given = $_SERVER['PHP_AUTH_PW'] ?? null;
    return $config['password'] !== '' && $given !== null && hash_equals($config['password'], $given);
}

header('Cache-Control: no-store');
if (!status_allowed($config)) {
    if ($config['password'] !== '') {
        header('WWW-Authenticate: Basic realm="clustered_session status"');
        http_response_code(401);
    } else {
        http_response_code(403);
    }
    header('Content-Type: text/plain');
    echo "Not allowed: add this address to CLUSTERED_STATUS_ALLOW or set CLUSTERED_STATUS_PASSWORD.\n";
    exit;
}
if (!function_exists('clustered_session_stats')) {
    http_response_code(500);
    header('Content-Type: text/plain');
    echo "The clustered_session extension is not loaded in this PHP.\n";
    exit;
}

$format = $_GET['format'] ?? 'html';
if ($format === 'prometheus') {
    header('Content-Type: text/plain; version=0.0.4');
    echo clustered_session_metrics();
    exit;
}
$stats = clustered_session_stats();
$stats['time'] = microtime(true);
if ($format === 'json') {
    header('Content-Type: application/json');
    echo json_encode($stats);
    exit;
}

$h = fn($value) => htmlspecialchars((string)$value, ENT_QUOTES);
// Every counter the extension declares, in its order, with its help text: the page
// names none itself. (An extension without 'help' still lists its integer figures.)
$counters = $stats['help'] ?? array_fill_keys(array_keys(array_filter($stats, 'is_int')), '');
$reads = $stats['local_hits'] + $stats['local_misses'];
$hit_ratio = $reads > 0 ? $stats['local_hits'] / $reads : null;
$cache = $stats['cache'];
$fill = ($cache['size'] ?? 0) > 0 ? $cache['used'] / $cache['size'] : 0;
$mib = fn($bytes) => $bytes < 1048576 ? sprintf('%.0f KiB', $bytes / 1024) : sprintf('%.1f MiB', $bytes / 1048576);
?><!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>clustered_session on <?= $h($stats['route']) ?></title>
<noscript><meta http-equiv="refresh" content="5"></noscript>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:60em;color:#222}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.2em 0 .4em}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(11em,1fr));gap:.6em}
.box{border:1px solid #ddd;border-radius:6px;padding:.5em .8em}
.box b{display:block;font-size:1.6em}.box small{display:block;font-size:.8em}.muted{color:#777}
table{border-collapse:collapse;width:100%}td,th{padding:.3em .6em;border-bottom:1px solid #eee;text-align:left}
.up{color:#080;font-weight:bold}.down{color:#c00;font-weight:bold}
.bar{background:#eee;height:.6em;border-radius:3px}.bar span{display:block;height:100%;background:#48c;border-radius:3px}
canvas{width:100%;height:140px;border:1px solid #ddd;border-radius:6px}
</style></head><body>
<h1>clustered_session on node <span id="route"><?= $h($stats['route']) ?></span></h1>
<p class="muted" id="mode"><?= $h($stats['mode']) ?></p>
<p class="muted">sealing: <span id="sealing"><?= $h($stats['sealing'] ?? 'unknown') ?></span></p>
<p class="muted">compression: <span id="compression"><?= $h($stats['compression'] ?? 'off') ?></span></p>

<div class="grid">
  <div class="box">hit ratio<b id="hit_ratio"><?= $hit_ratio === null ? '–' : sprintf('%.1f%%', 100 * $hit_ratio) ?></b></div>
<?php foreach ($counters as $name => $help): ?>
  <div class="box" title="<?= $h($help) ?>"><?= $h(str_replace('_', ' ', $name)) ?><b id="<?= $h($name) ?>"><?= $h($stats[$name]) ?></b><small class="muted"><?= $h($help) ?></small></div>
<?php endforeach; ?>
</div>

<h2>Hit ratio, last minutes</h2>
<canvas id="chart" width="900" height="140"></canvas>

<h2>Cache</h2>
<table>
<tr><th>size</th><td id="cache_size"><?= $mib($cache['size'] ?? 0) ?></td></tr>
<tr><th>used</th><td><span id="cache_used"><?= $mib($cache['used'] ?? 0) ?></span>
  <div class="bar"><span id="cache_bar" style="width:<?= sprintf('%.1f', 100 * $fill) ?>%"></span></div></td></tr>
<tr><th>entries</th><td id="cache_entries"><?= $h($cache['entries'] ?? 0) ?> of <?= $h($cache['max_entries'] ?? 0) ?></td></tr>
<tr><th>evictions</th><td id="cache_evictions"><?= $h($cache['evictions'] ?? 0) ?></td></tr>
</table>

<h2>Lock waits</h2>
<table>
<tr><th>waits for a session's lock</th><td id="lock_wait_summary"><?= $h($stats['lock_wait']['summary'] ?? 'none') ?></td></tr>
<tr><th>hand-overs (unlock to waiter running)</th><td id="lock_wake_summary"><?= $h($stats['lock_wake']['summary'] ?? 'none') ?></td></tr>
</table>

<h2>memcached nodes</h2>
<table id="nodes">
<tr><th>node</th><th>address</th><th>state</th><th>role</th><th>failures</th><th>evictions</th><th>restarts</th></tr>
<?php foreach ($stats['nodes'] as $id => $node): ?>
<tr><td><?= $h($id) ?></td><td><?= $h($node['address']) ?></td>
<td class="<?= $node['up'] ? 'up' : 'down' ?>"><?= $h($node['state'] ?? ($node['up'] ? 'up' : 'down')) ?></td><td><?= $h($node['role'] ?? 'active') ?></td>
<td><?= $h($node['failures']) ?></td><td><?= $h($node['evictions'] ?? 0) ?></td><td><?= $h($node['restarts'] ?? 0) ?></td></tr>
<?php endforeach; ?>
</table>

<p class="muted">Updated <span id="updated"><?= date('H:i:s') ?></span> ·
<a href="?format=json">json</a> · <a href="?format=prometheus">prometheus</a></p>

<script>
(function () {
  const counters = <?= json_encode(array_keys($counters)) ?>;  // the boxes rendered above
  const points = [];
  let previous = null;
  const fmtMiB = b => b < 1048576 ? (b / 1024).toFixed(0) + ' KiB' : (b / 1048576).toFixed(1) + ' MiB';
  const set = (id, text) => { const e = document.getElementById(id); if (e) e.textContent = text; };

  function draw() {
    const canvas = document.getElementById('chart');
    const g = canvas.getContext('2d');
    const w = canvas.width, h = canvas.height;
    g.clearRect(0, 0, w, h);
    g.strokeStyle = '#eee';
    for (const y of [0.25, 0.5, 0.75]) { g.beginPath(); g.moveTo(0, h - y * h); g.lineTo(w, h - y * h); g.stroke(); }
    g.fillStyle = '#777';
    g.fillText('100%', 4, 12); g.fillText('0%', 4, h - 4);
    if (points.length < 1) { g.fillText('no session reads yet', w / 2 - 50, h / 2); return; }
    const shown = points.length === 1 ? [points[0], points[0]] : points;
    g.strokeStyle = '#48c'; g.lineWidth = 2; g.beginPath();
    shown.forEach((p, i) => {
      const x = (i / (shown.length - 1)) * (w - 10) + 5, y = h - 5 - p * (h - 10);
      i ? g.lineTo(x, y) : g.moveTo(x, y);
    });
    g.stroke();
  }

  function update(s) {
    for (const k of counters) set(k, s[k]);
    set('mode', s.mode);
    set('sealing', s.sealing);
    set('compression', s.compression ?? 'off');
    set('lock_wait_summary', s.lock_wait ? s.lock_wait.summary : 'none');
    set('lock_wake_summary', s.lock_wake ? s.lock_wake.summary : 'none');
    const reads = s.local_hits + s.local_misses;
    set('hit_ratio', reads ? (100 * s.local_hits / reads).toFixed(1) + '%' : '–');
    set('cache_used', fmtMiB(s.cache.used || 0));
    set('cache_entries', (s.cache.entries || 0) + ' of ' + (s.cache.max_entries || 0));
    set('cache_evictions', s.cache.evictions || 0);
    document.getElementById('cache_bar').style.width =
      (s.cache.size ? 100 * s.cache.used / s.cache.size : 0).toFixed(1) + '%';
    const rows = ['<tr><th>node</th><th>address</th><th>state</th><th>role</th><th>failures</th><th>evictions</th><th>restarts</th></tr>'];
    for (const [id, n] of Object.entries(s.nodes)) {
      const esc = t => String(t).replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
      rows.push(`<tr><td>${esc(id)}</td><td>${esc(n.address)}</td><td class="${n.up ? 'up' : 'down'}">${esc(n.state ?? (n.up ? 'up' : 'down'))}</td><td>${esc(n.role ?? 'active')}</td><td>${n.failures}</td><td>${n.evictions ?? 0}</td><td>${n.restarts ?? 0}</td></tr>`);
    }
    document.getElementById('nodes').innerHTML = rows.join('');
    // Hit ratio of the reads since the previous sample (all-time ratio at first).
    const hits = previous ? s.local_hits - previous.local_hits : s.local_hits;
    const total = previous ? reads - (previous.local_hits + previous.local_misses) : reads;
    if (total > 0) points.push(hits / total);
    if (points.length > 150) points.shift();
    previous = s;
    set('updated', new Date(s.time * 1000).toLocaleTimeString());
    draw();
  }

  async function poll() {
    try {
      const response = await fetch('?format=json', {cache: 'no-store'});
      if (response.ok) update(await response.json());
    } catch (e) { /* the node may be restarting: try again */ }
  }
  update(<?= json_encode($stats) ?>);  // the figures this page was rendered with
  setInterval(poll, 2000);
})();
</script>
</body></html>
