--TEST--
session ID: <random>-<store>.<route>, random part follows sid_length and sid_bits_per_character (4, 5, 6)
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
--FILE--
<?php
require __DIR__ . '/include/helper.inc';
ini_set('session.save_path', cs_save_path());

// PHP's alphabet, in PHP's order: 4 bits use the first 16, 5 bits the first 32.
$alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,-';

// [sid_length, bits, expected random length]; 4-bit IDs under 32 characters
// would carry less than 128 bits, so the handler raises them to 32 (DESIGN §2).
$cases = [[32, 4, 32], [48, 5, 48], [26, 5, 26], [40, 6, 40], [22, 6, 22], [200, 6, 200], [22, 4, 32]];
foreach ($cases as [$length, $bits, $expected]) {
    ini_set('session.sid_length', $length);
    ini_set('session.sid_bits_per_character', $bits);
    $symbols = substr($alphabet, 0, 1 << $bits);
    $seen = [];
    $stores = [];
    $bad = [];
    $count = $expected >= 100 ? 40 : 150;
    for ($i = 0; $i < $count; ++$i) {
        session_id('');
        session_start();
        $id = session_id();
        session_abort();
        $parts = cs_split_id($id);
        if ($parts === null) { $bad[] = "does not parse: $id"; continue; }
        if (strlen($parts['random']) !== $expected) $bad[] = "length " . strlen($parts['random']) . ": $id";
        if (strspn($parts['random'], $symbols) !== strlen($parts['random'])) $bad[] = "alphabet: $id";
        if ($parts['route'] !== 'web1') $bad[] = "route: $id";
        $stores[$parts['store']] = true;
        foreach (count_chars($parts['random'], 1) as $byte => $n) $seen[chr($byte)] = true;
    }
    ksort($stores);
    // Every symbol of the alphabet shows up (4000+ characters drawn): the
    // generator really uses all of it, including ',' and '-' for 6 bits.
    printf("%d/%d: %s; %d of %d symbols; stores %s\n", $length, $bits,
           $bad ? implode(', ', array_slice($bad, 0, 3)) : 'ok', count($seen), strlen($symbols),
           implode(' ', array_keys($stores)));
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
?>
--EXPECT--
32/4: ok; 16 of 16 symbols; stores n1 n2
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
