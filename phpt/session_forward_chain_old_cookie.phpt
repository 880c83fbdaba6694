--TEST--
a cookie six takeovers old (web1 and web2 taking the session in turn) still finds the session, and the chain it followed is shortened to one hop
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.takeover_check_interval=0
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$port = cs_port(1);
$save_path = cs_save_path($port);
ini_set('session.save_path', $save_path);

$first = cs_session(null, function () { $_SESSION = ['n' => 0]; });
// One request of the session on web2 (another process): takes it over, counts.
$on_web2 = <<<'PHP'
    session_id(getenv('CS_ID'));
    session_start();
    ++$_SESSION['n'];
    echo session_id();
    session_write_close();
    PHP;
$current = $first;
for ($takeover = 1; $takeover <= 6; ++$takeover) {
    if ($takeover % 2 === 1) {
        putenv("CS_ID=$current");
        $r = cs_php($on_web2, ['session.save_path' => $save_path, 'clustered_session.route' => 'web2']);
        if ($r['err'] !== '' || $r['out'] === $current) cs_fail("takeover $takeover: $r[out] $r[err]");
        $current = $r['out'];
    } else {
        $moved = cs_session($current, function () { ++$_SESSION['n']; });
        if ($moved === $current) cs_fail("takeover $takeover did not move the session");
        $current = $moved;
    }
}
echo "six takeovers, now ", cs_split_id($current)['route'], "\n";

// The first cookie comes back (a restored tab), on a third node.
$reader = <<<'PHP'
    session_id(getenv('CS_ID'));
    session_start();
    echo "n=", $_SESSION['n'] ?? 'nothing', "\n";
    session_abort();
    PHP;
putenv("CS_ID=$first");
$before = cs_mc_counts([$port], ['cmd_get'])['cmd_get'];
$r = cs_php($reader, ['session.save_path' => $save_path, 'clustered_session.route' => 'web3']);
echo "first cookie: ", $r['out'], $r['err'];
$forward = cs_decode(cs_mc_get($port, "sess.$first"));
echo "its forward now points at the newest copy: ", var_export($forward['forward'] && $forward['payload'] === $current, true), "\n";
$before = cs_mc_counts([$port], ['cmd_get'])['cmd_get'];
$r = cs_php($reader, ['session.save_path' => $save_path, 'clustered_session.route' => 'web3']);
echo "again: ", $r['out'], $r['err'];
echo "gets: ", cs_mc_counts([$port], ['cmd_get'])['cmd_get'] - $before, " (the forward, the session, the takeover check)\n";
?>
--EXPECTF--
six takeovers, now web1
first cookie: n=6
its forward now points at the newest copy: true
again: n=6
gets: %d (the forward, the session, the takeover check)
