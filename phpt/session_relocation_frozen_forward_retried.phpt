--TEST--
relocation past a frozen memcached node (SIGSTOP): the forward under the old ID that the frozen node cannot take waits in the owner's cache and reaches it with the owner's first takeover check after it answers, so the old cookie then opens the new copy on another node, not the old one
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.retry_interval=1
clustered_session.takeover_check_interval=1
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$servers = [cs_memcached_start(), cs_memcached_start()];
$ports = [$servers[0]['port'], $servers[1]['port']];
$save_path = cs_save_path(...$ports);
ini_set('session.save_path', $save_path);

$id = cs_session(null, function () { $_SESSION = ['n' => 1]; });
$victim = cs_split_id($id)['store'] === 'n1' ? 0 : 1;
cs_memcached_freeze($servers[$victim]);

// A change while it is frozen: kept here (one timeout, one warning) ...
$id_again = cs_session($id, function () { $_SESSION['n'] = 2; });
// ... and the next request moves the session to the other node, under a new ID;
// the forward to the frozen node is kept for later.
$new = cs_session($id, function () { $_SESSION['n'] = 3; });
echo "moved: ", var_export($new !== $id, true), "\n";

cs_memcached_thaw($servers[$victim]);
$thawed_at = microtime(true);
echo "old key right after the thaw: ", cs_decode(cs_mc_get($ports[$victim], "sess.$id"))['forward'] ? 'forward' : 'the old copy', "\n";

// Once retry_interval and a takeover check interval have passed, any request on
// web1 runs the check that sends the forward.
usleep((int)(max(0, $thawed_at + 2.5 - microtime(true)) * 1e6));
cs_session(null, function () { $_SESSION = ['someone' => 'else']; });
$stored = cs_decode(cs_mc_get($ports[$victim], "sess.$id"));
echo "old key now: ", $stored['forward'] && $stored['payload'] === $new ? 'a forward to the new ID' : 'the old copy', "\n";

// The old cookie on another node opens the newest copy.
putenv("CS_ID=$id");
$r = cs_php('session_id(getenv("CS_ID")); session_start(); echo "n=", $_SESSION["n"] ?? "none", "\n"; session_abort();',
            ['session.save_path' => $save_path, 'clustered_session.route' => 'web2']);
echo "old cookie on web2: ", $r['out'], $r['err'];
?>
--EXPECTF--
Warning: session_write_close(): clustered_session: cannot write session %s through to memcached (%s); kept on this node and retried on its next request in %s on line %d

Warning: session_write_close(): clustered_session: session %s moved to %s, but the forward under its old ID could not be written (%s); it is retried once that node answers in %s on line %d
moved: true
old key right after the thaw: the old copy
old key now: a forward to the new ID
old cookie on web2: n=3
