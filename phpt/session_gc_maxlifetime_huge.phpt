--TEST--
any session.gc_maxlifetime gives memcached an expiry that keeps the session: PHP_INT_MAX does not wrap to 1 s, 2^31 s is not a negative exptime (gone at once), ten years is an absolute time; lifetimes past 2038-01-19 are held until then
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
// memcached runs on a clock that stands still until the test moves it
// (helper.inc, CsClock): its expiry times pass when the clock is moved.
$clock = new CsClock();
$mc = cs_memcached_start([], null, $clock);
ini_set('session.save_path', cs_save_path($mc['port']));
$ids = [];
foreach (['PHP_INT_MAX' => PHP_INT_MAX, '2^31' => 2 ** 31, 'ten years' => 10 * 365 * 86400, '1440' => 1440] as $label => $lifetime) {
    ini_set('session.gc_maxlifetime', (string)$lifetime);
    $ids[$label] = cs_session(null, function () use ($label) { $_SESSION['l'] = $label; });
}
// Past any 1-second TTL (memcached counts whole seconds).
$clock->advance(2);
$clock->wait_for_memcached($mc);
putenv('CS_PORT=' . $mc['port']);
foreach ($ids as $label => $id) {
    $meta = cs_mc_meta($mc['port'], "sess.$id");
    // Another process (no local copy) reads it back through memcached.
    putenv("CS_ID=$id");
    $r = cs_php('session_id(getenv("CS_ID")); session_start(); echo $_SESSION["l"] ?? "empty"; session_abort();',
                ['session.save_path' => cs_save_path($mc['port']), 'clustered_session.route' => 'web2',
                 'session.use_strict_mode' => 0]);
    $ttl = $meta === null ? 'gone' : ($meta['ttl'] > 86400 ? 'more than a day' : ($meta['ttl'] > 0 ? 'about ' . round($meta['ttl'] / 60) . ' min' : $meta['ttl']));
    echo str_pad($label, 12), "in memcached: $ttl; read elsewhere: ", trim($r['out']), $r['err'], "\n";
}
// Set at start-up (php.ini), a lifetime memcached cannot keep gets one notice;
// one it can keep, none.
foreach ([PHP_INT_MAX, 1440] as $lifetime) {
    $r = cs_php('echo "started\n";', ['session.gc_maxlifetime' => (string)$lifetime]);
    echo trim(preg_replace('/^PHP /m', '', $r['out'] . $r['err'])), "\n";
}
?>
--EXPECTF--
PHP_INT_MAX in memcached: more than a day; read elsewhere: PHP_INT_MAX
2^31        in memcached: more than a day; read elsewhere: 2^31
ten years   in memcached: more than a day; read elsewhere: ten years
1440        in memcached: about 25 min; read elsewhere: 1440
Notice: PHP Startup: clustered_session: session.gc_maxlifetime + clustered_session.touch_interval = 9223372036854775807 s reaches past 2038-01-19 03:14:07 UTC, the last expiry memcached can store: sessions expire in memcached then at the latest in Unknown on line 0
started
started
