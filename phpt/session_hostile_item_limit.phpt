--TEST--
session data exactly at and one byte over the item limit (memcached -I 1m): the boundary is item_size_max - 64 (the handler's bound on memcached's 59-byte item overhead) - 16 (our header) - key; at it the write round-trips byte for byte, one byte over gives one clear warning, the stored copy stays intact and nothing is truncated
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
memory_limit=512M
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$mc = cs_memcached_start(['-I', '1m']);
$port = $mc['port'];
$save_path = cs_save_path($port);
ini_set('session.save_path', $save_path);

/** Session data whose encoded form ('d|s:N:"...";') is exactly $bytes long, random content. */
function data_of_length(int $bytes): array
{
    for ($n = $bytes - 8; $n > 0; --$n) {
        if ($n + strlen((string)$n) + 8 === $bytes) return ['d' => random_bytes($n)];
    }
    cs_fail("no data of $bytes bytes");
}

/** What memcached itself says to a raw set of $length bytes (STORED or its error). */
function raw_set(int $port, string $key, int $length): string
{
    $c = new CsMemcachedConnection($port);
    $c->send("set $key 0 60 $length\r\n" . str_repeat('r', $length) . "\r\n");
    return $c->line();
}

$id = cs_session(null, function () { $_SESSION = ['small' => 'first']; });
$key = "sess.$id";
$boundary = 1048576 - 64 - 16 - strlen($key);
echo "key ", strlen($key), " bytes, boundary $boundary bytes of session data\n";

// memcached's own limit, found empirically for a key of this length: it stores
// key + value + 59 <= item_size_max. The handler's 64 keeps 5 bytes in hand, so
// it never sends a set that memcached would answer by dropping the stored copy.
$probe_key = str_repeat('p', strlen($key));
$largest = 1048576 - 59 - strlen($key);
echo "memcached stores a value of ", $largest, ": ", raw_set($port, $probe_key, $largest),
     ", of ", $largest + 1, ": ", raw_set($port, $probe_key, $largest + 1), "\n";
echo "our largest value (header + boundary) fits memcached: ", var_export(16 + $boundary <= $largest, true), "\n";

// Exactly at the boundary: stored in full, read back byte for byte elsewhere.
$at_limit = data_of_length($boundary);
session_id($id);
session_start();
$_SESSION = $at_limit;
$encoded = session_encode();
echo "at the limit: encoded ", strlen($encoded), " bytes, write: ", var_export(session_write_close(), true), "\n";
$stored = cs_mc_get($port, $key);
echo "stored ", strlen($stored), " bytes, payload is the data: ", var_export(cs_decode($stored)['payload'] === $encoded, true), "\n";
$reader = <<<'PHP'
    session_id(getenv('CS_ID'));
    session_start();
    echo session_id() === getenv('CS_ID') ? 'same ID' : 'NEW ID', ', ', strlen(session_encode()), ' bytes, md5 ', md5(session_encode()), "\n";
    session_abort();
    PHP;
putenv("CS_ID=$id");
$r = cs_php($reader, ['session.save_path' => $save_path, 'memory_limit' => '512M']);
echo "another process: ", trim($r['out']) === "same ID, $boundary bytes, md5 " . md5($encoded) ? 'the same bytes' : "DIFFERENT: $r[out]", $r['err'], "\n";

// One byte over: refused before it is sent, with a warning; nothing changes.
foreach ([1, 5] as $over) {
    session_id($id);
    session_start();
    $_SESSION = data_of_length($boundary + $over);
    session_write_close();
    echo "$over over: stored copy unchanged: ", var_export(cs_mc_get($port, $key) === $stored, true), "\n";
}
$r = cs_php($reader, ['session.save_path' => $save_path, 'memory_limit' => '512M']);
echo "another process: ", trim($r['out']) === "same ID, $boundary bytes, md5 " . md5($encoded) ? 'the at-limit bytes, not truncated' : "DIFFERENT: $r[out]", $r['err'], "\n";
session_id($id);
session_start();
echo "this process: ", var_export($_SESSION === $at_limit, true), "\n";
session_abort();
echo "errors: ", clustered_session_stats()['errors'], "\n";
?>
--EXPECTF--
key 45 bytes, boundary 1048451 bytes of session data
memcached stores a value of 1048472: STORED, of 1048473: SERVER_ERROR object too large for cache
our largest value (header + boundary) fits memcached: true
at the limit: encoded 1048451 bytes, write: true
stored 1048467 bytes, payload is the data: true
another process: the same bytes

Warning: session_write_close(): clustered_session: session data of 1048452 bytes was refused (larger than the node's item size limit?); the previously stored session is unchanged: memcached node n1 (127.0.0.1:%d): item of %d bytes (a value of %d bytes, its key and memcached's %d bytes per item) is larger than the node's item size limit of 1048576 bytes (memcached -I) in %s on line %d
1 over: stored copy unchanged: true

Warning: session_write_close(): clustered_session: session data of 1048456 bytes was refused (larger than the node's item size limit?); the previously stored session is unchanged: memcached node n1 (127.0.0.1:%d): item of %d bytes (a value of %d bytes, its key and memcached's %d bytes per item) is larger than the node's item size limit of 1048576 bytes (memcached -I) in %s on line %d
5 over: stored copy unchanged: true
another process: the at-limit bytes, not truncated
this process: true
errors: 2
