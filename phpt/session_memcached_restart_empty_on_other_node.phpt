--TEST--
memcached restarted empty, round-robin balancer: a session's next request goes to another app node (web2) before its owner (web1) stored it again; web2 waits for the owner's next takeover check instead of starting an empty session (which lost the session); an ID nobody had still gets a new session once the wait's window (2 * takeover_check_interval + 1 s) has passed; web2 counts each wait by how it ended and the time it held (on its clock), web1 none
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
$ini = ['session.save_path' => cs_save_path($port), 'clustered_session.takeover_check_interval' => 1,
        'clustered_session.touch_interval' => 600];
// Each app node on a clock of its own that stands still until the test moves it
// (helper.inc, CsClock): web1's takeover check is due when the test moves web1's
// clock one check interval (1 s) on, and web2's wait ends only when the test
// moves web2's clock past its window, never after a wait in real time.
$clock1 = new CsClock();
$clock2 = new CsClock();
$web1 = new CsNode($ini, $clock1);
$web2 = new CsNode($ini + ['clustered_session.route' => 'web2'], $clock2);

// Three sessions owned by web1 (IDs ending in .web1), counters at 11, 21, 31.
$ids = [];
for ($i = 1; $i <= 3; ++$i) {
    $id = $web1->run('return cs_session(null, function () use ($start) { $_SESSION = ["counter" => $start]; });', ['start' => 10 * $i]);
    $ids[$i] = $web1->run('return cs_session($id, function () { ++$_SESSION["counter"]; });', ['id' => $id]);
}
// web1's first check looks at n1; web2 serves a user of its own (its first contact with n1).
$clock1->advance(1);
$web1->run('cs_session(null, function () { $_SESSION = ["someone" => "else"]; });');
$web2->run('cs_session(null, function () { $_SESSION = ["web2" => "user"]; });');

/** A connection to memcached on $port that reports every get it answers (memcached's "watch fetchers"). */
function watch(int $port)
{
    $watch = @stream_socket_client("tcp://127.0.0.1:$port", $errno, $error, CS_PATIENCE);
    if ($watch === false) cs_fail("cannot connect to memcached on port $port: $error");
    fwrite($watch, "watch fetchers\r\n");
    if (($ok = fgets($watch)) !== "OK\r\n") cs_fail("watch fetchers: $ok");
    return $watch;
}

/**
 * Waits until memcached answers a get of session $id with a miss (at real time
 * $since or later: memcached's "ts"), or until web2's child $pid has ended (then
 * false: it read no more).
 */
function wait_for_miss($watch, string $id, int $pid, float $since = 0): bool
{
    $deadline = microtime(true) + CS_PATIENCE;
    while (microtime(true) < $deadline) {
        $read = [$watch];
        $write = $except = null;
        if (stream_select($read, $write, $except, 0, 10000) === 1) {
            $line = fgets($watch);
            if ($line === false) cs_fail('memcached closed the watch');
            if (str_contains($line, " key=sess.$id status=not_found ") &&
                preg_match('/^ts=([0-9.]+) /', $line, $m) && (float)$m[1] >= $since) return true;
            continue;
        }
        // Ended: gone, or a zombie until web2 waits for it.
        $stat = @file_get_contents("/proc/$pid/stat");
        if ($stat === false || substr($stat, (int)strrpos($stat, ')') + 2, 1) === 'Z') return false;
    }
    cs_fail("waited in vain for a get of $id or the end of web2's child $pid");
}

/** Starts a request of session $id on web2 in a child of web2 (its segment, its cache); returns the child's PID. */
function start_on_web2(CsNode $web2, string $id): int
{
    return $web2->run(<<<'PHP'
        $child = cs_fork(function () use ($id) {
            session_id($id);
            if (!session_start()) return 'session_start() failed';
            $seen = ['id' => session_id(), 'session' => $_SESSION];
            session_write_close();
            return $seen;
        });
        return $child['pid'];
        PHP, ['id' => $id]);
}

