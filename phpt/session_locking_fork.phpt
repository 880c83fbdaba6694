--TEST--
locking across processes: 40 forked children (sharing the segment mapped in MINIT) each increment one session; no update is lost; every wait is in the lock_wait histogram and every hand-over in lock_wake
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.lock_timeout=3600
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$ports = [cs_port(1), cs_port(2)];
ini_set('session.save_path', cs_save_path());
const CHILDREN = 40;

foreach (['owned (local cache)' => 1, 'not strict (every read remote)' => 0] as $label => $strict) {
    ini_set('session.use_strict_mode', $strict);
    $id = cs_session(null, function () { $_SESSION['counter'] = 0; });
    $before = clustered_session_stats();
    $waits = $before['lock_waits'];
    // A holder keeps the lock until all the children wait for it, so that they
    // queue up however slowly they start; it changes nothing. lock_timeout is
    // 3600 s: the last in the queue never gives up, however slowly the 39
    // before it run.
    [$ours, $theirs] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
    $holder = cs_fork(function () use ($id, $theirs) {
        session_id($id);
        session_start();
        fwrite($theirs, "holding\n");
        fgets($theirs);
        session_abort();
        return 'released';
    });
    if (cs_read_line($ours) !== 'holding') cs_fail('holder did not take the lock');
    $children = [];
    for ($c = 0; $c < CHILDREN; ++$c) {
        $children[] = cs_fork(function () use ($id) {
            session_id($id);
            if (!session_start()) return 'start failed';
            $seen = $_SESSION['counter'];
            usleep(2000);  // widen the window a missing lock would leave open
            $_SESSION['counter'] = $seen + 1;
            $same = session_id() === $id;
            session_write_close();
            return $same ? 'ok' : 'ID changed';
        });
    }
    cs_wait_for('every child to wait for the lock', function () use ($children) {
        foreach ($children as $child) if (!cs_blocked_on_lock($child['pid'])) return false;
        return true;
    });
    fwrite($ours, "release\n");
    if (cs_fork_wait($holder)['result'] !== 'released') cs_fail('holder failed');
    $results = [];
    foreach ($children as $child) {
        $r = cs_fork_wait($child);
        $results[] = $r['result'] . $r['output'];
    }
    $counts = array_count_values($results);
    ksort($counts);
    echo "$label: ", json_encode($counts), "\n";
    echo "  stored: ", cs_where($id, $ports)[cs_store_port($id, $ports)], "\n";
    session_id($id);
    session_start();
    echo "  read here: ", $_SESSION['counter'], "\n";
    session_abort();
    $after = clustered_session_stats();
    echo "  children waited for the lock: ", $after['lock_waits'] - $waits >= CHILDREN ? 'yes' : 'no', "\n";
    // Each wait is in the histogram; each child woke into the lock from the
    // previous holder's unlock, so each one's hand-over was measured too.
    $waited = $after['lock_wait']['count'] - $before['lock_wait']['count'];
    $woke = $after['lock_wake']['count'] - $before['lock_wake']['count'];
    echo "  waits in the histogram: ", $waited === $after['lock_waits'] - $waits ? 'all' : "$waited", "\n";
    echo "  hand-overs measured: ", $woke >= CHILDREN ? 'every child' : "$woke", "\n";
    $bounds = $after['lock_wait']['le_us'];
    $counts = array_values($bounds);
    $rising = $counts;
    sort($rising);
    echo "  cumulative: ", $counts === $rising && $bounds['inf'] === $after['lock_wait']['count'] ? 'yes' : json_encode($bounds), "\n";
    echo "  summary: ", preg_match('/^\d+: half within [\d.]+ (µs|ms|s), 99 % (within|over) [\d.]+ (µs|ms|s) \(mean [\d.]+ (µs|ms|s)\)$/u', $after['lock_wake']['summary']) ? 'ok' : $after['lock_wake']['summary'], "\n";
}
?>
--EXPECT--
owned (local cache): {"ok":40}
  stored: counter|i:40;
  read here: 40
  children waited for the lock: yes
  waits in the histogram: all
  hand-overs measured: every child
  cumulative: yes
  summary: ok
not strict (every read remote): {"ok":40}
  stored: counter|i:40;
  read here: 40
  children waited for the lock: yes
  waits in the histogram: all
  hand-overs measured: every child
  cumulative: yes
  summary: ok
