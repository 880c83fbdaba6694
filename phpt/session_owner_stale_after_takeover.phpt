--TEST--
after another node took a session over, the former owner does not serve its stale local copy to a request still carrying the old ID
--DESCRIPTION--
web1 owns S (local copy) and has served it. web2 takes it over (new ID N,
changed data), leaves a forward under S's key and appends S's key to web1's
takeover notices. A request that still carries S (a parallel request of the
page, started before the new cookie arrived) reaches web1 again after web1's
next notice check (clustered_session.takeover_check_interval, 1 s): web1 drops
its copy, follows the forward and takes the session back under a web1 ID with
web2's data. Before that check (within the interval) web1 would still serve its
copy: that window is the price of zero-round-trip reads (README, Failover).
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
// web1 runs on a clock that stands still until the test moves it (helper.inc,
// CsClock): its check interval passes when the clock is moved past it, not
// after a sleep, and nothing else that web1 does counts as time passing.
$clock = new CsClock();
$web1 = new CsNode(['session.save_path' => cs_save_path(), 'clustered_session.takeover_check_interval' => 1], $clock);
$old = $web1->run('return cs_session(null, function () { $_SESSION = ["n" => 1]; });');
$clock->advance(1);  // one check interval after start: web1's first notice check
$checks = $web1->run('cs_session($old, function () { }); return clustered_session_stats()["takeover_checks"];', ['old' => $old]);
putenv("CS_ID=$old");
$r = cs_php('echo cs_session(getenv("CS_ID"), function () { $_SESSION["n"] = 2; });',
            ['session.save_path' => cs_save_path(), 'clustered_session.route' => 'web2',
             'clustered_session.takeover_check_interval' => '1'], $clock);
$new = trim($r['out']);
echo "taken over by web2: ", var_export(cs_split_id($new)['route'] ?? null, true), "\n";

$clock->advance(1);  // past web1's next check
$web1->run(<<<'PHP'
    session_id($old);
    session_start();
    $now = session_id();
    echo "web1 with the old ID: ", $now === $old ? 'old ID' : 'moved', ", route ",
         cs_split_id($now)['route'], ", n=", $_SESSION['n'], "\n";
    session_abort();
    $stats = clustered_session_stats();
    echo "checks: ", $stats['takeover_checks'] - $checks, ", dropped: ", $stats['takeover_notices'], "\n";
    PHP, ['checks' => $checks]);
$web1->stop();
?>
--EXPECT--
taken over by web2: 'web2'
web1 with the old ID: moved, route web1, n=2
checks: 1, dropped: 1
