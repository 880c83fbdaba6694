--TEST--
locking: a waiter sleeps on the lock (in the kernel, not polling) until the holder closes, then gets it with the holder's write, without waiting out lock_timeout; after lock_timeout session_start() fails with a warning; a holder killed with SIGKILL releases the lock
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

// A forked child holds the session's lock until the test tells it (a line on a
// socket) or kills it; it says when it has the lock, and on release counts n on.
// Nothing below races a fixed delay: each step waits for an event. Defined here
// and in the node of step 1.
const HOLDER = <<<'PHP'
    function holder(string $id): array
    {
        [$ours, $theirs] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
        $child = cs_fork(function () use ($id, $theirs) {
            session_id($id);
            session_start();
            fwrite($theirs, "holding\n");
            fgets($theirs);  // until told (or the test ends)
            $_SESSION['n']++;
            session_write_close();
            return 'released';
        });
        if (cs_read_line($ours) !== 'holding') cs_fail('holder did not take the lock');
        return $child + ['socket' => $ours];
    }
    PHP;
eval(HOLDER);

// 1. A waiter (lock_timeout 3600 s: no run of this test reaches it) blocks on
// the lock in the kernel while the holder has it, and gets it once the holder
// closes: woken, not polling nor waiting out lock_timeout. In a node of its own
// (helper.inc, CsNode): lock_timeout is a php.ini setting.
$node = new CsNode(['session.save_path' => cs_save_path(), 'clustered_session.lock_timeout' => 3600]);
$node->run(HOLDER);
$node->run(<<<'PHP'
    $id = cs_session(null, function () { $_SESSION['n'] = 0; });
    $holder = holder($id);
    $waiter = cs_fork(function () use ($id) {
        $waits = clustered_session_stats()['lock_waits'];
        session_id($id);
        $started = session_start();
        $n = $_SESSION['n'] ?? null;
        session_write_close();
        return sprintf("waiter: start %s, lock_waits +%d, n = %s", var_export($started, true),
                       clustered_session_stats()['lock_waits'] - $waits, $n);
    });
    cs_wait_for('the waiter to block on the lock', fn () => cs_blocked_on_lock($waiter['pid']));
    echo "the waiter sleeps on the lock while the holder has it\n";
    fwrite($holder['socket'], "release\n");
    $r = cs_fork_wait($waiter);
    echo $r['result'], $r['output'], "\n";  // the holder's write is visible
    echo "holder: ", cs_fork_wait($holder)['result'], "\n";
    PHP);
$node->stop();

// 2. The holder keeps it until this process has given up after lock_timeout (3 s).
$id = cs_session(null, function () { $_SESSION['n'] = 0; });
$holder = holder($id);
$stats = clustered_session_stats();
$t = hrtime(true);
session_id($id);
var_dump(session_start());
$waited = (hrtime(true) - $t) / 1e9;
fwrite($holder['socket'], "release\n");
// Not before lock_timeout (real time: a lower bound on the wait, none on speed);
// had it never given up, the holder would never have been told to release.
echo $waited >= 2.9 ? "gave up after lock_timeout\n" : "gave up after $waited s\n";
$after = clustered_session_stats();
echo "lock_timeouts +", $after['lock_timeouts'] - $stats['lock_timeouts'], "\n";
echo cs_fork_wait($holder)['result'], "\n";

// 3. Holder killed while holding the lock: the next one recovers it (robust
// mutex) instead of waiting out lock_timeout.
$holder = holder($id);
exec('kill -9 ' . $holder['pid']);
$r = cs_fork_wait($holder);
echo $r['output'], "\n";
$stats = clustered_session_stats();
session_id($id);
var_dump(session_start());
echo "lock recovered, lock_timeouts +", clustered_session_stats()['lock_timeouts'] - $stats['lock_timeouts'], "\n";
echo "n = ", $_SESSION['n'], "\n";
session_write_close();
?>
--EXPECTF--
the waiter sleeps on the lock while the holder has it
waiter: start true, lock_waits +1, n = 1
holder: released

Warning: session_start(): clustered_session: timed out after 3 s (clustered_session.lock_timeout) waiting for the lock of session %s in %s on line %d
bool(false)
gave up after lock_timeout
lock_timeouts +1
released
child died (signal 9)
bool(true)
lock recovered, lock_timeouts +0
n = 1
