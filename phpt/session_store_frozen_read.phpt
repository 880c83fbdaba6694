--TEST--
a frozen store node (SIGSTOP) on read: session_start() fails after io_timeout with a message naming io_timeout; nothing overwrites the real data, which is intact once the node resumes
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
$mc = cs_memcached_start();
$other = cs_memcached_start();
$ports = [$mc['port'], $other['port']];
ini_set('session.save_path', cs_save_path(...$ports));

// A session stored on the node we are going to freeze.
do {
    $id = cs_session(null, function () { $_SESSION = ['cart' => [1, 2, 3]]; });
} while (cs_split_id($id)['store'] !== 'n1');
$before = cs_mc_get($mc['port'], "sess.$id");
$sets_before = cs_mc_stats($mc['port'])['cmd_set'];

cs_memcached_freeze($mc);
// Another process (no local copy) of the same node resumes it and, should its
// session_start() wrongly succeed with an empty session, would write it back.
putenv("CS_ID=$id");
foreach (['1' => 'strict', '0' => 'not strict'] as $strict => $label) {
    $r = cs_php(<<<'PHP'
        session_id(getenv('CS_ID'));
        // How long it slept in the timeout (cs_time_asleep(): the time it ran or
        // waited for a CPU does not count, so a slow machine or valgrind adds
        // nothing): at least io_timeout (250 ms), which bounds the whole read.
        [$started, $slept] = cs_time_asleep(fn () => session_start());
        var_dump($started);
        echo $slept >= 0.2 && $slept < 4 ? "failed after about io_timeout\n" : "slept $slept s\n";
        $_SESSION = ['cart' => []];
        var_dump(session_write_close());
        PHP, ['session.save_path' => cs_save_path(...$ports), 'clustered_session.io_timeout' => 250,
              'session.use_strict_mode' => $strict]);
    echo "--- $label\n", $r['out'], $r['err'];
}
cs_memcached_thaw($mc);

$after = cs_mc_get($mc['port'], "sess.$id");
var_dump($after === $before, cs_decode($after)['payload']);
var_dump(cs_mc_stats($mc['port'])['cmd_set'] === $sets_before);
var_dump(cs_where($id, [$other['port']]));
?>
--EXPECTF--
--- strict

Warning: session_start(): clustered_session: cannot read session: memcached node n1 (127.0.0.1:%d): no complete reply within clustered_session.io_timeout (250 ms) in %s on line %d
bool(false)
failed after about io_timeout
bool(false)
--- not strict

Warning: session_start(): clustered_session: cannot read session: memcached node n1 (127.0.0.1:%d): no complete reply within clustered_session.io_timeout (250 ms) in %s on line %d
bool(false)
failed after about io_timeout
bool(false)
bool(true)
string(35) "cart|a:3:{i:0;i:1;i:1;i:2;i:2;i:3;}"
bool(true)
array(0) {
}
