--TEST--
session fixation, strict mode: 100 attacker-chosen IDs that are well-formed and carry our own suffix (but were never stored) are never adopted: each attempt gets a fresh ID, a second try with the same ID still does, and no attacker ID ever appears as a key on either memcached node (also with the 6-bit alphabet, where the random part holds '-' and ',')
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
--FILE--
<?php
require __DIR__ . '/include/helper.inc';
$a = cs_memcached_start();
$b = cs_memcached_start();
$ports = [$a['port'], $b['port']];
ini_set('session.save_path', cs_save_path(...$ports));

/** A random part as PHP makes it for these settings (4, 5 or 6 bits per character). */
function attacker_random(int $length, int $bits): string
{
    $alphabet = substr('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-,', 0, 1 << $bits);
    $out = '';
    for ($i = 0; $i < $length; ++$i) $out .= $alphabet[random_int(0, strlen($alphabet) - 1)];
    return $out;
}

foreach ([[32, 4], [26, 5], [26, 6]] as [$length, $bits]) {
    ini_set('session.sid_length', $length);
    ini_set('session.sid_bits_per_character', $bits);
    $attackers = $fresh = [];
    $adopted = $leaked = $repeat_adopted = 0;
    for ($i = 0; $i < 100; ++$i) {
        $attacker = attacker_random($length, $bits) . '-n' . (1 + $i % 2) . '.web1';
        if ($bits === 6 && $i === 0) $attacker = str_repeat('-', $length) . '-n1.web1';  // all dashes
        if ($bits === 6 && $i === 1) $attacker = str_repeat(',', $length) . '-n2.web1';
        $attackers[] = $attacker;
        // The victim arrives with the attacker's ID and logs in.
        session_id($attacker);
        session_start();
        if (session_id() === $attacker) ++$adopted;
        if ($_SESSION !== []) ++$leaked;
        $_SESSION['user'] = "victim$i";
        $fresh[] = session_id();
        session_write_close();
        // The attacker tries the ID again: still nothing there.
        session_id($attacker);
        session_start();
        if (session_id() === $attacker || $_SESSION !== []) ++$repeat_adopted;
        session_abort();
    }
    $on_servers = 0;
    foreach ($attackers as $attacker) $on_servers += count(cs_where($attacker, $ports));
    $stored = 0;
    foreach ($fresh as $i => $id) {
        $parts = cs_split_id($id);
        if ($parts && $parts['route'] === 'web1' && strlen($parts['random']) === $length
            && (cs_where($id, $ports)[cs_store_port($id, $ports)] ?? '') === 'user|s:' . strlen("victim$i") . ":\"victim$i\";") {
            ++$stored;
        }
    }
    printf("sid_length %d, %d bits: adopted %d, data seen %d, adopted on retry %d, attacker keys on servers %d, fresh IDs %d distinct, %d stored with the victim's data\n",
           $length, $bits, $adopted, $leaked, $repeat_adopted, $on_servers, count(array_unique($fresh)), $stored);
}
echo "errors: ", clustered_session_stats()['errors'], "\n";
?>
--EXPECT--
sid_length 32, 4 bits: adopted 0, data seen 0, adopted on retry 0, attacker keys on servers 0, fresh IDs 100 distinct, 100 stored with the victim's data
sid_length 26, 5 bits: adopted 0, data seen 0, adopted on retry 0, attacker keys on servers 0, fresh IDs 100 distinct, 100 stored with the victim's data
sid_length 26, 6 bits: adopted 0, data seen 0, adopted on retry 0, attacker keys on servers 0, fresh IDs 100 distinct, 100 stored with the victim's data
errors: 0
