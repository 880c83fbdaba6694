--TEST--
session_abort(): changes are discarded (memcached and the local copy keep the stored data) and the lock is released
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.lock_timeout=2
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$mc = cs_memcached_start();
ini_set('session.save_path', cs_save_path($mc['port']));
$id = cs_session(null, function () { $_SESSION = ['n' => 1]; });
$stored = cs_mc_get($mc['port'], "sess.$id");
$sets = cs_mc_stats($mc['port'])['cmd_set'];

session_id($id);
session_start();
$_SESSION['n'] = 2;
var_dump(session_abort(), session_status() === PHP_SESSION_NONE);
var_dump(cs_mc_get($mc['port'], "sess.$id") === $stored, cs_mc_stats($mc['port'])['cmd_set'] === $sets);

// Lock released: a forked child gets the session at once, with the stored data.
$r = cs_fork_wait(cs_fork(function () use ($id) {
    $waits = clustered_session_stats()['lock_waits'];
    session_id($id);
    session_start();
    $n = $_SESSION['n'];
    session_abort();
    // lock_waits counts every acquisition that found the lock taken.
    return (clustered_session_stats()['lock_waits'] === $waits ? 'at once' : 'after waiting') . ", n=$n";
}));
echo $r['result'], $r['output'], "\n";
// This process (its local copy) too.
session_id($id);
session_start();
var_dump($_SESSION['n']);
session_write_close();

// session_abort() right after a migration: PHP has already issued the new ID
// (and would send its cookie), so the move is completed, not lost.
putenv("CS_ID=$id");
$r = cs_php('session_id(getenv("CS_ID")); session_start(); echo session_id(), "\n"; session_abort(); echo "migrations ", clustered_session_stats()["migrations"], "\n";',
            ['session.save_path' => cs_save_path($mc['port']), 'clustered_session.route' => 'web2']);
[$new, $migrations] = explode("\n", trim($r['out'])) + ['', ''];
echo cs_split_id($new)['route'] ?? "no new ID: $r[out]", ", $migrations\n", $r['err'];
echo "new: ", json_encode(array_values(cs_where($new, [$mc['port']]))), ", old: ",
     in_array(cs_old_key_state($id, $new, [$mc['port']]), ['gone', 'forward'], true) ? 'no data' : cs_old_key_state($id, $new, [$mc['port']]), "\n";
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
bool(true)
at once, n=1
int(1)
web2, migrations 1
new: ["n|i:1;"], old: no data
