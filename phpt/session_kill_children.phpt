--TEST--
children killed with SIGKILL at random points (holding the session lock, inside the cache) never wedge the lock or corrupt what the node serves
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.lock_timeout=30
clustered_session.cache_size=2M
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$ports = [cs_port(1), cs_port(2)];
ini_set('session.save_path', cs_save_path());
$shared = cs_session(null, function () { $_SESSION = ['c' => 0]; });

$problems = [];
$last = 0;
// A child says when it has written the shared session once (this flag), so that
// every round counts it on at least once however slowly the children start.
$wrote = tempnam(sys_get_temp_dir(), 'cs_wrote_');
for ($round = 0; $round < 8; ++$round) {
    @unlink($wrote);
    $children = [];
    for ($c = 0; $c < 3; ++$c) {
        $children[] = cs_fork(function () use ($shared, $wrote) {
            // Fills a 2M cache many times over with big entries: evictions and
            // long copies under the cache mutex, where a kill hurts most.
            for ($i = 0; ; ++$i) {
                session_id($i % 2 ? $shared : '');
                session_start();
                $_SESSION['c'] = ($_SESSION['c'] ?? 0) + 1;
                $_SESSION['blob'] = str_repeat(chr(65 + $i % 26), 100000 + $i % 7 * 1000);
                session_write_close();
                if ($i === 1) touch($wrote);
            }
        });
    }
    cs_wait_for('a child to write the shared session', fn () => file_exists($wrote));
    usleep(random_int(30000, 200000));  // then a random point of their work
    foreach ($children as $child) exec('kill -9 ' . $child['pid']);
    foreach ($children as $child) {
        $r = cs_fork_wait($child);
        if ($r['output'] !== 'child died (signal 9)') $problems[] = "round $round: child ended with: $r[output]";
    }

    // The lock of the shared session is free (or recovered) at once, the data
    // is whole, and what this node serves is what memcached holds afterwards.
    // A lock left by a killed child is recovered (robust mutex), never waited
    // out: waiting it out would make session_start() fail after lock_timeout and
    // count in lock_timeouts.
    $timeouts = clustered_session_stats()['lock_timeouts'];
    session_id($shared);
    if (!session_start()) { $problems[] = "round $round: session_start failed"; continue; }
    if (clustered_session_stats()['lock_timeouts'] !== $timeouts) $problems[] = "round $round: waited out lock_timeout";
    $c = $_SESSION['c'];
    $blob = $_SESSION['blob'] ?? str_repeat('A', 100000);
    if ($c < $last) $problems[] = "round $round: counter went back from $last to $c";
    if (strspn($blob, $blob[0]) !== strlen($blob)) $problems[] = "round $round: torn data";
    $last = $c;
    $_SESSION['c'] = $c + 1;
    session_write_close();
    $stored = cs_where($shared, $ports)[cs_store_port($shared, $ports)] ?? '';
    if (!str_starts_with($stored, 'c|i:' . ($c + 1) . ';')) $problems[] = "round $round: memcached holds " . substr($stored, 0, 20);
}

// The cache still works for new sessions afterwards.
$ok = 0;
for ($i = 0; $i < 50; ++$i) {
    $id = cs_session(null, function () use ($i) { $_SESSION['i'] = $i; });
    session_id($id);
    session_start();
    if (($_SESSION['i'] ?? null) === $i && session_id() === $id) ++$ok;
    session_abort();
}
@unlink($wrote);
echo "problems: ", $problems ? "\n" . implode("\n", $problems) : 'none', "\n";
// This process counts it on once a round, the children at least once more.
echo "counter advanced: ", var_export($last > 8, true), "\n";
echo "new sessions served: $ok\n";
?>
--EXPECT--
problems: none
counter advanced: true
new sessions served: 50
