--TEST--
locking: a waiter wakes as soon as the holder closes; after lock_timeout session_start() fails with a warning; a holder killed with SIGKILL releases the lock
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.lock_timeout=3
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
ini_set('session.save_path', cs_save_path());
$id = cs_session(null, function () { $_SESSION['n'] = 0; });

// A child holds the session for $hold seconds, or until this process creates
// $release, or until killed; it signals through a file once it has the lock and
// notes when it starts to let go. No check below races a fixed delay: each waits
// for an event, and lock_timeout (3 s) is far from every wait that must not
// reach it.
function holder(string $id, float $hold, ?string $release = null): array
{
    $flag = tempnam(sys_get_temp_dir(), 'cs_lock_');
    unlink($flag);
    $child = cs_fork(function () use ($id, $hold, $flag, $release) {
        session_id($id);
        session_start();
        touch($flag);
        $until = microtime(true) + $hold;
        while (microtime(true) < $until && !($release !== null && file_exists($release))) usleep(10000);
        $_SESSION['n']++;
        file_put_contents("$flag.released", (string)microtime(true));
        session_write_close();
        return 'released';
    });
    for ($i = 0; $i < 3000 && !file_exists($flag); ++$i) usleep(10000);
    if (!file_exists($flag)) cs_fail('holder did not start');
    unlink($flag);
    $child['released'] = "$flag.released";
    return $child;
}

// 1. Holder closes after 1.5 s: the waiter gets the lock right then (woken, not
// polling nor waiting out lock_timeout).
$child = holder($id, 1.5);
$waits = clustered_session_stats()['lock_waits'];
session_id($id);
var_dump(session_start());
$got = microtime(true);
$released = (float)file_get_contents($child['released']);
unlink($child['released']);
echo $got >= $released && $got - $released < 1.5 ? "waited until the holder closed\n" : "got it " . ($got - $released) . " s after the holder closed\n";
echo "lock_waits +", clustered_session_stats()['lock_waits'] - $waits, "\n";
echo "n = ", $_SESSION['n'], "\n";  // the holder's write is visible
session_write_close();
echo cs_fork_wait($child)['result'], "\n";

// 2. Holder keeps it until this process has given up after lock_timeout.
$release = tempnam(sys_get_temp_dir(), 'cs_release_');
unlink($release);
$child = holder($id, 60, $release);
$stats = clustered_session_stats();
$t = microtime(true);
session_id($id);
var_dump(session_start());
$waited = microtime(true) - $t;
touch($release);
echo $waited > 2.9 && $waited < 20 ? "gave up after lock_timeout\n" : "gave up after $waited s\n";
$after = clustered_session_stats();
echo "lock_timeouts +", $after['lock_timeouts'] - $stats['lock_timeouts'], "\n";
echo cs_fork_wait($child)['result'], "\n";
unlink($release);
@unlink($child['released']);

// 3. Holder killed while holding the lock: the next one recovers it (robust
// mutex) instead of waiting out lock_timeout.
$child = holder($id, 60);
exec('kill -9 ' . $child['pid']);
$r = cs_fork_wait($child);
echo $r['output'], "\n";
$stats = clustered_session_stats();
session_id($id);
var_dump(session_start());
echo "lock recovered, lock_timeouts +", clustered_session_stats()['lock_timeouts'] - $stats['lock_timeouts'], "\n";
echo "n = ", $_SESSION['n'], "\n";
session_write_close();
?>
--EXPECTF--
bool(true)
waited until the holder closed
lock_waits +1
n = 1
released

Warning: session_start(): clustered_session: timed out after 3 s (clustered_session.lock_timeout) waiting for the lock of session %s in %s on line %d

Warning: session_start(): Failed to read session data: clustered (path: %s) in %s on line %d
bool(false)
gave up after lock_timeout
lock_timeouts +1
released
child died (signal 9)
bool(true)
lock recovered, lock_timeouts +0
n = 2
