--TEST--
memcached restarted empty: the owner's next takeover check (any request, not one of the session) notices the new process and stores the sessions it holds again, so another node finds them; memcached's evictions are in the stats
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$mc = cs_memcached_start(['-m', '2']);
$port = $mc['port'];
$save_path = cs_save_path($port);
// web1 runs on a clock that stands still until the test moves it (helper.inc,
// CsClock): a takeover check is due when the test moves it one check interval
// (1 s) on, not after a wait in real time.
$clock = new CsClock();
$web1 = new CsNode(['session.save_path' => $save_path, 'clustered_session.takeover_check_interval' => 1,
                    'clustered_session.touch_interval' => 600], $clock);

$id = $web1->run('return cs_session(null, function () { $_SESSION = ["cart" => 3]; });');
// A check reads the node's stats for the first time.
$clock->advance(1);
$web1->run('cs_session(null, function () { $_SESSION = ["someone" => "else"]; });');

cs_memcached_stop($mc['pid']);
$mc = cs_memcached_start(['-m', '2'], $port);
echo "after the restart: ", cs_mc_get($port, "sess.$id") === null ? 'gone' : 'there', "\n";

// Another user's request on web1 once a check is due: it re-seeds the session.
$clock->advance(1);
$web1->run('cs_session(null, function () { $_SESSION = ["another" => "user"]; });');
echo "after web1's next check: ", cs_where($id, [$port])[$port] ?? 'gone', "\n";
$web1->run('$s = clustered_session_stats(); echo "store_restarts: $s[store_restarts], n1 restarts: ", $s["nodes"]["n1"]["restarts"], "\n";');

// web1 dies; web2 finds the session on the restarted memcached.
putenv("CS_ID=$id");
$r = cs_php('session_id(getenv("CS_ID")); session_start(); echo "cart=", $_SESSION["cart"] ?? "none", "\n"; session_abort();',
            ['session.save_path' => $save_path, 'clustered_session.route' => 'web2']);
echo "on web2: ", $r['out'], $r['err'];

// memcached evicts to make room: the next check reports memcached's own count.
$c = new CsMemcachedConnection($port);
$filler = str_repeat('f', 100000);
for ($i = 0; $i < 60; ++$i) {
    $c->send("set filler$i 0 0 100000\r\n$filler\r\n");
    $c->line();
}
$evicted = (int)cs_mc_stats($port)['evictions'];
$clock->advance(1);
$web1->run(<<<'PHP'
    cs_session(null, function () { $_SESSION = ['yet' => 'another']; });
    $seen = clustered_session_stats()['nodes']['n1']['evictions'];
    echo "evictions: memcached ", $evicted > 0 ? 'evicted' : 'evicted nothing', ", stats show ", $seen >= $evicted && $evicted > 0 ? 'them' : "$seen", "\n";
    echo "metrics: ", preg_match('/^clustered_session_memcached_evictions_total\{[^}]*node="n1"[^}]*\} [1-9]/m', clustered_session_metrics()) ? 'evictions per node' : 'none', "\n";
    PHP, ['evicted' => $evicted]);
$web1->stop();
?>
--EXPECT--
after the restart: gone
after web1's next check: cart|i:3;
store_restarts: 1, n1 restarts: 1
on web2: cart=3
evictions: memcached evicted, stats show them
metrics: evictions per node
