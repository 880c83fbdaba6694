--TEST--
clustered_session.secret_file that cannot be used: missing, unreadable as a directory, world-readable, a key too short, no key at all. Each is a clear warning at start-up, and session_start() then fails with the reason (the handler never runs unsealed by surprise) while the rest of the page runs, and the stats say why; seal=<unknown> is refused by name. Without the setting, clustered_session_stats()['sealing'], phpinfo() and the metrics say that values are not sealed; with a good file they name the mode and the sealing key's id
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
$path = cs_save_path();
$page = <<<'PHP'
$started = session_start();
echo 'session_start: ', var_export($started, true), "\n";
echo 'sealing: ', clustered_session_stats()['sealing'], "\n";
echo 'page still runs', "\n";
PHP;
$good = cs_new_key();
$dir = sys_get_temp_dir() . '/cs_keydir_' . getmypid();
@mkdir($dir, 0700);
$files = [
    'missing' => sys_get_temp_dir() . '/cs_no_such_key_file',
    'a directory' => $dir,
    'world-readable' => cs_secret_file([$good], 0644),
    'a short key' => cs_secret_file([$good, 'too-short'], 0600),
    'no key' => cs_secret_file(['# nothing here yet'], 0600),
];
foreach ($files as $label => $file) {
    echo "--- $label\n";
    $r = cs_php($page, ['session.save_path' => $path, 'clustered_session.secret_file' => $file]);
    echo str_replace([$file, sys_get_temp_dir()], ['<file>', '<tmp>'], $r['out']);
}
rmdir($dir);

echo "--- seal=sideways\n";
$r = cs_php('echo ini_get("clustered_session.seal"), "\n";', ['clustered_session.seal' => 'sideways']);
echo $r['out'];

echo "--- no secret_file\n";
$r = cs_php($page . 'ob_start(); phpinfo(INFO_MODULES); $info = ob_get_clean();
preg_match("/^sealing => .*$/m", $info, $m); echo $m[0], "\n";
preg_match("/^clustered_session_sealed\\{.*$/m", clustered_session_metrics(), $m); echo $m[0], "\n";', ['session.save_path' => $path]);
echo $r['out'];

echo "--- a good file\n";
$r = cs_php($page . 'preg_match("/^clustered_session_sealed\\{.*$/m", clustered_session_metrics(), $m); echo $m[0], "\n";',
            ['session.save_path' => $path, 'clustered_session.secret_file' => cs_secret_file(['# rotated in 2026-12', $good, cs_new_key()], 0640)]);
echo preg_replace('/key [0-9a-f]{8}/', 'key <id>', $r['out']);
?>
--EXPECTF--
--- missing

Warning: PHP Startup: clustered_session: clustered_session.secret_file <file>: cannot be opened: No such file or directory; sessions fail until it is fixed (the handler does not run unsealed) in Unknown on line 0

Warning: session_start(): clustered_session: clustered_session.secret_file <file>: cannot be opened: No such file or directory; the handler does not run unsealed in %s on line %d
session_start: false
sealing: refused, every session fails: clustered_session.secret_file <file>: cannot be opened: No such file or directory
page still runs
--- a directory

Warning: PHP Startup: clustered_session: clustered_session.secret_file <file>: is not a regular file; sessions fail until it is fixed (the handler does not run unsealed) in Unknown on line 0

Warning: session_start(): clustered_session: clustered_session.secret_file <file>: is not a regular file; the handler does not run unsealed in %s on line %d
session_start: false
sealing: refused, every session fails: clustered_session.secret_file <file>: is not a regular file
page still runs
--- world-readable

Warning: PHP Startup: clustered_session: clustered_session.secret_file <file>: has mode 0644: every user of this machine can read the keys; chmod 0600 (or 0640 with the web server's group); sessions fail until it is fixed (the handler does not run unsealed) in Unknown on line 0

Warning: session_start(): clustered_session: clustered_session.secret_file <file>: has mode 0644: every user of this machine can read the keys; chmod 0600 (or 0640 with the web server's group); the handler does not run unsealed in %s on line %d
session_start: false
sealing: refused, every session fails: clustered_session.secret_file <file>: has mode 0644: every user of this machine can read the keys; chmod 0600 (or 0640 with the web server's group)
page still runs
--- a short key

Warning: PHP Startup: clustered_session: clustered_session.secret_file <file>: line 2 holds a key of 9 characters; a key needs at least 32 (make one with: openssl rand -base64 32); sessions fail until it is fixed (the handler does not run unsealed) in Unknown on line 0

Warning: session_start(): clustered_session: clustered_session.secret_file <file>: line 2 holds a key of 9 characters; a key needs at least 32 (make one with: openssl rand -base64 32); the handler does not run unsealed in %s on line %d
session_start: false
sealing: refused, every session fails: clustered_session.secret_file <file>: line 2 holds a key of 9 characters; a key needs at least 32 (make one with: openssl rand -base64 32)
page still runs
--- no key

Warning: PHP Startup: clustered_session: clustered_session.secret_file <file>: holds no key (one a line; make one with: openssl rand -base64 32); sessions fail until it is fixed (the handler does not run unsealed) in Unknown on line 0

Warning: session_start(): clustered_session: clustered_session.secret_file <file>: holds no key (one a line; make one with: openssl rand -base64 32); the handler does not run unsealed in %s on line %d
session_start: false
sealing: refused, every session fails: clustered_session.secret_file <file>: holds no key (one a line; make one with: openssl rand -base64 32)
page still runs
--- seal=sideways

Warning: PHP Startup: clustered_session: clustered_session.seal="sideways" refused: expected encrypt, authenticate or off in Unknown on line 0
encrypt
--- no secret_file
session_start: true
sealing: off: values are not sealed (no clustered_session.secret_file)
page still runs
sealing => off: values are not sealed (no clustered_session.secret_file)
clustered_session_sealed{route="web1"} 0
--- a good file
session_start: true
sealing: encrypt, key <id> (2 keys open)
page still runs
clustered_session_sealed{route="web1"} 1
