--TEST--
a write never destroys a forward or a newer copy: a slow request on the old owner that ends after another node took the session over is refused with a warning (the forward stays, the old cookie then opens the new session); a takeover that read the session before the owner's last write is refused too, and the ID it sent forwards back to the newer copy; never two live sessions
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
$save_path = cs_save_path();
ini_set('session.save_path', $save_path);
$web2 = ['session.save_path' => $save_path, 'clustered_session.route' => 'web2'];
$n = fn (?string $raw) => ($d = cs_decode($raw)) === null ? 'missing' : ($d['forward'] ? "forward to $d[payload]" : $d['payload']);
$key = fn (string $id) => cs_mc_get(cs_store_port($id, $ports), "sess.$id");

echo "--- a slow request on web1 (the owner) while web2 takes the session over\n";
$id = cs_session(null, function () { $_SESSION['n'] = 1; });
session_id($id);
session_start();                       // served from web1's cache: n=1
putenv("CS_ID=$id");
$r = cs_php('session_id(getenv("CS_ID")); session_start(); $_SESSION["n"] = 2; echo session_id(); session_write_close();', $web2);
$taken = trim($r['out']);
echo "web2 took it over: ", var_export($taken !== $id && str_ends_with($taken, '.web2'), true), "\n";
$_SESSION['n'] = 9;                    // the slow request's change
var_dump(session_write_close());
echo "old key: ", $n($key($id)) === "forward to $taken" ? 'still the forward to web2\'s ID' : $n($key($id)), "\n";
echo "web2's session: ", $n($key($taken)), "\n";
session_id($id);
session_start();
echo "the old cookie on web1 now: n=", $_SESSION['n'] ?? 'none', ", ID ", session_id() === $id ? 'unchanged' : 'moved', "\n";
session_abort();

echo "--- web2 reads the session, then web1 (the owner) changes it before web2 writes\n";
$id = cs_session(null, function () { $_SESSION['n'] = 1; });
putenv("CS_ID=$id");
$child = cs_php_background('ob_implicit_flush(true); while (ob_get_level()) ob_end_flush();
    session_id(getenv("CS_ID")); session_start();
    echo "read n=", $_SESSION["n"], " as ", session_id(), "\n";
    fgets(STDIN);
    $_SESSION["n"] = 5;
    var_dump(session_write_close());
    echo "done\n";', $web2);
$line = cs_read_line($child['stdout']);
preg_match('/^read n=(\d+) as (\S+)$/', $line, $m) or cs_fail("child said: $line");
$sent = $m[2];
echo "web2 read n=$m[1] and sent the cookie of a new ID: ", var_export($sent !== $id, true), "\n";
cs_session($id, function () { $_SESSION['n'] = 2; });  // web1, the owner, meanwhile
fwrite($child['stdin'], "go\n");
$out = '';
while (($line = cs_read_line($child['stdout'])) !== 'done') $out .= "$line\n";
echo str_replace([$id, $sent], ['<old>', '<new>'], $out);
proc_close($child['proc']);
echo "old key: ", $n($key($id)), "\n";
echo "the new ID web2 sent: ", $n($key($sent)) === "forward to $id" ? 'a forward back to the old one' : $n($key($sent)), "\n";
putenv("CS_ID=$sent");
$r = cs_php('session_id(getenv("CS_ID")); session_start(); echo "n=", $_SESSION["n"] ?? "none"; session_write_close();', $web2);
echo "the next request on web2 with that cookie: ", $r['out'], $r['err'], "\n";
echo "write_conflicts on web1: ", clustered_session_stats()['write_conflicts'], "\n";
?>
--EXPECTF--
--- a slow request on web1 (the owner) while web2 takes the session over
web2 took it over: true

Warning: session_write_close(): clustered_session: session %s-n%d.web1 was not saved: another node took it over (it is now %s.web2) while this request ran, and saving would have overwritten that; the next request reads the newer copy in %s on line %d
bool(true)
old key: still the forward to web2's ID
web2's session: n|i:2;
the old cookie on web1 now: n=2, ID moved
--- web2 reads the session, then web1 (the owner) changes it before web2 writes
web2 read n=1 and sent the cookie of a new ID: true

Warning: session_write_close(): clustered_session: session <old> was not saved: it changed on another node while this request ran, and moving it would have overwritten that; <new> forwards to it in %s on line %d
bool(true)
old key: n|i:2;
the new ID web2 sent: a forward back to the old one
the next request on web2 with that cookie: n=2
write_conflicts on web1: 1
