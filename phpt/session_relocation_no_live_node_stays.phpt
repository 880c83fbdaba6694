--TEST--
save_path drops the session's store node while the only node left is frozen (SIGSTOP): the owner's next request must move the session, but no other node answers, so it stays on the dropped node, which still answers, under its new ID, instead of an ID naming the frozen node with the change held only in this app node's cache; another app node that lists both nodes reads it
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
$servers = [cs_memcached_start(), cs_memcached_start()];
$ports = array_column($servers, 'port');
ini_set('session.save_path', cs_save_path(...$ports));

// A session whose store is n1, counter at 1, held in this app node's cache.
do {
    $id = cs_session(null, function () { $_SESSION = ['counter' => 1]; });
} while (cs_split_id($id)['store'] !== 'n1');

// n1 leaves save_path (without a drain: this node remembers it as dropped), and
// n2, the only node listed, freezes.
ini_set('session.save_path', "n2=127.0.0.1:$ports[1]");
cs_memcached_freeze($servers[1]);
$moved = cs_session($id, function () { $_SESSION['counter']++; });
echo "moved: ", $moved !== $id ? 'yes' : 'no', ", to ", cs_split_id($moved)['store'], "\n";
var_dump(cs_decode(cs_mc_get($ports[0], "sess.$moved"))['payload'] ?? null);
cs_memcached_thaw($servers[1]);

// web2, a process of its own (this node's cache is not there), lists both nodes.
putenv("CS_ID=$moved");
$r = cs_php('session_id(getenv("CS_ID")); var_dump(session_start());
             echo "counter ", $_SESSION["counter"] ?? "none", "\n";',
            ['session.save_path' => cs_save_path(...$ports), 'clustered_session.route' => 'web2',
             'session.use_strict_mode' => '0']);
echo $r['out'], $r['err'];
?>
--EXPECT--
moved: yes, to n1
string(12) "counter|i:2;"
bool(true)
counter 2
