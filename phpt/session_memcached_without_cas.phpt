--TEST--
memcached run with -C (no CAS tokens): a write there could not replace only the copy its request read (parallel increments were acknowledged twice, a slow write forked a session), so no session is stored on it while another node gives tokens, its sessions move off it, the stats and the operator's log say why once; with no node giving tokens a write fails with a warning and nothing is stored
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
$cas_less = cs_memcached_start(['-C']);
$normal = cs_memcached_start();
$ports = [$cas_less['port'], $normal['port']];
ini_set('session.save_path', cs_save_path(...$ports));

// Twenty new sessions: none on n1 (which the first contact finds without tokens).
$stores = [];
for ($i = 0; $i < 20; ++$i) $stores[] = cs_split_id(cs_session(null, function () use ($i) { $_SESSION = ['i' => $i]; }))['store'];
echo "stores of 20 new sessions: ", json_encode(array_count_values($stores)), "\n";
$n1 = clustered_session_stats()['nodes']['n1'];
echo "n1: cas_tokens ", var_export($n1['cas_tokens'], true), ", state ", $n1['state'], "\n";
echo "nothing on n1: ", var_export(cs_mc_stats($ports[0])['curr_items'] == 0, true), "\n";
foreach (cs_log() as $line) echo "log: ", preg_replace('/\(127\.0\.0\.1:\d+\)/', '(…)', $line), "\n";

// A node with only a -C server: a change cannot be stored anywhere safely.
$r = cs_php('session_start(); $_SESSION["x"] = 1; var_dump(session_write_close()); echo "errors ", clustered_session_stats()["errors"], "\n";',
            ['session.save_path' => cs_save_path($ports[0]), 'clustered_session.route' => 'web2']);
echo preg_replace('/\(127\.0\.0\.1:\d+\)/', '(…)', $r['out']), $r['err'];
echo "still nothing on n1: ", var_export(cs_mc_stats($ports[0])['curr_items'] == 0, true), "\n";
?>
--EXPECTF--
stores of 20 new sessions: {"n2":20}
n1: cas_tokens false, state up, no CAS tokens (memcached -C): stores no session
nothing on n1: true
log: memcached node n1 (…) gives no CAS tokens (memcached -C): a write there could not replace only the copy its request read, so no session is stored on it (they move to the other nodes); restart it without -C

Warning: session_write_close(): clustered_session: cannot write session: memcached node n1 (…): the server gives no CAS tokens (memcached -C), which conditional writes need: restart it without -C; nothing was stored in %s on line %d
bool(true)
errors 1
still nothing on n1: true
