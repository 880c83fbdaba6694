--TEST--
a store node that is down when sessions are created is skipped: every new session lands on the live node; the down state is shared by forked children and retried after retry_interval
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.retry_interval=4
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$live = cs_memcached_start();
$dead = cs_dead_port();

foreach ([[$dead, $live['port']], [$live['port'], $dead]] as $order) {
    ini_set('session.save_path', cs_save_path(...$order));
    $live_id = $order[0] === $dead ? 'n2' : 'n1';
    $stores = [];
    $lost = 0;
    for ($i = 0; $i < 40; ++$i) {
        $id = cs_session(null, function () use ($i) { $_SESSION['i'] = $i; });
        $stores[cs_split_id($id)['store']] = ($stores[cs_split_id($id)['store']] ?? 0) + 1;
        if (cs_where($id, [$live['port']]) !== [$live['port'] => "i|i:$i;"]) ++$lost;
    }
    $nodes = clustered_session_stats()['nodes'];
    $dead_id = $live_id === 'n1' ? 'n2' : 'n1';
    printf("live node %s: %s; not stored: %d; %s up=%s tried=%s; %s up=%s\n", $live_id, json_encode($stores), $lost,
           $dead_id, var_export($nodes[$dead_id]['up'], true), var_export($nodes[$dead_id]['failures'] >= 1, true),
           $live_id, var_export($nodes[$live_id]['up'], true));
}

// The down state lives in shared memory. Make the dead node fail now (new
// sessions until one tries it; it may be in its retry window still):
ini_set('session.save_path', cs_save_path($dead, $live['port']));
$failures = fn () => clustered_session_stats()['nodes']['n1']['failures'];
$before = $failures();
for ($i = 0; $i < 1000 && $failures() === $before; ++$i) {
    cs_session(null, function () { $_SESSION['x'] = 1; });
    usleep(5000);
}
$marked_at = microtime(true);
$before = $failures();
// Children forked within retry_interval (4 s) skip the dead node without trying
// it. They stop making sessions half-way through the interval, so that a slow
// machine (valgrind) shortens the check instead of crossing into the next probe.
$children = [];
for ($c = 0; $c < 4; ++$c) {
    $children[] = cs_fork(function () use ($marked_at) {
        $stores = [];
        for ($i = 0; $i < 10 && ($i === 0 || microtime(true) < $marked_at + 2); ++$i) {
            $stores[] = cs_split_id(cs_session(null, function () { $_SESSION['c'] = 1; }))['store'];
        }
        return implode(',', array_unique($stores));
    });
}
foreach ($children as $child) {
    $r = cs_fork_wait($child);
    echo "child: $r[result]$r[output]\n";
}
echo "failures after the children: +", $failures() - $before, "\n";

// After retry_interval exactly one request probes the node again (a new session
// starts at a random node, so it takes a few), and it is marked down for another
// interval: the requests of the next 2 s (at most 40 in all) skip it.
usleep((int)(max(0, $marked_at + 4.1 - microtime(true)) * 1e6));
$probed_at = null;
for ($i = 0; $i < 40 && ($probed_at === null || microtime(true) < $probed_at + 2); ++$i) {
    cs_session(null, function () { $_SESSION['x'] = 1; });
    if ($probed_at === null && $failures() > $before) $probed_at = microtime(true);
}
echo "failures after retry_interval: +", $failures() - $before, "\n";
?>
--EXPECT--
live node n2: {"n2":40}; not stored: 0; n1 up=false tried=true; n2 up=true
live node n1: {"n1":40}; not stored: 0; n2 up=false tried=true; n1 up=true
child: n2
child: n2
child: n2
child: n2
failures after the children: +0
failures after retry_interval: +1
