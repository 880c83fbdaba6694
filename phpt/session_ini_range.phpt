--TEST--
INI: every out-of-range value is refused with a warning naming it (the default stays); cache_size accepts 64M and 0
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
$refused = [
    'clustered_session.route' => ['Web1', 'web-1', 'a.b', 'abcdefghijklmnopq'],
    'clustered_session.cache_size' => ['-1', 'lots', '1K', '65G'],
    'clustered_session.replicas' => ['-1', '9', 'two'],
    'clustered_session.lock_timeout' => ['0', '3601', '-5'],
    'clustered_session.connect_timeout' => ['0', '60001'],
    'clustered_session.io_timeout' => ['0', '60001', '1s'],
    'clustered_session.retry_interval' => ['-1', '3601'],
    'clustered_session.touch_interval' => ['-1', '86401'],
    'clustered_session.takeover_check_interval' => ['-1', '21', '1m'],
    'clustered_session.prefix' => ['a b', str_repeat('p', 65), "caf\xc3\xa9."],
];
$defaults = [];
foreach ($refused as $name => $values) {
    foreach ($values as $value) {
        // Each value on the command line, as php.ini would give it at startup.
        $r = cs_php('echo "value: ", ini_get(' . var_export($name, true) . '), "\n";',
                    [$name => '"' . $value . '"', 'display_startup_errors' => 1]);
        $out = trim($r['out'] . $r['err']);
        $shown = strlen($value) > 20 ? substr($value, 0, 8) . '...' : $value;
        if (!preg_match('/^Warning: PHP Startup: clustered_session: ' . preg_quote("$name=\"$value\"", '/')
                        . ' refused: (.+) in Unknown on line 0\nvalue:(?: (.*))?$/', $out, $m)) {
            echo "$name=$shown: NOT REFUSED AS EXPECTED:\n$out\n";
            continue;
        }
        $defaults[$name][] = "'" . ($m[2] ?? '') . "'";
        echo "$name=$shown: refused, $m[1]\n";
    }
}
echo "--- the defaults stayed\n";
foreach ($defaults as $name => $values) echo "$name: ", implode(' ', array_unique($values)), "\n";

echo "--- accepted\n";
$accepted = [
    'clustered_session.cache_size' => ['64M', '0', '1M'],
    'clustered_session.replicas' => ['0', '8'],
    'clustered_session.route' => ['"off"', 'abcdefghijklmnop', '0'],
    'clustered_session.lock_timeout' => ['1', '3600'],
    'clustered_session.io_timeout' => ['1', '60000'],
    'clustered_session.retry_interval' => ['0'],
    'clustered_session.touch_interval' => ['0', '86400'],
    'clustered_session.takeover_check_interval' => ['0', '1', '20'],
    'clustered_session.prefix' => ['""', 'app1:sess:'],
];
foreach ($accepted as $name => $values) {
    foreach ($values as $value) {
        $r = cs_php('echo ini_get(' . var_export($name, true) . ');', [$name => $value]);
        echo "$name=$value: ", $r['out'] . $r['err'], "\n";
    }
}

// The cache really follows cache_size.
foreach (['64M', '0'] as $size) {
    $r = cs_php('$s = clustered_session_stats(); echo $s["cache"]["size"], " ", var_export($s["trusted"], true);',
                ['clustered_session.cache_size' => $size]);
    [$bytes, $trusted] = explode(' ', $r['out'] . ' ?');
    echo "cache_size=$size: ", $size === '0' ? "size $bytes" : ($bytes > 58 << 20 && $bytes <= 64 << 20 ? 'about 64M' : "size $bytes"),
         ", trusted $trusted\n";
}

