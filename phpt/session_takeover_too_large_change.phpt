--TEST--
a change too large for any key, made in the request that takes a session over (memcached -I 1m): the change is refused with a warning, the session stays as it was under its old ID (memcached had dropped it when it refused the change there), and the new cookie PHP already sent leads to it: the session is not lost
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
$save_path = cs_save_path($mc['port']);
ini_set('session.save_path', $save_path);

$id = cs_session(null, function () { $_SESSION = ['user' => 'alice', 'cart' => str_repeat('c', 1000)]; });

// web2 takes the session over, and this very request adds 1.5 MB to it.
$takeover = <<<'PHP'
    session_id(getenv('CS_ID'));
    session_start();
    echo session_id() === getenv('CS_ID') ? "kept its ID\n" : "new ID\n";
    file_put_contents(getenv('CS_NEW_ID_FILE'), session_id());
    $_SESSION['blob'] = str_repeat('b', 1500000);
    session_write_close();
    // The browser comes back with the cookie it was given.
    session_id(file_get_contents(getenv('CS_NEW_ID_FILE')));
    session_start();
    echo "new cookie: user ", $_SESSION['user'] ?? 'none', ", cart ", strlen($_SESSION['cart'] ?? ''),
         " bytes, blob ", isset($_SESSION['blob']) ? 'saved' : 'not saved', "\n";
    session_abort();
    PHP;
$new_id_file = tempnam(sys_get_temp_dir(), 'cs_new_id_');
putenv("CS_ID=$id");
putenv("CS_NEW_ID_FILE=$new_id_file");
$r = cs_php($takeover, ['session.save_path' => $save_path, 'memory_limit' => '512M',
                        'clustered_session.route' => 'web2']);
echo $r['out'], $r['err'];
unlink($new_id_file);
$stored = cs_decode(cs_mc_get($mc['port'], "sess.$id"));
echo "under the old ID: ", $stored === null ? 'nothing' : strlen($stored['payload']) . ' bytes', "\n";
?>
--EXPECTF--
new ID

Warning: session_write_close(): clustered_session: session %s-n1.web1 was not saved: it cannot move to %s-n1.web2 (session data of %d bytes was refused (larger than the node's item size limit?); the previously stored session is unchanged: %s), nor take this request's change under its old ID (%s); the session stays as it was, and %s-n1.web2 forwards to it in %s on line %d
new cookie: user alice, cart 1000 bytes, blob not saved
under the old ID: %d bytes
