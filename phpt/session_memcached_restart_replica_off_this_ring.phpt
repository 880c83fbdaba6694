--TEST--
replicas = 1: a session written while session.save_path listed n1,n2 has its replica on n1; save_path then lists n1,n2,n3 again, where n2's replica is n3, and n2 restarts empty: an app node with an empty cache (a restarted one) finds no copy on n2 nor on n3 and reads the copy the earlier ring left on n1 instead of starting the session over; the session moves on from there, and the copy on n1 becomes a forward
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
ini_set('session.save_path', cs_save_path($ports[0], $ports[1]));

// A session whose store is n2, counter at 1; this ring (n1,n2) puts its replica on n1.
do {
    $id = cs_session(null, function () { $_SESSION = ['counter' => 1]; });
} while (cs_split_id($id)['store'] !== 'n2');
var_dump(cs_decode(cs_mc_get($ports[0], "sess.$id"))['payload']);

// n2 restarts empty (same port).
cs_memcached_stop($servers[1]['pid']);
$servers[1] = cs_memcached_start([], $ports[1]);

// web1 again, with an empty cache (another process: its own segment), listing
// all three nodes: n2's replica is n3 in this ring, and n3 has nothing.
putenv("CS_ID=$id");
$r = cs_php(<<<'PHP'
    session_id(getenv('CS_ID'));
    var_dump(session_start());
    echo 'id ', session_id() === getenv('CS_ID') ? 'unchanged' : 'changed', ', ';
    echo 'counter ', $_SESSION['counter'] ?? 'none', "\n";
    $_SESSION['counter'] = ($_SESSION['counter'] ?? 0) + 1;
    var_dump(session_write_close());
    PHP, ['session.save_path' => cs_save_path(...$ports), 'clustered_session.replicas' => '1']);
echo $r['out'], $r['err'];
$old = cs_decode(cs_mc_get($ports[0], "sess.$id"));
echo 'n1 under the old ID: ', $old === null ? 'nothing' : ($old['forward'] ? 'a forward' : 'a copy'), "\n";
?>
--EXPECTF--
string(12) "counter|i:1;"
bool(true)
id changed, counter 1
bool(true)
n1 under the old ID: a forward
