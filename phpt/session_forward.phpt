--TEST--
after a migration, a request still carrying the old ID (a parallel request of the same page) follows the forward left under the old key to the new ID
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web3
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$ports = [cs_port(1), cs_port(2)];
$save_path = cs_save_path();
ini_set('session.save_path', $save_path);

// Made on web1 (another process), taken over by web2 (another process).
$run = function (string $route, string $code) use ($save_path) {
    $r = cs_php($code, ['session.save_path' => $save_path, 'clustered_session.route' => $route]);
    return trim($r['out'] . $r['err']);
};
$old = $run('web1', 'echo cs_session(null, function () { $_SESSION = ["n" => 1]; });');
putenv("CS_ID=$old");
$new = $run('web2', 'echo cs_session(getenv("CS_ID"), function () { $_SESSION["n"]++; });');
echo "migrated to web2: ", var_export(cs_split_id($new)['route'] === 'web2', true), "\n";
echo "old key: ", cs_old_key_state($old, $new, $ports), "\n";

// web2 again, with the old cookie: it lands on the new ID, with the data.
$code = 'session_id(getenv("CS_ID")); session_start(); echo session_id(), " ", json_encode($_SESSION), " migrations ", clustered_session_stats()["migrations"]; session_write_close();';
[$id, $data, , $migrations] = explode(' ', $run('web2', $code));
echo "web2, old cookie: ", $id === $new ? 'new ID' : "other ID $id", " $data migrations $migrations\n";

// Here (web3, a third node), with the old cookie: it follows to the new ID
// and takes the session over from there (one migration, data from web2).
session_id($old);
session_start();
$here = session_id();
echo "web3, old cookie: route ", cs_split_id($here)['route'], ", ", json_encode($_SESSION), "\n";
session_write_close();
echo "migrations ", clustered_session_stats()['migrations'], "\n";
?>
--EXPECT--
migrated to web2: true
old key: forward
web2, old cookie: new ID {"n":2} migrations 0
web3, old cookie: route web3, {"n":2}
migrations 1
