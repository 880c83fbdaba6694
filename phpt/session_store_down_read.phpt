--TEST--
a store node that is down (nothing listens) on read: session_start() returns false with a warning naming the node and the cause (connection refused), never an empty session
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.retry_interval=3600
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$live = cs_port(1);
$dead = cs_dead_port();
ini_set('session.save_path', cs_save_path($live, $dead));
// retry_interval is 3600 s, longer than run-tests.php lets any test run
// (scripts/run-phpt.sh, run-phpt-valgrind.sh): a node that failed stays marked
// down until the test ends, however slowly the machine runs it.

// Strict mode: validate_sid cannot know whether the session exists, so the ID
// is not replaced by a fresh one (that would silently log the user out); the
// read fails instead.
$id = str_repeat('ab12', 8) . '-n2.web1';
session_id($id);
var_dump(session_start(), session_status() === PHP_SESSION_ACTIVE);
// Within retry_interval the node is not tried again; the warning says why.
// (PHP forgets the ID after a failed start: set it again.)
session_id($id);
var_dump(session_start(), session_status() === PHP_SESSION_ACTIVE);
$stats = clustered_session_stats();
echo "n2 up: ", var_export($stats['nodes']['n2']['up'], true), ", failures ", $stats['nodes']['n2']['failures'], "\n";

// Without strict mode, the same.
ini_set('session.use_strict_mode', 0);
session_id(str_repeat('cd34', 8) . '-n2.web1');
var_dump(session_start());

// A session on the live node is not affected.
ini_set('session.use_strict_mode', 1);
$ok = cs_session(null, function () { $_SESSION['fine'] = 1; });
echo cs_split_id($ok)['store'], "\n";
?>
--EXPECTF--
Warning: session_start(): clustered_session: cannot read session: memcached node n2 (127.0.0.1:%d): connection refused in %s on line %d
bool(false)
bool(false)

Warning: session_start(): clustered_session: cannot read session: memcached node n2 (127.0.0.1:%d): marked down %d s ago (no connection), tried again every 3600 s (clustered_session.retry_interval) in %s on line %d
bool(false)
bool(false)
n2 up: false, failures 1

Warning: session_start(): clustered_session: cannot read session: memcached node n2 (127.0.0.1:%d): marked down %d s ago (no connection), tried again every 3600 s (clustered_session.retry_interval) in %s on line %d
bool(false)
n1
