--TEST--
session fixation, strict mode: 100 attacker-chosen IDs that are well-formed and carry our own suffix (but were never stored) are never adopted: each attempt gets a fresh ID, a second try with the same ID still does, and no attacker ID ever appears as a key on either memcached node
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
require __DIR__ . '/include/fixation.inc';
$a = cs_memcached_start();
$b = cs_memcached_start();
$ports = [$a['port'], $b['port']];
ini_set('session.save_path', cs_save_path(...$ports));

cs_fixation_round(32, 4, $ports);  // PHP's default settings
echo "errors: ", clustered_session_stats()['errors'], "\n";
?>
--EXPECT--
sid_length 32, 4 bits: adopted 0, data seen 0, adopted on retry 0, attacker keys on servers 0, fresh IDs 100 distinct, 100 stored with the victim's data
errors: 0
