--TEST--
save_path "udp:HOST:PORT" (a scheme without //) is reported as an unknown scheme, not as an unbracketed IPv6 address
--DESCRIPTION--
src/store/save_path.cpp:113 tests the whole host ("udp:127.0.0.1") for being all
letters instead of the part before the first ':', so the "unknown scheme" branch
never runs and "udp:127.0.0.1:11211" or "memcached:host:11211" get "IPv6
addresses need brackets". Remove --XFAIL-- once that is fixed.
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
foreach (['udp:127.0.0.1:11211', 'memcached:localhost:11211'] as $path) {
    ini_set('session.save_path', $path);
    var_dump(session_start());
}
?>
--EXPECTF--
Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): unknown scheme 'udp' (use HOST:PORT or unix:/path) in %s on line %d
bool(false)

Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): unknown scheme 'memcached' (use HOST:PORT or unix:/path) in %s on line %d
bool(false)
