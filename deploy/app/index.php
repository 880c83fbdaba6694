<?php
// SPDX-License-Identifier: BSD-3-Clause
// The demo page: a per-session counter, the node that served it and the parts
// of the session ID.
session_start();
$_SESSION['counter'] = ($_SESSION['counter'] ?? 0) + 1;
$_SESSION['nodes'][] = ini_get('clustered_session.route');
if (count($_SESSION['nodes']) > 10) array_shift($_SESSION['nodes']);
$id = session_id();
preg_match('/^(.+)-([a-z0-9]{1,16})\.([a-z0-9]{1,16})$/', $id, $parts);
$stats = clustered_session_stats();
$h = fn($s) => htmlspecialchars((string)$s, ENT_QUOTES);
?><!doctype html>
<html><head><meta charset="utf-8"><title>clustered_session demo</title>
<style>
body{font-family:system-ui,sans-serif;max-width:46em;margin:2em auto;color:#222}
table{border-collapse:collapse}td,th{padding:.25em .8em;border-bottom:1px solid #ddd;text-align:left}
.big{font-size:3em;margin:.2em 0}code{background:#f3f3f3;padding:0 .3em}
</style></head><body>
<h1>clustered_session demo</h1>
<p class="big" id="counter"><?= $h($_SESSION['counter']) ?></p>
<p>requests in this session; this one was served by <b id="node"><?= $h(ini_get('clustered_session.route')) ?></b>
(pid <?= getmypid() ?>). Reload to count, or stop a node and reload.</p>
<table>
<tr><th>session ID</th><td><code id="sid"><?= $h($id) ?></code></td></tr>
<tr><th>random part</th><td><code><?= $h($parts[1] ?? '') ?></code></td></tr>
<tr><th>store (memcached node)</th><td><code id="store"><?= $h($parts[2] ?? '') ?></code></td></tr>
<tr><th>route (owner node)</th><td><code id="route"><?= $h($parts[3] ?? '') ?></code></td></tr>
<tr><th>served by, last requests</th><td><?= $h(implode(' ', $_SESSION['nodes'])) ?></td></tr>
</table>
<h2>This node</h2>
<table>
<tr><th>mode</th><td><?= $h($stats['mode']) ?></td></tr>
<?php foreach (['local_hits','local_misses','remote_reads','remote_writes','migrations','relocations','lock_waits','errors'] as $k): ?>
<tr><th><?= $k ?></th><td><?= $h($stats[$k]) ?></td></tr>
<?php endforeach; ?>
<?php foreach ($stats['nodes'] as $id => $n): ?>
<tr><th>memcached <?= $h($id) ?></th><td><?= $h($n['address']) ?> <?= $n['up'] ? 'up' : '<b>down</b>' ?>, failures <?= $h($n['failures']) ?></td></tr>
<?php endforeach; ?>
</table>
</body></html>
