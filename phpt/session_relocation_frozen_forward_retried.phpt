--TEST--
relocation past a frozen memcached node (SIGSTOP): the forward under the old ID that the frozen node cannot take waits in the owner's cache and reaches it with the owner's first takeover check after it answers, so the old cookie then opens the new copy on another node, not the old one
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
$ports = [$servers[0]['port'], $servers[1]['port']];
$save_path = cs_save_path(...$ports);

// web1, the owner, runs on a clock that stands still until the test moves it
// (helper.inc, CsClock): every request below comes within retry_interval and
// within one takeover check interval of the last, however long the frozen
// node's timeouts and the machine take, until the clock is moved past them.
$clock = new CsClock();
$web1 = new CsNode(['session.save_path' => $save_path, 'clustered_session.retry_interval' => 1,
                    'clustered_session.takeover_check_interval' => 1], $clock);
$id = $web1->run('return cs_session(null, function () { $_SESSION = ["n" => 1]; });');
$victim = cs_split_id($id)['store'] === 'n1' ? 0 : 1;
cs_memcached_freeze($servers[$victim]);

// A change while it is frozen: kept here (one timeout, one warning); the node
// counts as down for retry_interval ...
$web1->run('cs_session($id, function () { $_SESSION["n"] = 2; });', ['id' => $id]);
// ... so the next request moves the session to the other node, under a new ID;
// the forward to the frozen node is kept for later.
$new = $web1->run('return cs_session($id, function () { $_SESSION["n"] = 3; });', ['id' => $id]);
echo "moved: ", var_export($new !== $id, true), "\n";

cs_memcached_thaw($servers[$victim]);
$old_key = function () use ($ports, $victim, $id, $new) {
    $stored = cs_decode(cs_mc_get($ports[$victim], "sess.$id"));
    return $stored['forward'] ? ($stored['payload'] === $new ? 'a forward to the new ID' : "a forward to $stored[payload]") : 'the old copy';
};
echo "old key right after the thaw: ", $old_key(), "\n";
// Before retry_interval has passed web1 still counts the node as down, and no
// takeover check is due: a request sends nothing to it.
$web1->run('cs_session(null, function () { $_SESSION = ["someone" => "else"]; });');
echo "old key while web1 counts the node down: ", $old_key(), "\n";

// Once retry_interval (1 s) and a takeover check interval (1 s) have passed,
// any request on web1 runs the check that sends the forward.
$clock->advance(2);
$web1->run('cs_session(null, function () { $_SESSION = ["someone" => "else"]; });');
echo "old key now: ", $old_key(), "\n";

// The old cookie on another node opens the newest copy.
putenv("CS_ID=$id");
$r = cs_php('session_id(getenv("CS_ID")); session_start(); echo "n=", $_SESSION["n"] ?? "none", "\n"; session_abort();',
            ['session.save_path' => $save_path, 'clustered_session.route' => 'web2']);
echo "old cookie on web2: ", $r['out'], $r['err'];
$web1->stop();
// No warning in any of web1's pages (nothing of theirs was lost); web1's log has
// one line when the node stopped answering and one when it answered again.
foreach (cs_log() as $line) echo "log: ", preg_replace('/\(127\.0\.0\.1:\d+\)/', '(…)', $line), "\n";
?>
--EXPECTF--
moved: true
old key right after the thaw: the old copy
old key while web1 counts the node down: the old copy
old key now: a forward to the new ID
old cookie on web2: n=3
log: memcached node n%d (…) down: no complete reply within clustered_session.io_timeout (250 ms); sessions stored there move to the other nodes, and it is tried again every %d s (clustered_session.retry_interval)
log: memcached node n%d (…) back after %d s; %d writes it missed were kept on this app node for a retry
