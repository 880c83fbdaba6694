--TEST--
replicas = 1 on memcached nodes with different item size limits (n1 -I 1m, n2 -I 2m: an -I change rolled out node by node): a 1.5 MB change is refused with a warning whichever node is the primary, and no node holds it; before, the replica took what the primary refused (served once the owner and the primary were gone), and a change the replica refused was acknowledged (lost with them)
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.replicas=1
memory_limit=512M
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$servers = [cs_memcached_start(['-I', '1m']), cs_memcached_start(['-I', '2m'])];
$ports = [$servers[0]['port'], $servers[1]['port']];
ini_set('session.save_path', cs_save_path(...$ports));

// One session whose primary is n1 and one whose primary is n2.
$ids = [];
for ($i = 0; $i < 64 && count($ids) < 2; ++$i) {
    $id = cs_session(null, function () { $_SESSION = ['user' => 'alice']; });
    $ids[cs_split_id($id)['store']] ??= $id;
}
ksort($ids);
// The 1.5 MB change, in another process of the node (its warnings as a page shows them).
$change = <<<'PHP'
    session_id(getenv('CS_ID'));
    session_start();
    $_SESSION['blob'] = str_repeat('b', 1500000);
    session_write_close();
    PHP;
foreach ($ids as $store => $id) {
    putenv("CS_ID=$id");
    $r = cs_php($change, ['session.save_path' => cs_save_path(...$ports), 'clustered_session.replicas' => '1',
                          'memory_limit' => '512M']);
    foreach (explode("\n", trim($r['out'] . $r['err'])) as $line) {
        if (trim($line) !== '') echo "write: ", substr(preg_replace('/ \(127\.0\.0\.1:\d+\)/', '', trim($line)), 0, 190), "…\n";
    }
    $where = [];
    foreach ([0, 1] as $n) {
        $copy = cs_decode(cs_mc_get($ports[$n], "sess.$id"));
        $where[] = 'n' . ($n + 1) . ' ' . ($copy === null ? 'nothing' : (strlen($copy['payload']) > 1000000 ? 'THE CHANGE' : 'the old copy'));
    }
    echo "primary $store: ", implode(', ', $where), "\n";
}
?>
--EXPECTF--
write: Warning: session_write_close(): clustered_session: session data of %d bytes was refused (larger than the node's item size limit?); the previously stored session is unchanged: memcached …
primary n1: n1 the old copy, n2 the old copy
write: Warning: session_write_close(): clustered_session: session data of %d bytes was refused (larger than the node's item size limit?); the previously stored session is unchanged: memcached …
primary n2: n1 the old copy, n2 the old copy
