--TEST--
lazy_write: an unchanged session is touched (memcached cmd_touch), never set; within clustered_session.touch_interval the touch is skipped (touches_skipped)
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
session.lazy_write=1
clustered_session.route=web1
clustered_session.touch_interval=0
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$mc = cs_memcached_start();
$other = cs_memcached_start();
$ports = [$mc['port'], $other['port']];
ini_set('session.save_path', cs_save_path(...$ports));

function measure(string $label, callable $run): void
{
    global $ports;
    $names = ['cmd_get', 'cmd_set', 'cmd_touch', 'touch_hits'];
    $before = cs_mc_counts($ports, $names);
    $stats_before = clustered_session_stats();
    $run();
    $after = cs_mc_counts($ports, $names);
    $stats = clustered_session_stats();
    $delta = [];
    foreach ($names as $name) $delta[] = "$name " . ($after[$name] - $before[$name]);
    foreach (['touches', 'touches_skipped', 'writes_skipped'] as $name) $delta[] = "$name " . ($stats[$name] - $stats_before[$name]);
    echo str_pad($label, 34), implode(', ', $delta), "\n";
}

$id = null;
measure('new session:', function () use (&$id) { $id = cs_session(null, function () { $_SESSION['a'] = 1; }); });
measure('unchanged (touch_interval=0):', function () use ($id) { cs_session($id); });
measure('unchanged, assigned same value:', function () use ($id) { cs_session($id, function () { $_SESSION['a'] = 1; }); });
measure('changed:', function () use ($id) { cs_session($id, function () { $_SESSION['a'] = 2; }); });
ini_set('session.lazy_write', 0);
// Without lazy_write PHP calls write() with the same bytes: still no set.
measure('unchanged, lazy_write=0:', function () use ($id) { cs_session($id); });
ini_set('session.lazy_write', 1);
// Not trusted (no strict mode): fetched, then touched.
ini_set('session.use_strict_mode', 0);
measure('unchanged, not strict:', function () use ($id) { cs_session($id); });
ini_set('session.use_strict_mode', 1);
echo "payload: ", json_encode(cs_where($id, $ports)[cs_store_port($id, $ports)]), "\n";

// touch_interval 60 (default) and 3, in other processes, on a clock that stands
// still until they move it (helper.inc, CsClock): the three requests come at the
// instant of the write, however slowly the machine runs them, and the clock is
// then moved to the end of the interval.
$code = <<<'PHP'
    $ports = explode(',', getenv('CS_PORTS'));
    $counts = fn () => cs_mc_counts($ports, ['cmd_set', 'cmd_touch', 'touch_hits']);
    $id = cs_session(null, function () { $_SESSION['b'] = 1; });
    $c0 = $counts();
    for ($i = 0; $i < 3; ++$i) cs_session($id);
    $c1 = $counts();
    $s = clustered_session_stats();
    printf("3 unchanged at once: cmd_set %d, cmd_touch %d, touches %d, touches_skipped %d\n",
           $c1['cmd_set'] - $c0['cmd_set'], $c1['cmd_touch'] - $c0['cmd_touch'], $s['touches'], $s['touches_skipped']);
    if (getenv('CS_WAIT')) {
        CsClock::attached()->advance(3);
        cs_session($id);
        $c2 = $counts();
        $s = clustered_session_stats();
        printf("after touch_interval: cmd_set %d, cmd_touch %d, touch_hits %d, touches %d\n",
               $c2['cmd_set'] - $c1['cmd_set'], $c2['cmd_touch'] - $c1['cmd_touch'],
               $c2['touch_hits'] - $c1['touch_hits'], $s['touches']);
    }
    PHP;
putenv('CS_PORTS=' . implode(',', $ports));
foreach (['60' => false, '3' => true] as $interval => $wait) {
    putenv('CS_WAIT=' . ($wait ? '1' : ''));
    $r = cs_php($code, ['session.save_path' => cs_save_path(...$ports), 'clustered_session.touch_interval' => $interval],
                new CsClock());
    echo "--- touch_interval=$interval\n", $r['out'], $r['err'];
}
?>
--EXPECT--
new session:                      cmd_get 0, cmd_set 1, cmd_touch 0, touch_hits 0, touches 0, touches_skipped 0, writes_skipped 0
unchanged (touch_interval=0):     cmd_get 0, cmd_set 0, cmd_touch 1, touch_hits 1, touches 1, touches_skipped 0, writes_skipped 0
unchanged, assigned same value:   cmd_get 0, cmd_set 0, cmd_touch 1, touch_hits 1, touches 1, touches_skipped 0, writes_skipped 0
changed:                          cmd_get 0, cmd_set 1, cmd_touch 0, touch_hits 0, touches 0, touches_skipped 0, writes_skipped 0
unchanged, lazy_write=0:          cmd_get 0, cmd_set 0, cmd_touch 1, touch_hits 1, touches 1, touches_skipped 0, writes_skipped 1
unchanged, not strict:            cmd_get 1, cmd_set 0, cmd_touch 1, touch_hits 1, touches 1, touches_skipped 0, writes_skipped 0
payload: "a|i:2;"
--- touch_interval=60
3 unchanged at once: cmd_set 0, cmd_touch 0, touches 0, touches_skipped 3
--- touch_interval=3
3 unchanged at once: cmd_set 0, cmd_touch 0, touches 0, touches_skipped 3
after touch_interval: cmd_set 0, cmd_touch 1, touch_hits 1, touches 1
