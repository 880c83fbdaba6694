--TEST--
a frozen memcached node costs one timeout per retry_interval for the whole app node, not one per process: 20 forked processes, 10 sessions each, against a SIGSTOPped store node pay at most the timeouts in flight when it is first seen failing, and 20 more forked after that pay none
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.io_timeout=200
clustered_session.connect_timeout=200
clustered_session.retry_interval=3600
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$frozen = cs_memcached_start();
$live = cs_memcached_start();
ini_set('session.save_path', cs_save_path($frozen['port'], $live['port']));

// 20 children, 10 new sessions each; each child opens its own connections
// (after fork), like an Apache child. Returns how many were written.
function wave(): int
{
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
            }
            return $ok;
        });
    }
    $ok = 0;
    foreach ($children as $child) $ok += (int)cs_fork_wait($child)['result'];
    return $ok;
}
$failures = fn () => clustered_session_stats()['nodes']['n1']['failures'];

cs_memcached_freeze($frozen);
$ok = wave();
$stats = clustered_session_stats();
echo "sessions written: $ok of 200\n";
// Without shared health every request that picked n1 would pay a timeout (about
// 100 of 200); with it, each process pays at most the timeouts in flight when n1
// was first seen failing, plus one probe per retry_interval: none here, as
// retry_interval (3600 s) is longer than run-tests.php lets any test run, so the
// bound holds however slowly this machine runs the children.
$bound = 20 + 1;
$first = $stats['nodes']['n1']['failures'];
echo $first >= 1 && $first <= $bound ? "n1 failures bounded\n" : "n1 failures: $first (at most $bound)\n";
echo $stats['nodes']['n1']['up'] ? "n1 up again?\n" : "n1 marked down\n";

// Processes started after n1 was marked down pay no timeout at all: the down
// state is the app node's, not each process's (which would cost each new one a
// timeout of its own).
$ok = wave();
echo "second wave: sessions written: $ok of 200, n1 failures +", $failures() - $first, "\n";
cs_memcached_thaw($frozen);
?>
--EXPECT--
sessions written: 200 of 200
n1 failures bounded
n1 marked down
second wave: sessions written: 200 of 200, n1 failures +0
