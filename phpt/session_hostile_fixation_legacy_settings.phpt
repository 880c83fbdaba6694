--TEST--
session fixation with session.sid_length / sid_bits_per_character set (PHP < 8.4): as session_hostile_fixation.phpt with 26 characters of 5 and of 6 bits (where the random part holds '-' and ',', all-dash and all-comma IDs included)
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
require __DIR__ . '/include/fixation.inc';
$a = cs_memcached_start();
$b = cs_memcached_start();
$ports = [$a['port'], $b['port']];
ini_set('session.save_path', cs_save_path(...$ports));

foreach ([[26, 5], [26, 6]] as [$length, $bits]) {
    ini_set('session.sid_length', $length);
    ini_set('session.sid_bits_per_character', $bits);
    cs_fixation_round($length, $bits, $ports);
}
echo "errors: ", clustered_session_stats()['errors'], "\n";
?>
--EXPECT--
sid_length 26, 5 bits: adopted 0, data seen 0, adopted on retry 0, attacker keys on servers 0, fresh IDs 100 distinct, 100 stored with the victim's data
sid_length 26, 6 bits: adopted 0, data seen 0, adopted on retry 0, attacker keys on servers 0, fresh IDs 100 distinct, 100 stored with the victim's data
errors: 0
