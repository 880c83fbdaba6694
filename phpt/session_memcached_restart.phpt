--TEST--
a memcached node restarted since the last request (stale kept-alive connection) is used normally, not failed and marked down
--DESCRIPTION--
Connections are kept across requests. After a memcached restart the first
operation on the old connection fails (reset by peer); src/store reports that
as a node failure: the node is marked down for retry_interval for every process
of the app node, a read fails (session_start() returns false) and a write is
kept unsynced with a warning, although the node is up. The operation should be
retried once on a fresh connection when a kept-alive connection turns out dead.
Remove --XFAIL-- once src/store does that.
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.touch_interval=0
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$mc = cs_memcached_start();
$port = $mc['port'];
ini_set('session.save_path', cs_save_path($port));
$id = cs_session(null, function () { $_SESSION = ['v' => 1]; });

cs_memcached_stop($mc['pid']);
$mc = cs_memcached_start([], $port);

// The owner: unchanged request, the remote copy is gone: re-seeded.
session_id($id);
session_start();
session_write_close();
echo "re-seeded: ", cs_where($id, [$port])[$port] ?? 'nothing', "\n";

// A reader without a local copy (not strict: every read is remote).
$other = bin2hex(random_bytes(16)) . '-n1.web1';
cs_memcached_stop($mc['pid']);
$mc = cs_memcached_start([], $port);
cs_mc_set($port, "sess.$other", cs_encode('w|i:7;'));
ini_set('session.use_strict_mode', 0);
session_id($other);
var_dump(session_start(), $_SESSION);
session_abort();
?>
--EXPECT--
re-seeded: v|i:1;
bool(true)
array(1) {
  ["w"]=>
  int(7)
}
