--TEST--
memcached out of memory (-M: "SERVER_ERROR out of memory storing object", which unlinks the stored item) is not "too large": the local copy stays unsynced and is served, without a warning (the request lost nothing), the operator's log carries memcached's error, the counters tell it apart, and the next request once memory is free stores it
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.touch_interval=0
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
// -M: answer "out of memory" instead of evicting; -m 2: two megabytes.
$mc = cs_memcached_start(['-M', '-m', '2']);
$port = $mc['port'];
ini_set('session.save_path', cs_save_path($port));
$id = cs_session(null, function () { $_SESSION = ['v' => 1]; });

/** Fills the node with 100 kB items until memcached refuses one; returns their keys. */
function fill(int $port): array
{
    $keys = [];
    $c = new CsMemcachedConnection($port);
    $filler = str_repeat('f', 100000);
    for ($i = 0; $i < 1000; ++$i) {
        $c->send("set filler$i 0 0 100000\r\n$filler\r\n");
        $reply = $c->line();
        if ($reply !== 'STORED') return [$keys, $reply];
        $keys[] = "filler$i";
    }
    cs_fail('memcached never ran out of memory');
}
[$fillers, $reply] = fill($port);
echo "memcached full: $reply\n";

// A bigger write (in the filled slab class) finds no memory: memcached unlinks
// the stored item.
session_id($id);
session_start();
$_SESSION['v'] = 2;
$_SESSION['big'] = str_repeat('b', 99900);
var_dump(session_write_close());
echo "on memcached: ", strlen(cs_where($id, [$port])[$port] ?? ''), " bytes\n";
$s = clustered_session_stats();
echo "errors: $s[errors], out of memory: $s[writes_out_of_memory], too large: $s[writes_too_large], kept: $s[writes_kept]\n";
// No warning: the request's session is safe here; the operator's log says why.
foreach (cs_log() as $line) echo "log: $line\n";

// The owner still serves the change from its cache (unsynced, not dropped).
session_id($id);
session_start();
echo "served here: v=", $_SESSION['v'], ", big ", strlen($_SESSION['big'] ?? ''), " bytes\n";
session_abort();

// Memory comes back: the next request, unchanged, stores the pending copy.
$c = new CsMemcachedConnection($port);
foreach ($fillers as $key) {
    $c->send("delete $key\r\n");
    $c->line();
}
session_id($id);
session_start();
session_write_close();
$stored = cs_where($id, [$port])[$port] ?? 'nothing';
echo "on memcached: ", strlen($stored) > 99900 && str_starts_with($stored, 'v|i:2;') ? 'v=2 and big' : strlen($stored) . ' bytes', "\n";
?>
--EXPECTF--
memcached full: SERVER_ERROR out of memory storing object
bool(true)
on memcached: 0 bytes
errors: 0, out of memory: 1, too large: 0, kept: 1
log: cannot write session %s through to memcached (memcached node n1 (127.0.0.1:%d): out of memory: SERVER_ERROR out of memory storing object%A); kept on this node and retried on its next request
served here: v=2, big 99900 bytes
on memcached: v=2 and big
