--TEST--
save_path changed one app node at a time: a node added as ;joining first is read but never placed on until every app node knows it, so no session is lost on a node not yet updated; a ;drain node takes no new session and the owner moves its sessions off it on their next request; a node removed from save_path: the owner moves what it holds in its cache, and a node that holds nothing warns naming the unknown node
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
$servers = [cs_memcached_start(), cs_memcached_start(), cs_memcached_start()];
[$p1, $p2, $p3] = array_map(fn ($s) => $s['port'], $servers);
$ports = [$p1, $p2, $p3];
$two = "n1=127.0.0.1:$p1,n2=127.0.0.1:$p2";
$path = fn (string $n3) => "$two,n3=127.0.0.1:$p3$n3";
$store = fn (string $id) => cs_split_id($id)['store'];

// web2 is another app node: a PHP process of its own with its own save_path. It
// reads each session and prints its data; without strict mode it keeps the ID,
// so it takes nothing over (a read in strict mode moves the session to web2).
function web2_reads(array $ids, string $save_path): array
{
    putenv('CS_IDS=' . implode(',', $ids));
    $r = cs_php('foreach (explode(",", getenv("CS_IDS")) as $id) {
        session_id($id); session_start(); echo $_SESSION["user"] ?? "EMPTY", "\n"; session_abort(); }',
        ['session.save_path' => $save_path, 'clustered_session.route' => 'web2',
         'session.use_strict_mode' => '0']);
    if ($r['err'] !== '') echo "web2 stderr: $r[err]\n";
    return explode("\n", trim($r['out']));
}
$new_sessions = function (string $tag, int $count): array {
    $ids = [];
    for ($i = 0; $i < $count; ++$i) {
        $ids["$tag$i"] = cs_session(null, function () use ($tag, $i) { $_SESSION['user'] = "$tag$i"; });
    }
    return $ids;
};
$intact = function (array $ids, array $read): string {
    $good = count(array_filter(array_map(fn ($user, $got) => $user === $got, array_keys($ids), $read)));
    return $good === count($ids) ? 'all ' . count($ids) : "$good of " . count($ids);
};
$all = fn (int $n, int $of) => $n === $of ? "all $of" : "$n of $of";

echo "--- adding n3, step 1: web1 lists it ;joining, web2 does not know it yet\n";
ini_set('session.save_path', $path(';joining'));
$a = $new_sessions('a', 30);
echo "placed on n3: ", count(array_filter($a, fn ($id) => $store($id) === 'n3')), "\n";
echo "web2 (n1,n2) reads them: ", $intact($a, web2_reads($a, $two)), "\n";

echo "--- step 2: web2 lists it ;joining, web1 makes it active\n";
ini_set('session.save_path', $path(''));
$b = $new_sessions('b', 30);
$on_n3 = array_filter($b, fn ($id) => $store($id) === 'n3');
echo "placed on n3: ", count($on_n3) > 0 ? 'some' : 'none', "\n";
echo "web2 (n3 joining) reads them: ", $intact($b, web2_reads($b, $path(';joining'))), "\n";
// A session on n3 whose owner (web9, a process that ends) holds it nowhere else.
$r = cs_php('do { session_id(""); session_start(); $_SESSION["user"] = "x"; $id = session_id(); session_write_close(); }
             while (!str_contains($id, "-n3.")); echo $id;',
            ['session.save_path' => $path(''), 'clustered_session.route' => 'web9']);
$orphan = $r['out'];

echo "--- draining n3 (every app node lists it ;drain)\n";
ini_set('session.save_path', $path(';drain'));
$c = $new_sessions('c', 30);
echo "new sessions placed on n3: ", count(array_filter($c, fn ($id) => $store($id) === 'n3')), "\n";
// Half of the sessions on n3 come back to their owner during the drain.
$keep = array_slice($on_n3, 0, intdiv(count($on_n3) + 1, 2), true);
$idle = array_slice($on_n3, count($keep), null, true);
$moved = 0;
foreach ($keep as $user => $id) {
    $new = cs_session($id, function () { $_SESSION['seen'] = 1; });
    $state = cs_old_key_state($id, $new, $ports);
    if ($store($new) !== 'n3' && $state === 'forward') ++$moved;
    $keep[$user] = $new;
}
echo "requested during the drain, moved off n3 (old key a forward): ", $all($moved, count($keep)), "\n";
echo "web2 (n3 drain) reads the moved ones: ", $intact($keep, web2_reads($keep, $path(';drain'))), "\n";

echo "--- n3 removed from save_path, memcached n3 stopped\n";
ini_set('session.save_path', $two);
cs_memcached_stop($servers[2]['pid']);
echo "web2 (n1,n2) reads the drained ones: ", $intact($keep, web2_reads($keep, $two)), "\n";
// Those that idled through the drain are still in their owner's cache: the
// owner (where a route-aware balancer sends them) moves them from there.
$from_cache = 0;
foreach ($idle as $user => $id) {
    session_id($id);
    session_start();
    if (($_SESSION['user'] ?? '') === $user && session_id() !== $id && $store(session_id()) !== 'n3') ++$from_cache;
    $idle[$user] = session_id();
    session_write_close();
}
echo "idle ones, requested on their owner, moved from its cache: ", $all($from_cache, count($idle)), "\n";
echo "web2 reads them after the move: ", $intact($idle, web2_reads($idle, $two)), "\n";
// The session on n3 that no app node holds: web3 looks on n1 and n2, warns
// naming n3, and starts fresh (replicas >= 1 would have kept a copy).
putenv("CS_ID=$orphan");
$lost = cs_php('session_id(getenv("CS_ID")); session_start(); echo $_SESSION ? "found" : "fresh", "\n";',
               ['session.save_path' => $two, 'clustered_session.route' => 'web3']);
echo "a copy held nowhere but on n3, on web3: ", $lost['out'], $lost['err'];
echo "errors on web1: ", clustered_session_stats()['errors'], "\n";
?>
--EXPECTF--
--- adding n3, step 1: web1 lists it ;joining, web2 does not know it yet
placed on n3: 0
web2 (n1,n2) reads them: all 30
--- step 2: web2 lists it ;joining, web1 makes it active
placed on n3: some
web2 (n3 joining) reads them: all 30
--- draining n3 (every app node lists it ;drain)
new sessions placed on n3: 0
requested during the drain, moved off n3 (old key a forward): all %d
web2 (n3 drain) reads the moved ones: all %d
--- n3 removed from save_path, memcached n3 stopped
web2 (n1,n2) reads the drained ones: all %d
idle ones, requested on their owner, moved from its cache: all %d
web2 reads them after the move: all %d
a copy held nowhere but on n3, on web3: fresh
errors on web1: 0
