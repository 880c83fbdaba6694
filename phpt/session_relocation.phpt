--TEST--
store node dies under an owned session: the owner keeps it locally (no warning: the request lost nothing; the node's log says the node is down, once), then writes it to a live node under a new ID (relocations counter)
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.retry_interval=3600
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$servers = [cs_memcached_start(), cs_memcached_start()];
$ports = [$servers[0]['port'], $servers[1]['port']];
ini_set('session.save_path', cs_save_path(...$ports));
// retry_interval is 3600 s, longer than run-tests.php lets any test run
// (scripts/run-phpt.sh, run-phpt-valgrind.sh): a node that failed stays marked
// down until the test ends, however slowly the machine runs it.

$id = cs_session(null, function () { $_SESSION = ['cart' => 1]; });
$victim = cs_split_id($id)['store'] === 'n1' ? 0 : 1;
$survivor = 1 - $victim;
cs_memcached_stop($servers[$victim]['pid']);

// Unchanged: served from the local copy, nothing to send (touch skipped).
session_id($id);
var_dump(session_start(), $_SESSION);
session_write_close();

// Changed: the write-through fails; the change is kept locally, without a
// warning (the request lost nothing): the operator's log says the node is down.
session_id($id);
session_start();
$_SESSION['cart'] = 2;
session_write_close();
echo "errors: ", clustered_session_stats()['errors'], "\n";
foreach (cs_log() as $line) echo "log: $line\n";

// Next request: the store is known down, so the session moves to the live node.
session_id($id);
var_dump(session_start());
$new = session_id();
var_dump($_SESSION);
session_write_close();
$parts = cs_split_id($new);
echo "new ID: ", $new !== $id ? 'yes' : 'no', ", route ", $parts['route'], ", store is the live node: ",
     var_export(cs_store_port($new, $ports) === $ports[$survivor], true), "\n";
echo "stored: ", json_encode(cs_where($new, [$ports[$survivor]])), "\n";
$s = clustered_session_stats();
echo "relocations ", $s['relocations'], ", migrations ", $s['migrations'], "\n";

// Any other node finds it now.
putenv("CS_ID=$new");
$r = cs_php('session_id(getenv("CS_ID")); session_start(); echo json_encode($_SESSION), "\n";',
            ['session.save_path' => cs_save_path(...$ports), 'clustered_session.route' => 'web2']);
echo "web2 reads: ", $r['out'], $r['err'];
// The forward the dead node missed is said by its "down" line already; web2, an
// app node of its own, found n1 down too and said so in its own line.
foreach (cs_log() as $line) echo "log: $line\n";
?>
--EXPECTF--
bool(true)
array(1) {
  ["cart"]=>
  int(1)
}
errors: 0
log: memcached node n%d (127.0.0.1:%d) down: connection refused; sessions stored there move to the other nodes, and it is tried again every 3600 s (clustered_session.retry_interval)
bool(true)
array(1) {
  ["cart"]=>
  int(2)
}
new ID: yes, route web1, store is the live node: true
stored: {"%d":"cart|i:2;"}
relocations 1, migrations 0
web2 reads: {"cart":2}
log: memcached node n%d (127.0.0.1:%d) down: connection refused; sessions stored there move to the other nodes, and it is tried again every 2 s (clustered_session.retry_interval)
