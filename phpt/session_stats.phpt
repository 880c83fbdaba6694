--TEST--
clustered_session_stats() returns every counter of src/stats/counters.h plus the cache and the nodes; phpinfo() has the section with the mode in force
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.retry_interval=3600
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
ini_set('session.save_path', cs_save_path(cs_port(1), cs_dead_port()));
// retry_interval is 3600 s, longer than run-tests.php lets any test run
// (scripts/run-phpt.sh, run-phpt-valgrind.sh): a node that failed stays marked
// down until the test ends, however slowly the machine runs it.

$stats = clustered_session_stats();
$counters = ['local_hits', 'local_misses', 'remote_reads', 'remote_writes', 'writes_skipped', 'touches',
             'touches_skipped', 'migrations', 'relocations', 'lock_waits', 'lock_timeouts', 'errors'];
foreach ($counters as $name) {
    if (!is_int($stats[$name] ?? null) || $stats[$name] !== 0) echo "$name: ", var_export($stats[$name] ?? 'MISSING', true), "\n";
}
echo "counters: ", count(array_intersect($counters, array_keys($stats))), "\n";
var_dump($stats['route'], $stats['trusted'], is_string($stats['mode']));
var_dump(is_int($stats['cache']['size']) && $stats['cache']['size'] > 0, $stats['cache']['entries'] ?? null);
// Nodes by id, with address, up and failures, before any session ran.
foreach ($stats['nodes'] as $node => $state) {
    printf("%s: %s up=%s failures=%d\n", $node, preg_replace('/:\d+$/', ':PORT', $state['address']),
           var_export($state['up'], true), $state['failures']);
}

// Counters move with the work done (a new session on the live node, read back).
$id = cs_session(null, function () { $_SESSION['x'] = 1; });
cs_session($id);
cs_session($id, function () { $_SESSION['x'] = 2; });
session_id(str_repeat('f', 32) . '-n2.web1');
@session_start();
$s = clustered_session_stats();
printf("local_hits %d, remote_writes %d, touches_skipped %d, errors>0 %s, cache entries %d\n", $s['local_hits'],
       $s['remote_writes'], $s['touches_skipped'], var_export($s['errors'] > 0, true), $s['cache']['entries']);
printf("n1 up=%s failures=%d; n2 up=%s failures=%d\n", var_export($s['nodes']['n1']['up'], true), $s['nodes']['n1']['failures'],
       var_export($s['nodes']['n2']['up'], true), $s['nodes']['n2']['failures']);

// phpinfo(): the section, every counter, the mode, the nodes.
ob_start();
phpinfo(INFO_MODULES);
$info = ob_get_clean();
$section = substr($info, strpos($info, "\nclustered_session\n"));
$section = substr($section, 0, strpos($section, "\nDirective => Local Value => Master Value") ?: strlen($section));
$missing = array_filter($counters, fn ($name) => !preg_match("/^$name => \\d+$/m", $section));
echo "phpinfo section: ", str_contains($section, 'clustered_session => enabled') ? 'yes' : 'NO', ", missing counters: ", json_encode(array_values($missing)), "\n";
echo preg_match('/^mode => owner: .*web1/m', $section) ? "mode shown\n" : "mode missing\n";
echo preg_match('/^node n1 => 127\.0\.0\.1:\d+ up, failures 0, evictions 0, restarts 0$/m', $section) ? "n1 shown\n" : "n1 missing\n";
echo preg_match('/^node n2 => 127\.0\.0\.1:\d+ DOWN \(down since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(no connection\)\), failures 1, evictions 0, restarts 0$/m', $section) ? "n2 shown, down since when and why\n" : "n2 missing\n";
echo str_contains($info, 'clustered_session.touch_interval => 60 => 60') ? "INI shown\n" : "INI missing\n";

// The other modes are named too.
foreach ([['session.use_strict_mode' => 0], ['clustered_session.route' => '"off"'], ['clustered_session.cache_size' => 0]] as $ini) {
    $r = cs_php('$s = clustered_session_stats(); echo var_export($s["trusted"], true), ": ", $s["mode"];', $ini);
    echo key($ini), "=", current($ini), " -> ", $r['out'], $r['err'], "\n";
}
?>
--EXPECT--
counters: 12
string(4) "web1"
bool(true)
bool(true)
bool(true)
int(0)
n1: 127.0.0.1:PORT up=true failures=0
n2: 127.0.0.1:PORT up=true failures=0
local_hits 2, remote_writes 2, touches_skipped 1, errors>0 true, cache entries 1
n1 up=true failures=0; n2 up=false failures=1
phpinfo section: yes, missing counters: []
mode shown
n1 shown
n2 shown, down since when and why
INI shown
session.use_strict_mode=0 -> false: untrusted: session.use_strict_mode=0 (IDs cannot be rewritten), every read is fetched from memcached
clustered_session.route="off" -> false: untrusted: clustered_session.route=off, every read is fetched from memcached
clustered_session.cache_size=0 -> false: untrusted: clustered_session.cache_size=0 (no local cache), every read is fetched from memcached
