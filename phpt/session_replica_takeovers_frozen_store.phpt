--TEST--
replicas = 1 with the session's store node frozen (SIGSTOP): two takeovers of one session on web2 and web3 both read the replica's copy; the first is saved and leaves its forward on the replica, the second is refused with a warning (its forward would have replaced the first one's) and its ID forwards back: every cookie then opens the one session, none a second copy, and no acknowledged change is lost
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.replicas=1
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$servers = [cs_memcached_start(), cs_memcached_start()];
$ports = [$servers[0]['port'], $servers[1]['port']];
$save_path = cs_save_path(...$ports);
ini_set('session.save_path', $save_path);

// A session whose store is n1 (its replica on n2), made on web1.
do {
    $id = cs_session(null, function () { $_SESSION = ['n' => 1]; });
} while (cs_split_id($id)['store'] !== 'n1');
$ini = ['session.save_path' => $save_path, 'clustered_session.replicas' => '1', 'display_errors' => '1'];
// web2 and web3 run on a clock the test moves (helper.inc, CsClock): their next
// takeover check, which retries what the frozen node missed, is one interval on.
$clock = new CsClock();
$ini += ['clustered_session.takeover_check_interval' => '1'];
$web2 = new CsNode($ini + ['clustered_session.route' => 'web2'], $clock);
$web3 = new CsNode($ini + ['clustered_session.route' => 'web3'], $clock);
cs_memcached_freeze($servers[0]);

// Both take the session over (the balancer sent its requests to two nodes), and
// both have read it before either writes.
$open = 'session_id($id); session_start(); echo "  read n=", $_SESSION["n"] ?? "none", "\n"; return session_id();';
echo "web2:\n";
$first = $web2->run($open, ['id' => $id]);
echo "web3:\n";
$second = $web3->run($open, ['id' => $id]);
// (PHP 8.2's session_write_close() returns true even when the write was refused.)
$close = '$_SESSION["n"] = 2; session_write_close(); echo "  done\n";';
echo "web2 writes:\n";
$web2->run($close);
echo "web3 writes:\n";
$web3->run($close);
// n1 answers again; web2's next check (another user's request) gives it the
// forward it missed while frozen.
cs_memcached_thaw($servers[0]);
$clock->advance(3);
foreach ([$web2, $web3] as $node) {
    $node->run('cs_session(null, function () { $_SESSION = ["someone" => "else"]; });');
    $node->stop();
}

// Every cookie, on a fourth node, opens the one session (each request adds one).
$web4 = new CsNode($ini + ['clustered_session.route' => 'web4']);
foreach (['old cookie' => $id, "web2's cookie" => $first, "web3's cookie" => $second] as $label => $cookie) {
    $web4->run('session_id($c); session_start(); echo "$label opens n=", $_SESSION["n"] ?? "none", "\n"; $_SESSION["n"] = ($_SESSION["n"] ?? 0) + 1; session_write_close();',
               ['c' => $cookie, 'label' => $label]);
}
$web4->stop();
?>
--EXPECTF--
web2:
  read n=1
web3:
  read n=1
web2 writes:
  done
web3 writes:

Warning: session_write_close(): clustered_session: session %s-n1.web1 was not saved: it changed on another node while this request ran, and moving it would have overwritten that; %s.web3 forwards to it in %s on line %d
  done
old cookie opens n=2
web2's cookie opens n=3
web3's cookie opens n=4