function finish_on_web2(CsNode $web2): array
{
    $r = $web2->run('return cs_fork_wait($child);');
    echo $r['output'];
    if (!is_array($r['result'])) cs_fail('web2: ' . var_export($r['result'], true));
    return $r['result'];
}

// One restart per session: web1's check stores everything it holds there at once.
foreach ($ids as $i => $id) {
    cs_memcached_stop($mc['pid']);
    $mc = cs_memcached_start([], $port);
    $watch = watch($port);
    // The balancer sends the session to web2 first: it finds nothing on n1 (and,
    // since the restart hold, reads it again while web2's clock stands).
    wait_for_miss($watch, $id, start_on_web2($web2, $id));
    // Only then does web1 serve someone (another user) with its check due: the
    // check sees n1's new process and stores what web1 holds there again.
    $clock1->advance(1);
    $web1->run('cs_session(null, function () { $_SESSION = ["another" => "user"]; });');
    $seen = finish_on_web2($web2);
    echo "session $i, on web2 first after restart $i: counter ", $seen['session']['counter'] ?? 'none (an empty session)', "\n";
    fclose($watch);
}

// An ID web1 made but never stored (nobody had it), within the window of the
// last restart on web2's clock: web2 reads it again and again while its clock
// stands, still 1 s short of the window (2 * 1 s + 1 s); once its clock passes
// the window the miss stands and the client gets a new, empty session.
$unknown = $web1->run('session_id(""); session_start(); $made = session_id(); session_abort(); return $made;');
$watch = watch($port);
$pid = start_on_web2($web2, $unknown);
wait_for_miss($watch, $unknown, $pid);
echo "an ID nobody had, on web2: ", wait_for_miss($watch, $unknown, $pid) ? 'read again' : 'not read again', "\n";
$clock2->advance(2);
$moved = microtime(true);
// Two gets since: the second began after the first, i.e. after the clock moved.
echo "2 s on, on web2's clock: ",
     wait_for_miss($watch, $unknown, $pid, $moved) && wait_for_miss($watch, $unknown, $pid, $moved) ? 'still read again' : 'not read again', "\n";
$clock2->advance(1);
$seen = finish_on_web2($web2);
echo "3 s on (the window passed): ",
     $seen['id'] !== $unknown && cs_split_id($seen['id'])['route'] === 'web2' ? 'a new ID' : "ID $seen[id]", ', ',
     $seen['session'] === [] ? 'empty' : json_encode($seen['session']), "\n";

// Every wait was counted on web2, where it ran, by how it ended: the three
// sessions found (held while web2's clock stood: 0 ms), the unknown ID's window
// passed (3 s on web2's clock); the same in the metrics. web1 only served its
// own sessions and held none.
$holds = '$s = clustered_session_stats();
    return [$s["restart_holds"] ?? "not counted", $s["restart_holds_found"] ?? "-",
            $s["restart_holds_expired"] ?? "-", $s["restart_hold_ms"] ?? "-",
            implode("\n", preg_grep("/^clustered_session_restart_hold/", explode("\n", clustered_session_metrics())))];';
foreach (['web1' => $web1, 'web2' => $web2] as $name => $node) {
    [$began, $found, $expired, $held, $metrics] = $node->run($holds);
    echo "$name: $began holds, $found found, $expired expired, $held ms held\n";
}
echo $metrics, "\n";
$web1->stop();
$web2->stop();
?>
--EXPECT--
session 1, on web2 first after restart 1: counter 11
session 2, on web2 first after restart 2: counter 21
session 3, on web2 first after restart 3: counter 31
an ID nobody had, on web2: read again
2 s on, on web2's clock: still read again
3 s on (the window passed): a new ID, empty
web1: 0 holds, 0 found, 0 expired, 0 ms held
web2: 4 holds, 3 found, 1 expired, 3000 ms held
clustered_session_restart_holds_total{route="web2"} 4
clustered_session_restart_holds_found_total{route="web2"} 3
clustered_session_restart_holds_expired_total{route="web2"} 1
clustered_session_restart_hold_ms_total{route="web2"} 3000
