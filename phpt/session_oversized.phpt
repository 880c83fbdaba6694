--TEST--
oversized session (2 MB against memcached -I 1m): a clear warning, and the previously stored session stays intact and readable
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
memory_limit=256M
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$mc = cs_memcached_start(['-I', '1m']);
ini_set('session.save_path', cs_save_path($mc['port']));

$id = cs_session(null, function () { $_SESSION = ['small' => 'kept']; });
$stored = cs_mc_get($mc['port'], "sess.$id");

session_id($id);
session_start();
$_SESSION['big'] = random_bytes(2 << 20);
// (PHP's session_write_close() is true whenever a session was active, even
// when the write failed: the warnings are what tells.)
session_write_close();

// Still on the server, byte for byte.
var_dump(cs_mc_get($mc['port'], "sess.$id") === $stored);
// And readable: by this process (its local copy must not hold the refused
// data) and by another one.
session_id($id);
session_start();
var_dump(session_id() === $id, $_SESSION);
session_abort();
putenv("CS_ID=$id");
$r = cs_php('session_id(getenv("CS_ID")); session_start(); echo session_id() === getenv("CS_ID") ? "same ID " : "new ID ", json_encode($_SESSION), "\n";',
            ['session.save_path' => cs_save_path($mc['port'])]);
echo $r['out'], $r['err'];
echo "errors: ", clustered_session_stats()['errors'], "\n";

// Just under the limit still works.
session_id($id);
session_start();
$_SESSION['big'] = str_repeat('x', 900 << 10);
var_dump(session_write_close());
var_dump(strlen(cs_decode(cs_mc_get($mc['port'], "sess.$id"))['payload']) > 900 << 10);
?>
--EXPECTF--
Warning: session_write_close(): clustered_session: session data of %d bytes was refused (larger than the node's item size limit?); the previously stored session is unchanged: memcached node n1 (127.0.0.1:%d): %s in %s on line %d
bool(true)
bool(true)
array(1) {
  ["small"]=>
  string(4) "kept"
}
same ID {"small":"kept"}
errors: 1
bool(true)
bool(true)
