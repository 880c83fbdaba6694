--TEST--
clustered_session_metrics(): every counter of clustered_session_stats()['help'] once, with that help text and the stats' value; trust, cache and per-node families labelled
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

$id = cs_session(null, function () { $_SESSION['x'] = 1; });
cs_session($id);
session_id(str_repeat('f', 32) . '-n2.web1');
@session_start();

$stats = clustered_session_stats();
$text = clustered_session_metrics();
$help = $stats['help'];
echo "help for every counter: ", var_export(array_keys($help) === array_values(array_filter(array_keys($stats),
    fn ($key) => is_int($stats[$key]))), true), "\n";
$wrong = [];
foreach ($help as $name => $line) {
    $metric = "clustered_session_{$name}_total";
    $ok = substr_count($text, "# HELP $metric $line\n") === 1
        && substr_count($text, "# TYPE $metric counter\n") === 1
        && preg_match_all("/^$metric\\{route=\"web1\"\\} (\\d+)$/m", $text, $m) === 1
        && (int)$m[1][0] === $stats[$name];
    if (!$ok) $wrong[] = $name;
}
echo count($help), " counters, wrong: ", json_encode($wrong), "\n";
foreach (['trusted', 'cache_capacity_bytes', 'cache_used_bytes', 'cache_entries', 'cache_evictions_total',
          'cache_repairs_total'] as $family) {
    preg_match("/^clustered_session_$family\\{route=\"web1\"\\} (\\d+)$/m", $text, $m);
    echo $family, " ", $m[1] ?? 'MISSING', "\n";
}
echo preg_replace('/:\d+"/', ':PORT"', implode("\n", preg_grep('/^clustered_session_memcached_/', explode("\n", $text)))), "\n";
?>
--EXPECTF--
help for every counter: true
26 counters, wrong: []
trusted 1
cache_capacity_bytes %d
cache_used_bytes %d
cache_entries 1
cache_evictions_total 0
cache_repairs_total 0
clustered_session_memcached_up{route="web1",node="n1",address="127.0.0.1:PORT"} 1
clustered_session_memcached_up{route="web1",node="n2",address="127.0.0.1:PORT"} 0
clustered_session_memcached_failures_total{route="web1",node="n1",address="127.0.0.1:PORT"} 0
clustered_session_memcached_failures_total{route="web1",node="n2",address="127.0.0.1:PORT"} 1
clustered_session_memcached_evictions_total{route="web1",node="n1",address="127.0.0.1:PORT"} 0
clustered_session_memcached_evictions_total{route="web1",node="n2",address="127.0.0.1:PORT"} 0
clustered_session_memcached_restarts_total{route="web1",node="n1",address="127.0.0.1:PORT"} 0
clustered_session_memcached_restarts_total{route="web1",node="n2",address="127.0.0.1:PORT"} 0
clustered_session_memcached_down_since_seconds{route="web1",node="n1",address="127.0.0.1:PORT"} 0
clustered_session_memcached_down_since_seconds{route="web1",node="n2",address="127.0.0.1:PORT"} %d
clustered_session_memcached_cas_tokens{route="web1",node="n1",address="127.0.0.1:PORT"} 1
clustered_session_memcached_cas_tokens{route="web1",node="n2",address="127.0.0.1:PORT"} 1
