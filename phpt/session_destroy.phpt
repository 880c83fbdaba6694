--TEST--
session_destroy() ends the session everywhere (a tombstone over the copy in memcached, so no request that read it before can store it again; the local copy gone); destroying a missing session succeeds
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
$ports = [cs_port(1), cs_port(2)];
ini_set('session.save_path', cs_save_path());

$id = cs_session(null, function () { $_SESSION['secret'] = 'x'; });
var_dump(count(cs_where($id, $ports)));
session_id($id);
session_start();
var_dump(session_destroy());
var_dump(array_values(cs_where($id, $ports)));
// The owner's local copy is gone too: strict mode refuses the ID now.
session_id($id);
session_start();
var_dump(session_id() !== $id, $_SESSION);
session_abort();

// Destroying a session that does not exist (never written, or expired).
ini_set('session.use_strict_mode', 0);
foreach ([bin2hex(random_bytes(16)) . '-n1.web1', bin2hex(random_bytes(16)) . '-n2.web1', 'nosuffix' . bin2hex(random_bytes(12))] as $missing) {
    session_id($missing);
    session_start();
    var_dump(session_destroy());
}
echo "errors: ", clustered_session_stats()['errors'], "\n";
?>
--EXPECT--
int(1)
bool(true)
array(1) {
  [0]=>
  string(5) "ended"
}
bool(true)
array(0) {
}
bool(true)
bool(true)
bool(true)
errors: 0
