--TEST--
memcached restarted empty while the owner serves no request at all: the owner's idle check (a thread of each PHP process, every takeover_check_interval) notices the new process and stores the sessions it holds again within an interval, so another node finds them even if the owner dies next
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
$mc = cs_memcached_start();
$port = $mc['port'];
$save_path = cs_save_path($port);
// web1 on a clock the test moves (helper.inc, CsClock): a check is due once the
// clock is one interval (1 s) on; the idle thread looks every second of real time.
$clock = new CsClock();
$web1 = new CsNode(['session.save_path' => $save_path, 'clustered_session.takeover_check_interval' => 1,
                    'clustered_session.touch_interval' => 600], $clock);
$ids = [];
foreach (['alice', 'bob', 'carol'] as $user) {
    $ids[$user] = $web1->run('return cs_session(null, function () use ($user) { $_SESSION = ["user" => $user]; });',
                             ['user' => $user]);
}
$clock->advance(1);  // the first check looks at the node (its pid, its start)
// A look every 100 ms, for up to CS_PATIENCE (slow under valgrind): a new
// connection each time, so not at cs_wait_for's pace, which would use up the
// ports the owner's thread connects from.
function patiently(callable $done): void
{
    $deadline = microtime(true) + CS_PATIENCE;
    while (!$done() && microtime(true) < $deadline) usleep(100000);
}
patiently(fn () => $web1->run('return clustered_session_stats()["takeover_checks"];') >= 1);

cs_memcached_stop($mc['pid']);
$mc = cs_memcached_start([], $port);
$gone = count(array_filter($ids, fn ($id) => cs_mc_get($port, "sess.$id") === null));
echo "after the restart: $gone of 3 gone\n";

// No request on web1 from here on: only the clock moves.
$clock->advance(1);
patiently(fn () => count(array_filter($ids, fn ($id) => cs_mc_get($port, "sess.$id") !== null)) === 3);
echo "stored again without a request: ";
foreach ($ids as $user => $id) echo $user, '=', cs_decode(cs_mc_get($port, "sess.$id"))['payload'], ' ';
echo "\n";
$web1->run('$s = clustered_session_stats(); echo "store_restarts: $s[store_restarts]\n";');

// web1 dies; web2 finds the sessions on the restarted memcached.
$web1->stop();
putenv("CS_ID={$ids['bob']}");
$r = cs_php('session_id(getenv("CS_ID")); session_start(); echo "user=", $_SESSION["user"] ?? "none", "\n"; session_abort();',
            ['session.save_path' => $save_path, 'clustered_session.route' => 'web2']);
echo "on web2: ", $r['out'], $r['err'];
?>
--EXPECTF--
after the restart: 3 of 3 gone
stored again without a request: alice=user|s:5:"alice"; bob=user|s:3:"bob"; carol=user|s:5:"carol"; 
store_restarts: 1
clustered_session: memcached node n1 (127.0.0.1:%d) restarted (pid %d, now %d): it lost what it held; this app node stores what it keeps of those sessions there again
on web2: user=bob
