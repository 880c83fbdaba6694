--TEST--
a store node that is down when sessions are created is skipped: every new session lands on the live node; the down state is shared by forked children and retried after retry_interval
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
$live = cs_memcached_start();
$dead = cs_dead_port();

// The app node runs on a clock that stands still until the test moves it
// (helper.inc, CsClock): what happens within retry_interval (4 s) happens at one
// instant, however slowly the machine runs it, and the interval passes when the
// clock is moved past it.
$clock = new CsClock();
$web1 = new CsNode(['clustered_session.retry_interval' => 4], $clock);
$web1->run('$failures = fn () => clustered_session_stats()["nodes"]["n1"]["failures"];');

foreach ([[$dead, $live['port']], [$live['port'], $dead]] as $order) {
    $web1->run(<<<'PHP'
        ini_set('session.save_path', cs_save_path(...$order));
        $live_id = $order[0] === $dead ? 'n2' : 'n1';
        $stores = [];
        $lost = 0;
        for ($i = 0; $i < 40; ++$i) {
            $id = cs_session(null, function () use ($i) { $_SESSION['i'] = $i; });
            $stores[cs_split_id($id)['store']] = ($stores[cs_split_id($id)['store']] ?? 0) + 1;
            if (cs_where($id, [$live_port]) !== [$live_port => "i|i:$i;"]) ++$lost;
        }
        $nodes = clustered_session_stats()['nodes'];
        $dead_id = $live_id === 'n1' ? 'n2' : 'n1';
        printf("live node %s: %s; not stored: %d; %s up=%s tried=%s; %s up=%s\n", $live_id, json_encode($stores), $lost,
               $dead_id, var_export($nodes[$dead_id]['up'], true), var_export($nodes[$dead_id]['failures'] >= 1, true),
               $live_id, var_export($nodes[$live_id]['up'], true));
        PHP, ['order' => $order, 'dead' => $dead, 'live_port' => $live['port']]);
}

// The down state lives in shared memory. A session under this save_path first
// (clustered_session_stats() shows the nodes of the last session's save_path),
// at the same instant: it skips the dead node, still in its retry window.
$web1->run(<<<'PHP'
    ini_set('session.save_path', cs_save_path($dead, $live_port));
    echo "on ", cs_split_id(cs_session(null, function () { $_SESSION['x'] = 1; }))['store'], "\n";
    PHP, ['dead' => $dead, 'live_port' => $live['port']]);
// Past retry_interval, new sessions until one tries the dead node and marks it
// down again:
$clock->advance(5);
$web1->run(<<<'PHP'
    $before = $failures();
    for ($i = 0; $i < 1000 && $failures() === $before; ++$i) cs_session(null, function () { $_SESSION['x'] = 1; });
    echo "dead node tried: ", var_export($failures() === $before + 1, true), "\n";
    $before = $failures();
    // Children forked within retry_interval (the clock stands still) skip it
    // without trying it.
    $children = [];
    for ($c = 0; $c < 4; ++$c) {
        $children[] = cs_fork(function () {
            $stores = [];
            for ($i = 0; $i < 10; ++$i) {
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
    PHP);

// After retry_interval exactly one request probes the node again (a new session
// starts at a random node, so it takes a few), and it is marked down for another
// interval: the 40 requests of this instant skip it after that one.
$clock->advance(5);
$web1->run(<<<'PHP'
    for ($i = 0; $i < 40; ++$i) cs_session(null, function () { $_SESSION['x'] = 1; });
    echo "failures after retry_interval: +", $failures() - $before, "\n";
    PHP);
$web1->stop();
?>
--EXPECT--
live node n2: {"n2":40}; not stored: 0; n1 up=false tried=true; n2 up=true
live node n1: {"n1":40}; not stored: 0; n2 up=false tried=true; n1 up=true
on n2
dead node tried: true
child: n2
child: n2
child: n2
child: n2
failures after the children: +0
failures after retry_interval: +1