echo "--- at runtime\n";
// prefix is PHP_INI_ALL and checked at runtime too; the others are PHP_INI_SYSTEM.
var_dump(ini_set('clustered_session.prefix', 'bad prefix'), ini_get('clustered_session.prefix'));
var_dump(ini_set('clustered_session.prefix', 'ok.'), ini_get('clustered_session.prefix'));
var_dump(ini_set('clustered_session.io_timeout', '500'), ini_get('clustered_session.io_timeout'));
var_dump(ini_set('clustered_session.route', 'web9'), ini_get('clustered_session.route'));
?>
--EXPECTF--
clustered_session.route=Web1: refused, expected [a-z0-9]{1,16}, "off" or empty (short host name)
clustered_session.route=web-1: refused, expected [a-z0-9]{1,16}, "off" or empty (short host name)
clustered_session.route=a.b: refused, expected [a-z0-9]{1,16}, "off" or empty (short host name)
clustered_session.route=abcdefghijklmnopq: refused, expected [a-z0-9]{1,16}, "off" or empty (short host name)
clustered_session.cache_size=-1: refused, expected 0 (no cache) or a size from 1M to 64G, e.g. 64M
clustered_session.cache_size=lots: refused, expected 0 (no cache) or a size from 1M to 64G, e.g. 64M
clustered_session.cache_size=1K: refused, expected 0 (no cache) or a size from 1M to 64G, e.g. 64M
clustered_session.cache_size=65G: refused, expected 0 (no cache) or a size from 1M to 64G, e.g. 64M
clustered_session.replicas=-1: refused, expected 0 to 8
clustered_session.replicas=9: refused, expected 0 to 8
clustered_session.replicas=two: refused, expected 0 to 8
clustered_session.lock_timeout=0: refused, expected 1 to 3600 seconds
clustered_session.lock_timeout=3601: refused, expected 1 to 3600 seconds
clustered_session.lock_timeout=-5: refused, expected 1 to 3600 seconds
clustered_session.connect_timeout=0: refused, expected 1 to 60000 ms
clustered_session.connect_timeout=60001: refused, expected 1 to 60000 ms
clustered_session.io_timeout=0: refused, expected 1 to 60000 ms
clustered_session.io_timeout=60001: refused, expected 1 to 60000 ms
clustered_session.io_timeout=1s: refused, expected 1 to 60000 ms
clustered_session.retry_interval=-1: refused, expected 0 to 3600 seconds
clustered_session.retry_interval=3601: refused, expected 0 to 3600 seconds
clustered_session.touch_interval=-1: refused, expected 0 to 86400 seconds
clustered_session.touch_interval=86401: refused, expected 0 to 86400 seconds
clustered_session.takeover_check_interval=-1: refused, expected 0 (off) or 1 to 20 seconds
clustered_session.takeover_check_interval=21: refused, expected 0 (off) or 1 to 20 seconds
clustered_session.takeover_check_interval=1m: refused, expected 0 (off) or 1 to 20 seconds
clustered_session.prefix=a b: refused, expected printable ASCII without spaces (memcached keys)
clustered_session.prefix=pppppppp...: refused, expected at most 64 bytes
clustered_session.prefix=café.: refused, expected printable ASCII without spaces (memcached keys)
--- the defaults stayed
clustered_session.route: ''
clustered_session.cache_size: '64M'
clustered_session.replicas: '0'
clustered_session.lock_timeout: '30'
clustered_session.connect_timeout: '100'
clustered_session.io_timeout: '250'
clustered_session.retry_interval: '2'
clustered_session.touch_interval: '60'
clustered_session.takeover_check_interval: '1'
clustered_session.prefix: 'sess.'
--- accepted
clustered_session.cache_size=64M: 64M
clustered_session.cache_size=0: 0
clustered_session.cache_size=1M: 1M
clustered_session.replicas=0: 0
clustered_session.replicas=8: 8
clustered_session.route="off": off
clustered_session.route=abcdefghijklmnop: abcdefghijklmnop
clustered_session.route=0: 0
clustered_session.lock_timeout=1: 1
clustered_session.lock_timeout=3600: 3600
clustered_session.io_timeout=1: 1
clustered_session.io_timeout=60000: 60000
clustered_session.retry_interval=0: 0
clustered_session.touch_interval=0: 0
clustered_session.touch_interval=86400: 86400
clustered_session.takeover_check_interval=0: 0
clustered_session.takeover_check_interval=1: 1
clustered_session.takeover_check_interval=20: 20
clustered_session.prefix="": 
clustered_session.prefix=app1:sess:: app1:sess:
cache_size=64M: about 64M, trusted true
cache_size=0: size 0, trusted false
--- at runtime

Warning: ini_set(): clustered_session: clustered_session.prefix="bad prefix" refused: expected printable ASCII without spaces (memcached keys) in %s on line %d
bool(false)
string(5) "sess."
string(5) "sess."
string(3) "ok."
bool(false)
string(3) "250"
bool(false)
string(4) "web1"
