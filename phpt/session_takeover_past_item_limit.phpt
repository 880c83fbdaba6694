--TEST--
a takeover into a longer ID whose item no longer fits memcached's -I (the new route is 12 bytes longer) keeps the session under its old ID with the change, and the new cookie PHP already sent forwards to it: nothing is lost
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
memory_limit=512M
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$mc = cs_memcached_start(['-I', '1m']);
$port = $mc['port'];
$save_path = cs_save_path($port);
ini_set('session.save_path', $save_path);

/** Session data whose encoded form ('d|s:N:"...";') is exactly $bytes long. */
function data_of_length(int $bytes): array
{
    for ($n = $bytes - 8; $n > 0; --$n) {
        if ($n + strlen((string)$n) + 8 === $bytes) return ['d' => str_repeat('a', $n)];
    }
    cs_fail("no data of $bytes bytes");
}

// web1 stores a session exactly at the item size limit for its own key.
$id = cs_session(null, function () { $_SESSION = ['small' => 1]; });
$boundary = 1048576 - 64 - 16 - strlen("sess.$id");
$id = cs_session($id, function () use ($boundary) { $_SESSION = data_of_length($boundary); });
echo "web1 stored ", strlen(cs_decode(cs_mc_get($port, "sess.$id"))['payload']), " bytes under its ID\n";

// Another app node with a route 12 bytes longer takes it over and changes it
// (same length: the last byte): its new key is 12 bytes too long for -I.
$takeover = <<<'PHP'
    session_id(getenv('CS_ID'));
    session_start();
    $_SESSION['d'][-1] = 'z';
    echo session_id() === getenv('CS_ID') ? "kept its ID\n" : "new ID\n";
    file_put_contents(getenv('CS_NEW_ID_FILE'), session_id());
    session_write_close();
    // The browser comes back with the cookie it was given: it leads to the session
    // (which tries to move again, and stays again; the operator's log says so
    // once a minute for the app node, no page does).
    session_id(file_get_contents(getenv('CS_NEW_ID_FILE')));
    session_start();
    echo "next request: ", strlen($_SESSION['d'] ?? ''), " bytes, ends in ", substr($_SESSION['d'] ?? '-', -1), "\n";
    session_abort();
    PHP;
$new_id_file = tempnam(sys_get_temp_dir(), 'cs_new_id_');
putenv("CS_ID=$id");
putenv("CS_NEW_ID_FILE=$new_id_file");
$r = cs_php($takeover, ['session.save_path' => $save_path, 'memory_limit' => '512M',
                        'clustered_session.route' => 'frontendnode0002']);
echo $r['out'], preg_replace('/^PHP /m', '', $r['err']);
$new_id = file_get_contents($new_id_file);
unlink($new_id_file);
$stored = cs_decode(cs_mc_get($port, "sess.$id"));
echo "under the old ID: ", strlen($stored['payload']), " bytes, ends in ", substr($stored['payload'], -3), "\n";
$forward = cs_decode(cs_mc_get($port, "sess.$new_id"));
echo "under the new ID: ", ($forward['flags'] & 1) && $forward['payload'] === $id ? 'a forward to the old ID' : 'no forward', "\n";
foreach (cs_log() as $line) echo "log: $line\n";
?>
--EXPECTF--
web1 stored %d bytes under its ID
new ID
next request: %d bytes, ends in z
under the old ID: %d bytes, ends in z";
under the new ID: a forward to the old ID
log: session %s-n1.web1 stays under its old ID: it cannot move to %s-n1.frontendnode0002 (session data of %d bytes was refused (larger than the node's item size limit?); the previously stored session is unchanged: memcached node n1 (127.0.0.1:%d): item of %d bytes (a value of %d bytes, its key and memcached's %d bytes per item) is larger than the node's item size limit of 1048576 bytes (memcached -I)); %s-n1.frontendnode0002 forwards to it
