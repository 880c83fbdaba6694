--TEST--
hostile session IDs through session_id() (control bytes, NUL, bytes >= 0x80, over-long, unknown node, forged route), strict mode: each gets a fresh ID of ours, costs no get unless well-formed (then at most one; one per listed node, and a line in the operator's log naming the node, for an ID whose node this save_path lacks), and never becomes a memcached key
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

/** Every key on the server (memcached >= 1.6 "lru_crawler metadump"), URL-decoded. */
function hostile_keys(int $port): array
{
    // BUSY while memcached's LRU crawler is still at work (an earlier metadump,
    // its own crawls): asked again until it is done, for as long as CS_PATIENCE
    // allows (only a hang takes that long).
    $deadline = microtime(true) + CS_PATIENCE;
    while (microtime(true) < $deadline) {
        $c = new CsMemcachedConnection($port);
        $c->send("lru_crawler metadump all\r\n");
        $keys = [];
        $busy = false;
        while (($line = $c->line()) !== 'END') {
            if (str_starts_with($line, 'BUSY')) { $busy = true; break; }
            if (str_starts_with($line, 'ERROR') || str_starts_with($line, 'CLIENT_ERROR')) cs_fail("metadump: $line");
            if (preg_match('/^key=(\S+)/', $line, $m)) $keys[] = rawurldecode($m[1]);
        }
        if (!$busy) { sort($keys); return $keys; }
        usleep(20000);
    }
    cs_fail('metadump stayed busy');
}

$a = cs_memcached_start();
$b = cs_memcached_start();
$ports = [$a['port'], $b['port']];
ini_set('session.save_path', cs_save_path(...$ports));

$r = bin2hex(random_bytes(16));  // a random part of the right shape
// label => [ID, gets it may cost: 0 = refused before any network call]
$hostile = [
    'control byte 0x01' => ["$r\x01-n1.web1", 0],
    'control byte 0x1f first' => ["\x1f$r-n1.web1", 0],
    'DEL 0x7f' => ["$r\x7f-n2.web1", 0],
    'NUL inside' => ["$r\0-n1.web1", 0],
    'NUL first' => ["\0$r-n1.web1", 0],
    'NUL only' => ["\0", 0],
    'byte 0x80' => ["$r\x80-n1.web1", 0],
    'byte 0xff' => ["\xff$r-n2.web1", 0],
    'UTF-8 e-acute' => ["\xc3\xa9$r-n1.web1", 0],
    'over-long 238 (key 251 bytes)' => [str_repeat('a', 238) . '-n1.web1', 0],
    'over-long 256 (longest random part)' => [str_repeat('b', 256) . '-n2.web1', 0],
    'over-long 257' => [str_repeat('c', 257) . '-n1.web1', 0],
    'over-long 100000' => [str_repeat('d', 100000) . '-n1.web1', 0],
    // Looked for on every listed node: a removed node's sessions may be there.
    'unknown node' => ["$r-n3.web1", 2],
    'unknown node, 16 chars' => ["$r-abcdefghijklmnop.web1", 2],
    'node id too long' => ["$r-abcdefghijklmnopq.web1", 0],
    'uppercase node' => ["$r-N1.web1", 0],
    'suffix only' => ['-n1.web1', 0],
    'no random part' => ['a-n1.web1', 0],
    'forged route (other node)' => ["$r-n1.web2", 1],
    'forged route (nobody)' => ["$r-n2.evil", 1],
    'our own route, not stored' => ["$r-n1.web1", 1],
    'our own route, longest that fits' => [str_repeat('e', 237) . '-n2.web1', 1],
];

$fresh = [];
foreach ($hostile as $label => [$id, $allowed]) {
    $before = cs_mc_counts($ports, ['cmd_get', 'cmd_set', 'cmd_touch']);
    session_id($id);
    $ok = session_start();
    $new = session_id();
    $gets = cs_mc_counts($ports, ['cmd_get'])['cmd_get'] - $before['cmd_get'];
    $parts = cs_split_id($new);
    $ours = $new !== $id && $parts !== null && $parts['route'] === 'web1'
            && in_array($parts['store'], ['n1', 'n2'], true) && strlen($parts['random']) === 32
            && !in_array($new, $fresh, true);
    printf("%s: start %s, %s, data %s, gets %s\n", $label, var_export($ok, true),
           $ours ? 'fresh ID' : 'WRONG ID ' . json_encode(substr($new, 0, 80)), json_encode($_SESSION),
           $gets <= $allowed ? 'ok' : "$gets (at most $allowed)");
    $_SESSION['label'] = $label;
    session_write_close();
    $fresh[] = $new;
}

// On the servers there is exactly one key per fresh ID, holding its data, and
// nothing else: no hostile ID ever became (part of) a key.
$keys = array_merge(hostile_keys($ports[0]), hostile_keys($ports[1]));
sort($keys);
$expected = array_map(fn ($id) => "sess.$id", $fresh);
sort($expected);
echo "keys on the servers are exactly the fresh IDs: ", var_export($keys === $expected, true), "\n";
$intact = 0;
foreach ($fresh as $i => $id) {
    $label = array_keys($hostile)[$i];
    if ((cs_where($id, $ports)[cs_store_port($id, $ports)] ?? null) === 'label|s:' . strlen($label) . ":\"$label\";") ++$intact;
}
echo "fresh sessions stored with their data: $intact of ", count($fresh), "\n";
echo "errors: ", clustered_session_stats()['errors'], "\n";
// The unknown nodes went to the operator's log, once a minute for the node: the
// first one only.
foreach (cs_log() as $line) echo "log: ", preg_replace('/^session \S+ /', 'session <id> ', $line), "\n";
?>
--EXPECTF--
control byte 0x01: start true, fresh ID, data [], gets ok
control byte 0x1f first: start true, fresh ID, data [], gets ok
DEL 0x7f: start true, fresh ID, data [], gets ok
NUL inside: start true, fresh ID, data [], gets ok
NUL first: start true, fresh ID, data [], gets ok
NUL only: start true, fresh ID, data [], gets ok
byte 0x80: start true, fresh ID, data [], gets ok
byte 0xff: start true, fresh ID, data [], gets ok
UTF-8 e-acute: start true, fresh ID, data [], gets ok
over-long 238 (key 251 bytes): start true, fresh ID, data [], gets ok
over-long 256 (longest random part): start true, fresh ID, data [], gets ok
over-long 257: start true, fresh ID, data [], gets ok
over-long 100000: start true, fresh ID, data [], gets ok
unknown node: start true, fresh ID, data [], gets ok
unknown node, 16 chars: start true, fresh ID, data [], gets ok
node id too long: start true, fresh ID, data [], gets ok
uppercase node: start true, fresh ID, data [], gets ok
suffix only: start true, fresh ID, data [], gets ok
no random part: start true, fresh ID, data [], gets ok
forged route (other node): start true, fresh ID, data [], gets ok
forged route (nobody): start true, fresh ID, data [], gets ok
our own route, not stored: start true, fresh ID, data [], gets ok
our own route, longest that fits: start true, fresh ID, data [], gets ok
keys on the servers are exactly the fresh IDs: true
fresh sessions stored with their data: 23 of 23
errors: 0
log: session <id> names memcached node 'n3', which is not in session.save_path (n1, n2); it is neither in this node's cache nor on n1, n2, so a new session starts
