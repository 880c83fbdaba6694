--TEST--
read_and_close: the data is read, nothing is written or touched, and the session lock is not kept
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.touch_interval=0
clustered_session.lock_timeout=2
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$mc = cs_memcached_start();
ini_set('session.save_path', cs_save_path($mc['port']));
$names = ['cmd_get', 'cmd_set', 'cmd_touch', 'delete_hits'];
$id = cs_session(null, function () { $_SESSION = ['user' => 'alice']; });

foreach (['owned' => 1, 'not strict' => 0] as $label => $strict) {
    ini_set('session.use_strict_mode', $strict);
    $before = cs_mc_counts([$mc['port']], $names);
    session_id($id);
    var_dump(session_start(['read_and_close' => true]));
    var_dump(session_status() === PHP_SESSION_NONE, $_SESSION);
    $_SESSION['user'] = 'mallory';  // not a session any more: never written
    $after = cs_mc_counts([$mc['port']], $names);
    echo "$label: cmd_get ", $after['cmd_get'] - $before['cmd_get'], ", cmd_set ", $after['cmd_set'] - $before['cmd_set'],
         ", cmd_touch ", $after['cmd_touch'] - $before['cmd_touch'], "\n";
    // The lock is free at once: a forked child (same shared lock table) takes it.
    $child = cs_fork(function () use ($id) {
        $waits = clustered_session_stats()['lock_waits'];
        session_id($id);
        $ok = session_start();
        $user = $_SESSION['user'] ?? null;
        session_abort();
        // lock_waits counts every acquisition that found the lock taken.
        return sprintf("child: start %s, lock_waits +%d, user %s", var_export($ok, true),
                       clustered_session_stats()['lock_waits'] - $waits, $user);
    });
    $r = cs_fork_wait($child);
    echo $r['result'], $r['output'], "\n";
}
ini_set('session.use_strict_mode', 1);
echo "stored: ", cs_where($id, [$mc['port']])[$mc['port']], "\n";
?>
--EXPECT--
bool(true)
bool(true)
array(1) {
  ["user"]=>
  string(5) "alice"
}
owned: cmd_get 0, cmd_set 0, cmd_touch 0
child: start true, lock_waits +0, user alice
bool(true)
bool(true)
array(1) {
  ["user"]=>
  string(5) "alice"
}
not strict: cmd_get 1, cmd_set 0, cmd_touch 0
child: start true, lock_waits +0, user alice
stored: user|s:5:"alice";
