--TEST--
a prefix + sid_length + suffix that cannot fit memcached's 250-byte keys is a startup warning and a failed session_start(), not a runtime surprise (PHP < 8.4: with PHP's default 32-character IDs and the 64-byte prefix limit, keys stay under 130 bytes)
--SKIPIF--
<?php require __DIR__ . '/include/legacy_sid.inc'; cs_legacy_sid_skipif(); ?>
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
ini_set('session.save_path', cs_save_path());

// Longest key: prefix (5) + random + '-' + 16 (longest node id) + '.' + route (4).
ini_set('session.sid_length', 223);
var_dump(session_start());
session_abort();
ini_set('session.sid_length', 224);
var_dump(session_start());
ini_set('session.sid_length', 32);
ini_set('clustered_session.prefix', str_repeat('p', 64));
ini_set('session.sid_length', 165);
var_dump(session_start());
ini_set('clustered_session.prefix', 'sess.');
var_dump(session_start());
session_abort();

// At startup (php.ini), the same check warns once, before any request.
$r = cs_php('echo "running\n";', ['session.sid_length' => 250, 'session.save_path' => cs_save_path()]);
echo $r['out'], $r['err'];
?>
--EXPECTF--
bool(true)

Warning: session_start(): clustered_session: keys would reach 251 bytes (prefix + session.sid_length + suffix), over memcached's 250; shorten clustered_session.prefix or session.sid_length in %s on line %d
bool(false)

Warning: session_start(): clustered_session: keys would reach 251 bytes (prefix + session.sid_length + suffix), over memcached's 250; shorten clustered_session.prefix or session.sid_length in %s on line %d
bool(false)
bool(true)

Warning: PHP Startup: clustered_session: keys would reach 277 bytes (clustered_session.prefix + session.sid_length + suffix), over memcached's 250; sessions will fail until one is shortened in Unknown on line 0
running
