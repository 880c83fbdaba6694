--TEST--
lazy_write with an empty session (PHP 8.6 calls update_timestamp('') where earlier versions call write('')): a new session that stays empty is stored once, an unchanged empty one is only touched, an emptied one is stored empty, and another node takes an empty session over like any other; the same memcached commands on every PHP version
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
$save_path = cs_save_path(...$ports);
ini_set('session.save_path', $save_path);

// writes_skipped is left out: PHP < 8.6 calls write('') for an unchanged empty
// session, which the handler turns into a touch (and counts in writes_skipped);
// PHP 8.6 calls update_timestamp('') itself. What reaches memcached is the same.
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
    foreach (['touches', 'errors'] as $name) $delta[] = "$name " . ($stats[$name] - $stats_before[$name]);
    echo str_pad($label, 30), implode(', ', $delta), "\n";
}
function stored(string $id): string
{
    global $ports;
    $copy = cs_where($id, $ports)[cs_store_port($id, $ports)] ?? null;
    return $copy === null ? 'nothing' : json_encode($copy);
}

$id = null;
measure('new, left empty:', function () use (&$id) { $id = cs_session(null); });
echo "stored: ", stored($id), "\n";
measure('empty, unchanged:', function () use ($id) { cs_session($id); });
measure('empty, read_and_close:', function () use ($id) {
    session_id($id);
    session_start(['read_and_close' => true]);
});
echo "same ID kept: ", session_id() === $id ? 'yes' : 'no', "\n";

$full = cs_session(null, function () { $_SESSION['user'] = 'alice'; });
measure('emptied ($_SESSION = []):', function () use ($full) { cs_session($full, function () { $_SESSION = []; }); });
echo "stored: ", stored($full), "\n";
measure('emptied, unchanged:', function () use ($full) { cs_session($full); });

// web2 takes the empty session over: a new ID of its own, stored there in full
// (empty), and the old key forwards to it.
putenv("CS_ID=$id");
$r = cs_php('session_id(getenv("CS_ID")); session_start(); echo session_id(), "\n"; session_write_close();',
            ['session.save_path' => $save_path, 'clustered_session.route' => 'web2']);
$moved = trim($r['out']);
echo "web2: ", cs_split_id($moved)['route'] ?? $r['out'], ", data ", stored($moved), $r['err'], "\n";
echo "old key: ", cs_old_key_state($id, $moved, $ports), "\n";
?>
--EXPECT--
new, left empty:              cmd_get 0, cmd_set 1, cmd_touch 0, touch_hits 0, touches 0, errors 0
stored: ""
empty, unchanged:             cmd_get 0, cmd_set 0, cmd_touch 1, touch_hits 1, touches 1, errors 0
empty, read_and_close:        cmd_get 0, cmd_set 0, cmd_touch 0, touch_hits 0, touches 0, errors 0
same ID kept: yes
emptied ($_SESSION = []):     cmd_get 0, cmd_set 1, cmd_touch 0, touch_hits 0, touches 0, errors 0
stored: ""
emptied, unchanged:           cmd_get 0, cmd_set 0, cmd_touch 1, touch_hits 1, touches 1, errors 0
web2: web2, data ""
old key: forward
