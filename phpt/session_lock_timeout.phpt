--TEST--
locking: a waiter wakes as soon as the holder closes; after lock_timeout session_start() fails with a warning; a holder killed with SIGKILL releases the lock
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.lock_timeout=1
--FILE--
<?php
require __DIR__ . '/include/helper.inc';
ini_set('session.save_path', cs_save_path());
$id = cs_session(null, function () { $_SESSION['n'] = 0; });

// A child holds the session for $hold seconds (or until killed); it signals
// through a file once it has the lock.
function holder(string $id, float $hold): array
{
    $flag = tempnam(sys_get_temp_dir(), 'cs_lock_');
    unlink($flag);
    $child = cs_fork(function () use ($id, $hold, $flag) {
        session_id($id);
        session_start();
        touch($flag);
        usleep((int)($hold * 1e6));
        $_SESSION['n']++;
        session_write_close();
        return 'released';
    });
    for ($i = 0; $i < 500 && !file_exists($flag); ++$i) usleep(10000);
    if (!file_exists($flag)) cs_fail('holder did not start');
    unlink($flag);
    return $child;
}

// 1. Holder closes after 0.3 s: the waiter gets the lock right then, not later.
$child = holder($id, 0.3);
$t = microtime(true);
session_id($id);
var_dump(session_start());
$waited = microtime(true) - $t;
echo $waited > 0.2 && $waited < 0.6 ? "waited until the holder closed\n" : "waited $waited s\n";
echo "n = ", $_SESSION['n'], "\n";  // the holder's write is visible
session_write_close();
echo cs_fork_wait($child)['result'], "\n";

// 2. Holder keeps it longer than lock_timeout (1 s).
$child = holder($id, 2.5);
$stats = clustered_session_stats();
$t = microtime(true);
session_id($id);
var_dump(session_start());
$waited = microtime(true) - $t;
echo $waited > 0.9 && $waited < 1.8 ? "gave up after lock_timeout\n" : "gave up after $waited s\n";
$after = clustered_session_stats();
echo "lock_timeouts +", $after['lock_timeouts'] - $stats['lock_timeouts'], "\n";
echo cs_fork_wait($child)['result'], "\n";

// 3. Holder killed while holding the lock: the next one gets it at once.
$child = holder($id, 30);
exec('kill -9 ' . $child['pid']);
$r = cs_fork_wait($child);
echo $r['output'], "\n";
$t = microtime(true);
session_id($id);
var_dump(session_start());
echo microtime(true) - $t < 0.5 ? "lock recovered at once\n" : "waited\n";
echo "n = ", $_SESSION['n'], "\n";
session_write_close();
?>
--EXPECTF--
bool(true)
waited until the holder closed
n = 1
released

Warning: session_start(): clustered_session: timed out after 1 s (clustered_session.lock_timeout) waiting for the lock of session %s in %s on line %d

Warning: session_start(): Failed to read session data: clustered (path: %s) in %s on line %d
bool(false)
gave up after lock_timeout
lock_timeouts +1
released
child died (signal 9)
bool(true)
lock recovered at once
n = 2
