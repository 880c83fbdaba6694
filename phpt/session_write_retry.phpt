--TEST--
a failed write-through keeps the session locally (unsynced; no warning, the request lost nothing) and is retried on the next request once the node answers again
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
$port = $mc['port'];
// web1 runs on a clock that stands still until the test moves it (helper.inc,
// CsClock): the requests below come within retry_interval (3 s) of the failure
// however slowly the machine runs them, and it passes when the clock is moved.
$clock = new CsClock();
$web1 = new CsNode(['session.save_path' => cs_save_path($port), 'clustered_session.retry_interval' => 3], $clock);
$id = $web1->run('return cs_session(null, function () { $_SESSION = ["v" => 1]; });');

// The node is down during a write: kept here, one warning.
cs_memcached_stop($mc['pid']);
$web1->run(<<<'PHP'
    session_id($id);
    session_start();
    $_SESSION['v'] = 2;
    session_write_close();
    echo "errors: ", clustered_session_stats()['errors'], "\n";
    // Still served (and changeable) here meanwhile, without new warnings while
    // the node is known down (the write is tried again only after retry_interval).
    session_id($id);
    session_start();
    echo "served locally: v=", $_SESSION['v'], "\n";
    session_abort();
    PHP, ['id' => $id]);

// ... and once it is back and retry_interval has passed, the next request
// (even an unchanged one) first stores the pending copy.
$mc = cs_memcached_start([], $port);
$clock->advance(4);
$web1->run(<<<'PHP'
    session_id($id);
    session_start();
    var_dump(session_id() === $id, $_SESSION['v']);
    session_write_close();
    PHP);
echo "on memcached: ", cs_where($id, [$port])[$port] ?? 'nothing', "\n";
$web1->run('$s = clustered_session_stats(); echo "errors: $s[errors], relocations: $s[relocations]\n";');
$web1->stop();
?>
--EXPECTF--
errors: 0
served locally: v=2
bool(true)
int(2)
on memcached: v|i:2;
errors: 0, relocations: 0
