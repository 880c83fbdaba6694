--TEST--
sealed values: a poisoned takeover-notice list drops nothing. Without sealing, "*" appended to web1's notice list on every memcached node makes web1 distrust every cached session at its next check, which compares each with memcached before serving it again (one get each: the attack, repeated each second, costs a get per cached session per second; the cache still serves); with clustered_session.secret_file the plain "*", a plain hash line naming a cached session and garbage are rejected (rejected_values, one warning), each counted once, no cached copy is dropped and the sessions are still served from the cache; a real takeover by web2 is still obeyed
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
$ports = [cs_port(1), cs_port(2)];
$path = cs_save_path(...$ports);
$keys = cs_secret_file([cs_new_key()]);

// web1: one long-lived process (its cache), driven line by line from stdin, on a
// clock that stands still until the test moves it (helper.inc, CsClock): the
// test moves it one takeover check interval (1 s) on before each line, so that
// each line's two requests run exactly one check.
$clock = new CsClock();
$web1 = <<<'PHP'
ob_implicit_flush(true); while (ob_get_level()) ob_end_flush();
function start(string $id = ''): string { session_id($id); session_start(); $_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1; session_write_close(); return session_id(); }
$ids = [start(), start()];
foreach ($ids as $id) start($id);  // served from the cache from now on
echo implode(' ', $ids), "\n";
while (($line = fgets(STDIN)) !== false) {
    $before = clustered_session_stats();
    foreach ($ids as $id) start($id);
    $s = clustered_session_stats();
    printf("dropped %d, local hits %d of 2, rejected_values %d\n", $s['takeover_notices'] - $before['takeover_notices'],
           $s['local_hits'] - $before['local_hits'], $s['rejected_values'] - $before['rejected_values']);
}
PHP;

function poison(string $what, array $ids): void
{
    global $ports;
    $key = 'clustered_session.moved:web1';
    foreach ($ports as $port) {
        $line = $what === 'everything' ? "*\n" : sprintf("%016x\n", 42);
        $existing = cs_mc_get($port, $key);
        cs_mc_set($port, $key, ($existing ?? "g 00000000000000aa\n") . $line . "garbage\n", 180);
    }
}

foreach (['no secret_file (landed)' => [], 'sealed' => ['clustered_session.secret_file' => $keys]] as $label => $ini) {
    echo "--- $label\n";
    foreach ($ports as $port) { $c = new CsMemcachedConnection($port); $c->send("delete clustered_session.moved:web1\r\n"); $c->line(); }
    $child = cs_php_background($web1, $ini + ['session.save_path' => $path, 'clustered_session.takeover_check_interval' => '1',
                                              'display_errors' => '0'], $clock);
    $ids = explode(' ', cs_read_line($child['stdout']));
    poison('everything', $ids);
    $clock->advance(1);
    fwrite($child['stdin'], "go\n");
    echo 'after "*": ', cs_read_line($child['stdout']), "\n";
    poison('hash', $ids);
    $clock->advance(1);
    fwrite($child['stdin'], "go\n");
    echo 'after plain lines: ', cs_read_line($child['stdout']), "\n";
    // A real takeover: web2 serves the first session; web1 must drop its copy.
    putenv("CS_ID=$ids[0]");
    cs_php('session_id(getenv("CS_ID")); session_start(); $_SESSION["n"] = 100; session_write_close();',
           $ini + ['session.save_path' => $path, 'clustered_session.route' => 'web2']);
    $clock->advance(1);
    fwrite($child['stdin'], "go\n");
    echo 'after a real takeover: ', cs_read_line($child['stdout']), "\n";
    fclose($child['stdin']);
    proc_close($child['proc']);
}
?>
--EXPECT--
--- no secret_file (landed)
after "*": dropped 2, local hits 2 of 2, rejected_values 0
after plain lines: dropped 2, local hits 2 of 2, rejected_values 0
after a real takeover: dropped 1, local hits 1 of 2, rejected_values 0
--- sealed
after "*": dropped 0, local hits 2 of 2, rejected_values 6
after plain lines: dropped 0, local hits 2 of 2, rejected_values 4
after a real takeover: dropped 1, local hits 1 of 2, rejected_values 0
