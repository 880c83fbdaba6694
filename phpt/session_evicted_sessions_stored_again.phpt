--TEST--
memcached evicts sessions behind a living owner (-m 2, filled with items of the sessions' size): a busy owner's next takeover check sees memcached's eviction count grow, compares what it holds there and stores the evicted sessions again, asked for or not, so they outlive the owner; an idle owner past the 30 s notice gap serves what memcached lost and stores it again instead of dropping it; copies_lost counts them
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
$mc = cs_memcached_start(['-m', '2']);
$port = $mc['port'];
$save_path = cs_save_path($port);
// web1 runs on a clock the test moves (helper.inc, CsClock): a check is due one
// interval (1 s) on, and the notice gap is 30 s, without waiting for either.
$clock = new CsClock();
$web1 = new CsNode(['session.save_path' => $save_path, 'clustered_session.takeover_check_interval' => 1,
                    'clustered_session.touch_interval' => 600], $clock);

/** memcached's LRU evicts the oldest items: many new ones of the sessions' size. */
function fill(int $port, int $value_bytes): void
{
    $value = str_repeat('f', $value_bytes);
    $batch = '';
    for ($i = 0; $i < 40000; ++$i) {
        $batch .= 'set ' . str_pad("filler$i", 46, 'x') . " 0 0 $value_bytes noreply\r\n$value\r\n";
    }
    $c = new CsMemcachedConnection($port);
    $c->send($batch);
    $c->send("version\r\n");
    $c->line();
}

$ids = [];
foreach (['a', 'b', 'c'] as $name) {
    $ids[$name] = $web1->run('return cs_session(null, function () use ($name) { $_SESSION = ["user" => $name]; });',
                             ['name' => $name]);
}
$clock->advance(1);  // a check reads memcached's stats for the first time
$web1->run('cs_session(null, function () { $_SESSION = ["someone" => "else"]; });');

fill($port, strlen(cs_mc_get($port, "sess.$ids[a]")));
echo "evicted: ", implode(' ', array_map(fn ($id) => cs_mc_get($port, "sess.$id") === null ? 'gone' : 'there', $ids)), "\n";

// Busy: another user's requests, one a second; nobody asks for a, b or c.
for ($second = 0; $second < 2; ++$second) {
    $clock->advance(1);
    $web1->run('cs_session(null, function () { $_SESSION = ["another" => "user"]; });');
}
echo "after web1's checks: ", implode(' ', array_map(fn ($id) => cs_where($id, [$port])[$port] ?? 'gone', $ids)), "\n";
// a, b, c and the session of the request before the fill.
$web1->run('echo "copies_lost: ", clustered_session_stats()["copies_lost"] ?? "not counted", "\n";');

// Idle: d is lost (deleted here, as an eviction would) while web1 gets no request for 40 s.
$ids['d'] = $web1->run('return cs_session(null, function () { $_SESSION = ["user" => "d"]; });');
$c = new CsMemcachedConnection($port);
$c->send("delete sess.$ids[d]\r\n");
$c->line();
$clock->advance(40);
$web1->run(<<<'PHP'
    $got = 'nothing';
    $id = cs_session($d, function () use (&$got) { $got = $_SESSION['user'] ?? 'nothing'; });
    echo "idle owner serves d: $got", $id === $d ? ' (same ID)' : ' (NEW ID)', "\n";
    PHP, ['d' => $ids['d']]);
echo "d in memcached: ", cs_where($ids['d'], [$port])[$port] ?? 'gone', "\n";
$web1->stop();

// web1 dies: web2 finds every session in memcached.
foreach ($ids as $name => $id) {
    putenv("CS_ID=$id");
    $r = cs_php('session_id(getenv("CS_ID")); session_start(); echo $_SESSION["user"] ?? "none"; session_abort();',
                ['session.save_path' => $save_path, 'clustered_session.route' => 'web2']);
    echo "on web2, $name: ", $r['out'], $r['err'], "\n";
}
?>
--EXPECT--
evicted: gone gone gone
after web1's checks: user|s:1:"a"; user|s:1:"b"; user|s:1:"c";
copies_lost: 4
idle owner serves d: d (same ID)
d in memcached: user|s:1:"d";
on web2, a: a
on web2, b: b
on web2, c: c
on web2, d: d
