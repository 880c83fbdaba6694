--TEST--
locks per session: while 8 forked children each hold the lock of their own session, 2,048 other sessions start and close without one lock wait (a striped table made some of them wait for a child)
--INI--
session.save_handler=clustered
session.use_strict_mode=0
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.lock_timeout=30
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
ini_set('session.save_path', cs_save_path());
const CHILDREN = 8;
const SESSIONS = 2048;

function random_id(): string
{
    $alphabet = '0123456789abcdefghijklmnopqrstuv';
    $random = '';
    foreach (str_split(random_bytes(26)) as $byte) $random .= $alphabet[ord($byte) & 31];
    return $random . '-n1.web1';
}

$dir = sys_get_temp_dir() . '/cs_lock_per_session_' . getmypid();
@mkdir($dir);
$children = [];
for ($c = 0; $c < CHILDREN; ++$c) {
    $children[] = cs_fork(function () use ($dir, $c) {
        session_id(random_id());
        if (!session_start()) return 'start failed';
        touch("$dir/held.$c");  // holding the lock now
        cs_wait_for('the test to tell it to finish', fn () => file_exists("$dir/finish"));
        session_abort();
        return 'ok';
    });
}
for ($c = 0; $c < CHILDREN; ++$c) cs_wait_for("child $c to take its lock", fn () => file_exists("$dir/held.$c"));

$waits = clustered_session_stats()['lock_waits'];
$failed = 0;
for ($i = 0; $i < SESSIONS; ++$i) {
    session_id(random_id());
    if (!session_start()) ++$failed;
    session_abort();
}
$waited = clustered_session_stats()['lock_waits'] - $waits;
echo "sessions started: ", SESSIONS - $failed, " of ", SESSIONS, "\n";
echo "lock waits while the children held theirs: $waited\n";

touch("$dir/finish");
$results = [];
foreach ($children as $child) {
    $r = cs_fork_wait($child);
    $results[] = $r['result'] . $r['output'];
}
echo "children: ", json_encode(array_count_values($results)), "\n";
echo "children waited: ", clustered_session_stats()['lock_waits'] - $waits - $waited, "\n";
foreach (glob("$dir/*") as $file) unlink($file);
rmdir($dir);
?>
--EXPECT--
sessions started: 2048 of 2048
lock waits while the children held theirs: 0
children: {"ok":8}
children waited: 0
