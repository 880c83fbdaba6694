--TEST--
replicas = 1: the session's store node restarted empty and its replica is frozen (SIGSTOP) when an app node with an empty cache (restarted) reads it: the store node's NOT_FOUND may be a copy it lost in the restart, so session_start() fails with a warning that says so instead of starting an empty session beside the replica's copy; the copy stays, and once the replica answers the session is read from it
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.replicas=1
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$servers = [cs_memcached_start(), cs_memcached_start()];
$ports = [$servers[0]['port'], $servers[1]['port']];
$save_path = cs_save_path(...$ports);
ini_set('session.save_path', $save_path);

// A session whose store is n2 (its replica on n1), counter at 1.
do {
    $id = cs_session(null, function () { $_SESSION = ['counter' => 1]; });
} while (cs_split_id($id)['store'] !== 'n2');
$replica = cs_mc_get($ports[0], "sess.$id");
var_dump(cs_decode($replica)['payload']);

// n2 restarts empty (same port); n1, the replica, freezes.
cs_memcached_stop($servers[1]['pid']);
$servers[1] = cs_memcached_start([], $ports[1]);
cs_memcached_freeze($servers[0]);

// web1 again, with an empty cache (another process: its own segment), as after
// a restart of the app node. Should its session_start() wrongly succeed with an
// empty session, it would write it back.
$ini = ['session.save_path' => $save_path, 'clustered_session.replicas' => '1'];
$read = <<<'PHP'
    session_id(getenv('CS_ID'));
    $started = session_start();
    var_dump($started);
    if ($started) echo 'id ', session_id() === getenv('CS_ID') ? 'unchanged' : 'changed', ', ';
    echo 'counter ', $_SESSION['counter'] ?? 'none', "\n";
    if ($started) { $_SESSION['counter'] = ($_SESSION['counter'] ?? 0) + 1; session_write_close(); }
    PHP;
putenv("CS_ID=$id");
$r = cs_php($read, $ini);
echo "--- n2 restarted, n1 frozen\n", $r['out'], $r['err'];
var_dump(cs_mc_get($ports[1], "sess.$id"));

cs_memcached_thaw($servers[0]);
var_dump(cs_mc_get($ports[0], "sess.$id") === $replica);
$r = cs_php($read, $ini);
echo "--- n1 answers again\n", $r['out'], $r['err'];
?>
--EXPECTF--
string(12) "counter|i:1;"
--- n2 restarted, n1 frozen

Warning: session_start(): clustered_session: cannot read session: memcached node n2 (127.0.0.1:%d) has no copy of sess.%s, but it started or restarted %d s ago, within session.gc_maxlifetime + clustered_session.touch_interval, so it may have lost a copy that a replica still holds, and no replica answered: memcached node n1 (127.0.0.1:%d): %s in %s on line %d
bool(false)
counter none
NULL
bool(true)
--- n1 answers again
bool(true)
id changed, counter 1
