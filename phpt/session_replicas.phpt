--TEST--
replicas=1: every write also goes to the next node in save_path order; when the store node dies, other app nodes read the replica and move the session
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.replicas=1
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';

// web2 takes the session over (migration); web1, another process of the same
// route without a local copy, moves it off the dead store (relocation).
foreach (['web2', 'web1'] as $route) {
    $servers = [cs_memcached_start(), cs_memcached_start(), cs_memcached_start()];
    $ports = array_column($servers, 'port');
    $save_path = cs_save_path(...$ports);
    ini_set('session.save_path', $save_path);

    $id = cs_session(null, function () use ($route) { $_SESSION = ['for' => $route]; });
    $store = (int)substr(cs_split_id($id)['store'], 1) - 1;
    $replica = ($store + 1) % 3;
    $where = cs_where($id, $ports);
    ksort($where);
    $expected = [$ports[$store] => "for|s:4:\"$route\";", $ports[$replica] => "for|s:4:\"$route\";"];
    ksort($expected);
    echo "--- $route\non the store node and the next one only: ", var_export($where === $expected, true), "\n";

    cs_memcached_stop($servers[$store]['pid']);
    putenv("CS_ID=$id");
    $r = cs_php(<<<'PHP'
        session_id(getenv('CS_ID'));
        $ok = session_start();
        $result = ['start' => $ok, 'id' => session_id(), 'data' => $_SESSION];
        $_SESSION['seen'] = 1;
        session_write_close();
        $s = clustered_session_stats();
        $result += ['migrations' => $s['migrations'], 'relocations' => $s['relocations']];
        echo "\n", json_encode($result), "\n";
        PHP, ['session.save_path' => $save_path, 'clustered_session.route' => $route, 'clustered_session.replicas' => 1]);
    $lines = explode("\n", trim($r['out']));
    $result = json_decode(end($lines), true);
    // The new store's own replica may be the dead node: that one warning is expected.
    foreach (array_slice($lines, 0, -1) as $line) {
        if ($line !== '' && !str_contains($line, 'session written, but a replica write failed')) echo "  $line\n";
    }
    echo $r['err'];
    $new = $result['id'];
    $new_store = (int)substr(cs_split_id($new)['store'], 1) - 1;
    printf("start %s, new ID %s, route %s, data %s, migrations %d, relocations %d\n", var_export($result['start'], true),
           var_export($new !== $id, true), cs_split_id($new)['route'], json_encode($result['data']),
           $result['migrations'], $result['relocations']);
    echo "new store is alive: ", var_export($new_store !== $store, true), ", stored there: ",
         var_export((cs_where($new, [$ports[$new_store]])[$ports[$new_store]] ?? null) === "for|s:4:\"$route\";seen|i:1;", true), "\n";
    foreach ($servers as $i => $server) if ($i !== $store) cs_memcached_stop($server['pid']);
}
?>
--EXPECTF--
--- web2
on the store node and the next one only: true
start true, new ID true, route web2, data {"for":"web2"}, migrations 1, relocations 0
new store is alive: true, stored there: true
--- web1
on the store node and the next one only: true
start true, new ID true, route web1, data {"for":"web1"}, migrations 0, relocations 1
new store is alive: true, stored there: true
