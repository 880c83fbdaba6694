--TEST--
another PHP process with the same settings reads the session back through the ID's store suffix
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
$ports = [cs_port(1), cs_port(2)];
ini_set('session.save_path', cs_save_path());

$reader = <<<'PHP'
session_id($_SERVER['argv'][1] ?? getenv('CS_ID'));
var_dump(session_start());
echo session_id() === getenv('CS_ID') ? "same ID\n" : "new ID " . session_id() . "\n";
var_dump($_SESSION);
$_SESSION['count']++;
session_write_close();
$s = clustered_session_stats();
echo "migrations $s[migrations], local_hits $s[local_hits], remote_reads $s[remote_reads]\n";
PHP;

// Sessions on both nodes, PHP's default IDs (6-bit IDs, with '-' in the random part:
// session_id_format_legacy_settings.phpt).
$seen = [];
// Until both nodes were used (at least 4 sessions; 2^-39 to see one node only).
for ($i = 0; $i < 40 && ($i < 4 || count($seen) < 2); ++$i) {
    $id = cs_session(null, function () { $_SESSION = ['user' => 'alice', 'count' => 1]; });
    $seen[cs_split_id($id)['store']] = true;
    putenv("CS_ID=$id");
    $r = cs_php($reader, ['session.save_path' => cs_save_path()]);
    if ($i === 0) echo $r['out'], $r['err'];
    // The other process changed it: count is 2 on the named node only.
    $where = cs_where($id, $ports);
    if ($where !== [cs_store_port($id, $ports) => 'user|s:5:"alice";count|i:2;']) {
        echo "after the other process: ", json_encode($where), "\n";
    }
}
ksort($seen);
echo "4 bits, stores: ", implode(' ', array_keys($seen)), "\n";
?>
--EXPECT--
bool(true)
same ID
array(2) {
  ["user"]=>
  string(5) "alice"
  ["count"]=>
  int(1)
}
migrations 0, local_hits 0, remote_reads 1
4 bits, stores: n1 n2
