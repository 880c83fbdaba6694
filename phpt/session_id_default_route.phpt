--TEST--
session ID: the route is clustered_session.route, by default the short host name ("off" keeps it but trusts nothing)
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

// The short host name as ext/handler_registry.cpp makes it: up to the first dot,
// lowercased, reduced to [a-z0-9], at most 16 characters.
$host = strtolower(explode('.', gethostname())[0]);
$host = substr(preg_replace('/[^a-z0-9]/', '', $host), 0, 16) ?: 'node';

$code = <<<'PHP'
session_start();
$_SESSION['x'] = 1;
echo session_id(), "\n";
session_write_close();
$stats = clustered_session_stats();
echo $stats['route'], ' ', var_export($stats['trusted'], true), "\n";
PHP;
$save_path = ['session.save_path' => cs_save_path()];
// "off" must be quoted in an INI file or -d: unquoted, PHP's INI scanner reads the
// boolean keyword off as "" (which means the host name, and trust).
foreach ([['', 'empty'], ['"off"', 'off'], ['r2d2', 'r2d2'], [null, 'unset']] as [$route, $label]) {
    $ini = $save_path + ['clustered_session.route' => $route];
    $r = cs_php($code, $ini);
    [$id, $stats] = explode("\n", trim($r['out'])) + ['', ''];
    $parts = cs_split_id($id);
    $expected = in_array($label, ['empty', 'off', 'unset'], true) ? $host : $route;
    printf("%s: route %s, stats %s%s\n", $label,
           $parts && $parts['route'] === $expected ? 'as expected' : "WRONG ($id, wanted $expected)",
           $stats === "$expected true" || $stats === "$expected false" ? substr($stats, strlen($expected) + 1) : "WRONG ($stats)",
           $r['err'] !== '' ? " stderr: $r[err]" : '');
}
?>
--EXPECT--
empty: route as expected, stats true
off: route as expected, stats false
r2d2: route as expected, stats true
unset: route as expected, stats true
