--TEST--
gc: session_gc() sweeps expired sessions from the local cache (memcached expires its copies by TTL) and never fails
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
session.gc_probability=0
clustered_session.route=web1
clustered_session.touch_interval=0
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$ports = [cs_port(1), cs_port(2)];
ini_set('session.save_path', cs_save_path());
$entries = fn () => clustered_session_stats()['cache']['entries'];

$start = $entries();
// Short sessions live 3 s: long enough for the first gc below to come before they
// expire on a slow machine (valgrind), and the wait is counted from their start.
$created = time();
ini_set('session.gc_maxlifetime', 3);
$short = [];
for ($i = 0; $i < 3; ++$i) $short[] = cs_session(null, function () { $_SESSION['short'] = 1; });
ini_set('session.gc_maxlifetime', 1440);
$long = cs_session(null, function () { $_SESSION['long'] = 1; });
echo "cached: ", $entries() - $start, "\n";

// Nothing has expired yet.
session_id('');
session_start();
var_dump(session_gc());
session_abort();

// Past their expiry here and on memcached (TTL gc_maxlifetime + touch_interval =
// 3 s; memcached counts whole seconds).
while (time() < $created + 5) usleep(50000);
session_id('');
session_start();
var_dump(session_gc());
session_abort();
echo "cached: ", $entries() - $start, "\n";
// memcached dropped its copies by itself (TTL gc_maxlifetime + touch_interval).
$left = 0;
foreach ($short as $id) $left += count(cs_where($id, $ports));
echo "short sessions left on memcached: $left\n";
// The long one is untouched and still served.
session_id($long);
session_start();
var_dump(session_id() === $long, $_SESSION);
session_abort();
?>
--EXPECT--
cached: 4
int(0)
int(3)
cached: 1
short sessions left on memcached: 0
bool(true)
array(1) {
  ["long"]=>
  int(1)
}
