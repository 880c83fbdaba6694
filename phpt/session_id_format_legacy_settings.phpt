--TEST--
session ID with session.sid_length / sid_bits_per_character set (PHP < 8.4): random part follows them (4, 5, 6 bits; 22 to 200 characters), never under 128 bits, and a 6-bit random part holding '-' still parses from the right
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
require __DIR__ . '/include/id_format.inc';
ini_set('session.save_path', cs_save_path());

// [sid_length, bits, expected random length]; 4-bit IDs under 32 characters
// would carry less than 128 bits, so the handler raises them to 32 (README.md,
// "How it works": at least 128 bits).
$cases = [[48, 5, 48], [26, 5, 26], [40, 6, 40], [22, 6, 22], [200, 6, 200], [22, 4, 32]];
foreach ($cases as [$length, $bits, $expected]) {
    ini_set('session.sid_length', $length);
    ini_set('session.sid_bits_per_character', $bits);
    cs_check_id_format($expected, $bits, $expected >= 100 ? 40 : 150, $length);
}

// A 6-bit ID whose random part contains '-' is still parsed from the right.
ini_set('session.sid_length', 22);
ini_set('session.sid_bits_per_character', 6);
do {
    $id = cs_session('', function () { $_SESSION['dash'] = true; });
} while (strpos(cs_split_id($id)['random'], '-') === false);
session_id($id);
session_start();
var_dump(session_id() === $id, $_SESSION);
session_write_close();
$where = cs_where($id, [cs_port(1), cs_port(2)]);
var_dump(array_keys($where) === [cs_store_port($id, [cs_port(1), cs_port(2)])]);
// Another process (another app node's view) finds it through the suffix too.
putenv("CS_ID=$id");
$r = cs_php('session_id(getenv("CS_ID")); session_start(); var_dump(session_id() === getenv("CS_ID"), $_SESSION);',
            ['session.save_path' => cs_save_path(), 'session.sid_length' => '22', 'session.sid_bits_per_character' => '6']);
echo $r['out'], $r['err'];
?>
--EXPECT--
48/5: ok; 32 of 32 symbols; stores n1 n2
26/5: ok; 32 of 32 symbols; stores n1 n2
40/6: ok; 64 of 64 symbols; stores n1 n2
22/6: ok; 64 of 64 symbols; stores n1 n2
200/6: ok; 64 of 64 symbols; stores n1 n2
22/4: ok; 16 of 16 symbols; stores n1 n2
bool(true)
array(1) {
  ["dash"]=>
  bool(true)
}
bool(true)
bool(true)
array(1) {
  ["dash"]=>
  bool(true)
}
