--TEST--
replicas = 1: the session's store node is dropped from session.save_path, and the listed node that holds its replica is frozen (SIGSTOP) when an app node with an empty cache reads it: no other listed node has a copy, but the frozen one may, so session_start() fails with a warning that names both nodes instead of starting an empty session; once the replica answers, the session is read from it and moves to a listed node
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
$servers = [cs_memcached_start(), cs_memcached_start(), cs_memcached_start()];
$ports = array_column($servers, 'port');
ini_set('session.save_path', cs_save_path(...$ports));

// A session whose store is n3, counter at 1; its replica is on one of n1, n2.
do {
    $id = cs_session(null, function () { $_SESSION = ['counter' => 1]; });
} while (cs_split_id($id)['store'] !== 'n3');
$replica_at = cs_mc_get($ports[0], "sess.$id") !== null ? 0 : 1;
$replica = cs_mc_get($ports[$replica_at], "sess.$id");
var_dump(cs_decode($replica)['payload']);
var_dump(cs_mc_get($ports[1 - $replica_at], "sess.$id"));

// n3 leaves save_path (without a drain) and the replica's node freezes.
cs_memcached_freeze($servers[$replica_at]);
$ini = ['session.save_path' => cs_save_path($ports[0], $ports[1]),
        'clustered_session.replicas' => '1'];

// web1 again, with an empty cache (another process: its own segment), as after
// a restart of the app node. Should its session_start() wrongly succeed, the
// session would start over empty.
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
echo "--- n3 dropped, the replica's node frozen\n", $r['out'], $r['err'];

cs_memcached_thaw($servers[$replica_at]);
var_dump(cs_mc_get($ports[$replica_at], "sess.$id") === $replica);
$r = cs_php($read, $ini);
echo "--- the replica's node answers again\n", $r['out'], $r['err'];
?>
--EXPECTF--
string(12) "counter|i:1;"
NULL
--- n3 dropped, the replica's node frozen

Warning: session_start(): clustered_session: cannot read session: session %s names memcached node 'n3', which is not in session.save_path (n1, n2); no node that answered has a copy, and memcached node n%d (127.0.0.1:%d): %s, which may hold one: no new session replaces it in %s on line %d
bool(false)
counter none
bool(true)
--- the replica's node answers again
bool(true)
id changed, counter 1
