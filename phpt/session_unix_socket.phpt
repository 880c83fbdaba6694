--TEST--
save_path nodes on unix sockets (ID=unix:/path) store and read sessions like TCP nodes
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
$unix = cs_memcached_start_unix();
$tcp = cs_port(1);
$save_path = "sock=unix:$unix[socket],tcp=127.0.0.1:$tcp";
ini_set('session.save_path', $save_path);

$stores = [];
for ($i = 0; $i < 40 && count($stores) < 2; ++$i) {
    $id = cs_session(null, function () use ($i) { $_SESSION['i'] = $i; });
    $store = cs_split_id($id)['store'];
    $stores[$store] = $id;
}
ksort($stores);
echo "stores: ", implode(' ', array_keys($stores)), "\n";
$id = $stores['sock'];
$raw = cs_decode(cs_mc_get("unix:$unix[socket]", "sess.$id"));
echo "on the socket node: ", $raw ? $raw['payload'] : 'nothing', ", on tcp: ", json_encode(cs_mc_get($tcp, "sess.$id")), "\n";

putenv("CS_ID=$id");
$r = cs_php('session_id(getenv("CS_ID")); session_start(); echo session_id() === getenv("CS_ID") ? "same ID " : "new ID ", json_encode($_SESSION);',
            ['session.save_path' => $save_path]);
echo "other process: ", $r['out'], $r['err'], "\n";
$nodes = clustered_session_stats()['nodes'];
echo "sock: ", $nodes['sock']['address'] === "unix:$unix[socket]" ? 'unix:<path>' : $nodes['sock']['address'], " up=", var_export($nodes['sock']['up'], true), "\n";
?>
--EXPECTF--
stores: sock tcp
on the socket node: i|i:%d;, on tcp: null
other process: same ID {"i":%d}
sock: unix:<path> up=true
