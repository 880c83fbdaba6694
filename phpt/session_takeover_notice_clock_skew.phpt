--TEST--
takeover notices do not depend on synchronised clocks: a new owner whose clock is three minutes behind (faketime) takes a session over, and within a takeover check interval the old owner stops serving its cached copy and finds the new one
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.takeover_check_interval=1
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$port = cs_port(1);
$save_path = cs_save_path($port);
ini_set('session.save_path', $save_path);

/**
 * cs_php() with the child's wall clock `$offset` seconds off (libfaketime). PHP
 * loads extensions with RTLD_DEEPBIND, which LD_PRELOAD cannot reach, so the
 * child loads a copy of the extension that needs libfaketime itself (patchelf).
 */
function php_at_offset(int $offset, string $code, array $ini): array
{
    $faketime = glob('/usr/lib/*/faketime/libfaketime.so.1')[0] ?? null;
    if ($faketime === null) cs_fail('libfaketime is missing (scripts/install-deps.sh installs faketime)');
    $copy = sys_get_temp_dir() . '/cs_faketime_' . getmypid() . '.so';
    copy(cs_extension_path(), $copy);
    exec('patchelf --add-needed ' . escapeshellarg($faketime) . ' ' . escapeshellarg($copy), $o, $rc);
    if ($rc !== 0) cs_fail('patchelf failed (scripts/install-deps.sh installs patchelf)');
    $command = array_map(fn ($arg) => str_starts_with($arg, 'extension=') ? "extension=$copy" : $arg,
                         cs_php_command($ini, cs_script($code)));
    $out = tempnam(sys_get_temp_dir(), 'cs_out_');
    $err = tempnam(sys_get_temp_dir(), 'cs_err_');
    $env = getenv();
    $env['FAKETIME'] = sprintf('%+ds', $offset);
    $proc = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['file', $out, 'w'],
                                 2 => ['file', $err, 'w']], $pipes, null, $env);
    if ($proc === false) cs_fail('cannot start php');
    proc_close($proc);
    $result = ['out' => file_get_contents($out), 'err' => file_get_contents($err)];
    unlink($out);
    unlink($err);
    unlink($copy);
    return $result;
}

$id = cs_session(null, function () { $_SESSION = ['n' => 1]; });
// web1 serves it from its cache (and has checked its notices once).
usleep(1100000);
cs_session($id, function () { ++$_SESSION['n']; });

// web2, three minutes behind, takes it over and counts on.
putenv("CS_ID=$id");
$r = php_at_offset(-180, 'session_id(getenv("CS_ID")); session_start(); ++$_SESSION["n"]; echo "web2 n=", $_SESSION["n"], "\n"; session_write_close();',
    ['session.save_path' => $save_path, 'clustered_session.route' => 'web2']);
echo $r['out'], $r['err'];

// The old cookie on web1 after one check interval: not its stale n=2.
usleep(1100000);
session_id($id);
session_start();
echo "web1, old cookie: n=", $_SESSION['n'], ", ID ", session_id() === $id ? 'unchanged (stale copy served)' : 'moved on', "\n";
session_write_close();
echo "takeover_notices: ", clustered_session_stats()['takeover_notices'] >= 1 ? 'read' : 'none', "\n";
?>
--EXPECT--
web2 n=3
web1, old cookie: n=3, ID moved on
takeover_notices: read
