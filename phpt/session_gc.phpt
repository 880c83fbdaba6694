--TEST--
gc: session_gc() sweeps expired sessions from the local cache (memcached expires its copies by TTL) and never fails
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
session.gc_probability=0
clustered_session.route=web1
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
// The app node and both memcached servers run on one clock that stands still
// until the test moves it (helper.inc, CsClock): the sessions expire when the
// clock passes their lifetime, not after a wait that a slow machine (valgrind)
// could overrun before the first gc.
$clock = new CsClock();
$servers = [cs_memcached_start([], null, $clock), cs_memcached_start([], null, $clock)];
$ports = array_column($servers, 'port');
$web1 = new CsNode(['session.save_path' => cs_save_path(...$ports), 'clustered_session.touch_interval' => 0], $clock);
$web1->run('$entries = fn () => clustered_session_stats()["cache"]["entries"]; $start = $entries();');

// Short sessions live 3 s (TTL gc_maxlifetime + touch_interval = 3 s, here and
// on memcached), the long one 1440 s.
$short = $web1->run(<<<'PHP'
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
    return $short;
    PHP);

// Past their expiry here and on memcached.
$clock->advance(5);
$clock->wait_for_memcached(...$servers);
$web1->run(<<<'PHP'
    session_id('');
    session_start();
    var_dump(session_gc());
    session_abort();
    echo "cached: ", $entries() - $start, "\n";
    PHP);
// memcached dropped its copies by itself (TTL gc_maxlifetime + touch_interval).
$left = 0;
foreach ($short as $id) $left += count(cs_where($id, $ports));
echo "short sessions left on memcached: $left\n";
// The long one is untouched and still served.
$web1->run(<<<'PHP'
    session_id($long);
    session_start();
    var_dump(session_id() === $long, $_SESSION);
    session_abort();
    PHP);
$web1->stop();
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
