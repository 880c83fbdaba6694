--TEST--
a frozen memcached node costs one timeout per retry_interval for the whole app node, not one per process: 20 forked processes, 10 sessions each, against a SIGSTOPped store node
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.io_timeout=200
clustered_session.connect_timeout=200
clustered_session.retry_interval=30
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$frozen = cs_memcached_start();
$live = cs_memcached_start();
ini_set('session.save_path', cs_save_path($frozen['port'], $live['port']));

// Each child opens its own connections (after fork), like an Apache child.
cs_memcached_freeze($frozen);
$started = microtime(true);
$children = [];
for ($c = 0; $c < 20; $c++) {
    $children[] = cs_fork(function () {
        $ok = 0;
        for ($i = 0; $i < 10; $i++) {
            session_id('');
            if (session_start()) {
                $_SESSION['n'] = $i;
                if (session_write_close()) $ok++;
            }
            usleep(100000);  // 10 requests over about a second and a half
        }
        return $ok;
    });
}
$ok = 0;
foreach ($children as $child) {
    $ok += (int)cs_fork_wait($child, 60)['result'];
}
$elapsed = microtime(true) - $started;
cs_memcached_thaw($frozen);

$stats = clustered_session_stats();
$failures = $stats['nodes']['n1']['failures'];
echo "sessions written: $ok of 200\n";
// Without shared health every request that picked n1 would pay a timeout (about
// 100 of 200); with it, each process pays at most the timeouts in flight when n1
// was first seen failing, plus one probe per retry_interval (30 s: wide, so that
// the bound holds however slowly this machine runs the children).
$bound = 20 + 1 + (int)floor($elapsed / 30);
echo $failures >= 1 && $failures <= $bound ? "n1 failures bounded\n" : "n1 failures: $failures (at most $bound)\n";
echo $stats['nodes']['n1']['up'] ? "n1 up again?\n" : "n1 marked down\n";
?>
--EXPECT--
sessions written: 200 of 200
n1 failures bounded
n1 marked down
