--TEST--
owned hits cost no memcached round trip: 1000 unchanged cycles = 0 cmd_get and at most 1 cmd_touch; 1000 changed cycles = exactly 1000 cmd_set
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
session.lazy_write=1
clustered_session.route=web1
clustered_session.touch_interval=86400
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$a = cs_memcached_start();
$b = cs_memcached_start();
$ports = [$a['port'], $b['port']];
ini_set('session.save_path', cs_save_path(...$ports));
$names = ['cmd_get', 'cmd_set', 'cmd_touch', 'delete_hits', 'delete_misses'];
$show = function (string $label, array $before) use ($ports, $names) {
    $after = cs_mc_counts($ports, $names);
    $parts = [];
    foreach ($names as $name) $parts[] = "$name " . ($after[$name] - $before[$name]);
    echo "$label: ", implode(', ', $parts), "\n";
};

// touch_interval is 86400 s (the largest): no touch falls due during the 1000
// unchanged cycles however slowly they run (with the default 60 s, a slow run
// under valgrind could reach it and send one).
$id = cs_session(null, function () { $_SESSION = ['user' => 'alice', 'n' => 0]; });

$before = cs_mc_counts($ports, $names);
$hits = clustered_session_stats()['local_hits'];
for ($i = 0; $i < 1000; ++$i) {
    session_id($id);
    session_start();
    if ($_SESSION['user'] !== 'alice') { echo "wrong data\n"; break; }
    session_write_close();
}
$show('1000 unchanged', $before);
echo "local hits: ", clustered_session_stats()['local_hits'] - $hits, ", same ID: ", var_export(session_id() === $id, true), "\n";

$before = cs_mc_counts($ports, $names);
for ($i = 1; $i <= 1000; ++$i) {
    session_id($id);
    session_start();
    if ($_SESSION['n'] !== $i - 1) { echo "lost update at $i\n"; break; }
    $_SESSION['n'] = $i;
    session_write_close();
}
$show('1000 changed', $before);
echo "stored: ", cs_where($id, $ports)[cs_store_port($id, $ports)], "\n";

// A session this node owns but has no local copy of (written by another
// process of the same route, e.g. before this node restarted): the first
// request fetches it, every later one is served locally again (one touch: when
// the fetched copy's TTL was last refreshed is unknown).
$code = <<<'PHP'
    $id = cs_session(null, function () { $_SESSION = ['from' => 'before restart']; });
    echo $id;
    PHP;
$other = trim(cs_php($code, ['session.save_path' => cs_save_path(...$ports)])['out']);
$before = cs_mc_counts($ports, $names);
for ($i = 0; $i < 100; ++$i) {
    session_id($other);
    session_start();
    if (session_id() !== $other || $_SESSION !== ['from' => 'before restart']) { echo "wrong session\n"; break; }
    session_write_close();
}
$show('100 unchanged, not cached at first', $before);
?>
--EXPECT--
1000 unchanged: cmd_get 0, cmd_set 0, cmd_touch 0, delete_hits 0, delete_misses 0
local hits: 1000, same ID: true
1000 changed: cmd_get 0, cmd_set 1000, cmd_touch 0, delete_hits 0, delete_misses 0
stored: user|s:5:"alice";n|i:1000;
100 unchanged, not cached at first: cmd_get 1, cmd_set 0, cmd_touch 1, delete_hits 0, delete_misses 0
