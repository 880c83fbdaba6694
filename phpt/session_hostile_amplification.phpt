--TEST--
amplification, strict mode: 500 random well-formed IDs (any store node, any route) cost at most one memcached get each (at most two with replicas=1) and no set or touch; 250 unparsable IDs cost no get at all; 50 IDs naming a node this save_path lacks cost at most one get per node listed (the session may have been left there when its node was removed), no warning (each starts a new session) and one line in the operator's log per minute for the app node, naming the node, never one each
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
$a = cs_memcached_start();
$b = cs_memcached_start();
$ports = [$a['port'], $b['port']];
$save_path = cs_save_path(...$ports);
ini_set('session.save_path', $save_path);
putenv('CS_PORTS=' . implode(',', $ports));

// Runs in this process and, for replicas=1 (PHP_INI_SYSTEM), in a child. Each
// attempt is one request with an attacker's ID: session_start() then
// session_abort() (nothing to write). Prints the worst and the total cost.
$probe = <<<'PHP'
    $ports = array_map('intval', explode(',', getenv('CS_PORTS')));
    $names = ['cmd_get', 'cmd_set', 'cmd_touch', 'delete_hits', 'delete_misses'];
    $run = function (string $label, callable $make, int $count) use ($ports, $names) {
        $total = array_fill_keys($names, 0);
        $worst = 0;
        $fresh = 0;
        $warned = 0;
        set_error_handler(function ($no, $text) use (&$warned) {
            ++$warned;
            echo $text, "\n";
            return true;
        });
        for ($i = 0; $i < $count; ++$i) {
            $id = $make($i);
            $before = cs_mc_counts($ports, $names);
            session_id($id);
            $ok = session_start();
            if ($ok && session_id() !== $id && $_SESSION === []) ++$fresh;
            if ($ok) session_abort();
            $after = cs_mc_counts($ports, $names);
            foreach ($names as $name) $total[$name] += $after[$name] - $before[$name];
            $worst = max($worst, $after['cmd_get'] - $before['cmd_get']);
        }
        restore_error_handler();
        // Log lines that name the unknown node (the operator's log, not the page).
        $named = count(preg_grep("/names memcached node 'n\\d+', which is not in session.save_path \\(n1, n2\\)/", cs_log()));
        printf("%s: %d attempts, %d fresh IDs; gets %d in all, at most %d per attempt; sets %d, touches %d, deletes %d; warnings %d, log lines naming the node %d\n",
               $label, $count, $fresh, $total['cmd_get'], $worst, $total['cmd_set'], $total['cmd_touch'],
               $total['delete_hits'] + $total['delete_misses'], $warned, $named);
    };
    $routes = ['web1', 'web2', 'web3', 'x'];
    $run('well-formed', fn ($i) => bin2hex(random_bytes(16)) . '-n' . (1 + $i % 2) . '.' . $routes[$i % 4], 500);
    $run('unknown node', fn ($i) => bin2hex(random_bytes(16)) . '-n' . (3 + $i) . '.web' . (1 + $i % 2), 50);
    $bad = [
        fn ($i) => bin2hex(random_bytes(16)) . '-n1',                               // no route
        fn ($i) => bin2hex(random_bytes(16)),                                       // no suffix
        fn ($i) => bin2hex(random_bytes(16)) . "\x01-n1.web1",                      // control byte
        fn ($i) => random_bytes(40),                                                // raw bytes
        fn ($i) => str_repeat('a', 238 + $i % 19) . '-n2.web1',                     // key over 250 bytes
    ];
    $run('unparsable', fn ($i) => $bad[$i % count($bad)]($i), 250);
    echo "errors: ", clustered_session_stats()['errors'], "\n";
    PHP;

echo "--- replicas=0\n";
eval($probe);
echo "--- replicas=1\n";
$r = cs_php($probe, ['session.save_path' => $save_path, 'clustered_session.replicas' => '1']);
echo $r['out'], $r['err'];
?>
--EXPECT--
--- replicas=0
well-formed: 500 attempts, 500 fresh IDs; gets 500 in all, at most 1 per attempt; sets 0, touches 0, deletes 0; warnings 0, log lines naming the node 0
unknown node: 50 attempts, 50 fresh IDs; gets 100 in all, at most 2 per attempt; sets 0, touches 0, deletes 0; warnings 0, log lines naming the node 1
unparsable: 250 attempts, 250 fresh IDs; gets 0 in all, at most 0 per attempt; sets 0, touches 0, deletes 0; warnings 0, log lines naming the node 0
errors: 0
--- replicas=1
well-formed: 500 attempts, 500 fresh IDs; gets 1000 in all, at most 2 per attempt; sets 0, touches 0, deletes 0; warnings 0, log lines naming the node 0
unknown node: 50 attempts, 50 fresh IDs; gets 100 in all, at most 2 per attempt; sets 0, touches 0, deletes 0; warnings 0, log lines naming the node 1
unparsable: 250 attempts, 250 fresh IDs; gets 0 in all, at most 0 per attempt; sets 0, touches 0, deletes 0; warnings 0, log lines naming the node 0
errors: 0
