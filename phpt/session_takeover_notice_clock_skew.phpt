--TEST--
takeover notices do not depend on synchronised clocks: a new owner whose clock is three minutes behind (faketime) takes a session over, and within a takeover check interval the old owner stops serving its cached copy and finds the new one
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
$port = cs_port(1);
$save_path = cs_save_path($port);

// web1, the old owner, and web2 run on clocks of their own that stand still
// until the test moves them (helper.inc, CsClock): web2's three minutes behind
// web1's. web1's takeover check interval (1 s) passes when its clock is moved,
// not after a wait in real time.
$now = time();
$web1_clock = new CsClock($now);
$web2_clock = new CsClock($now - 180);
$web1 = new CsNode(['session.save_path' => $save_path, 'clustered_session.takeover_check_interval' => 1], $web1_clock);

$id = $web1->run('return cs_session(null, function () { $_SESSION = ["n" => 1]; });');
// One check interval on, web1 serves it from its cache (and checks its notices).
$web1_clock->advance(1);
$web1->run('cs_session($id, function () { ++$_SESSION["n"]; }); echo "web1 checks: ", clustered_session_stats()["takeover_checks"], "\n";',
           ['id' => $id]);

// web2, three minutes behind, takes it over and counts on.
putenv("CS_ID=$id");
$r = cs_php('session_id(getenv("CS_ID")); session_start(); ++$_SESSION["n"]; echo "web2 n=", $_SESSION["n"], "\n"; session_write_close();',
            ['session.save_path' => $save_path, 'clustered_session.route' => 'web2'], $web2_clock);
echo $r['out'], $r['err'];

// The old cookie on web1 after one more check interval: not its stale n=2.
$web1_clock->advance(1);
$web1->run(<<<'PHP'
    session_id($id);
    session_start();
    echo "web1, old cookie: n=", $_SESSION['n'], ", ID ", session_id() === $id ? 'unchanged (stale copy served)' : 'moved on', "\n";
    session_write_close();
    echo "takeover_notices: ", clustered_session_stats()['takeover_notices'] >= 1 ? 'read' : 'none', "\n";
    PHP);
$web1->stop();
?>
--EXPECT--
web1 checks: 1
web2 n=3
web1, old cookie: n=3, ID moved on
takeover_notices: read
