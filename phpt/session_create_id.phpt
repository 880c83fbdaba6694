--TEST--
session_create_id() with an active session gives an ID with our suffix (prefix kept in front) and does not disturb the active session
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

$id = cs_session(null, function () { $_SESSION['a'] = 1; });
session_id($id);
session_start();
$created = [];
for ($i = 0; $i < 10; ++$i) $created[] = session_create_id();
$prefixed = session_create_id('pre-');
var_dump(session_id() === $id);
$ok = true;
foreach ($created as $new) {
    $parts = cs_split_id($new);
    $ok = $ok && $new !== $id && $parts && $parts['route'] === 'web1' && strlen($parts['random']) === 32
          && in_array($parts['store'], ['n1', 'n2'], true);
}
var_dump($ok, count(array_unique($created)));
var_dump(str_starts_with($prefixed, 'pre-'), cs_split_id($prefixed)['route'] ?? null);
// The active session is written as usual, and nothing exists under the new IDs yet.
$_SESSION['a'] = 2;
session_write_close();
var_dump(cs_where($id, $ports) === [cs_store_port($id, $ports) => 'a|i:2;']);
var_dump(cs_where($created[0], $ports));

// PHP's documented pattern: keep the new ID in the session, then switch to it
// with strict mode off for that one start.
session_id($id);
session_start();
$new = session_create_id();
$_SESSION['new_id'] = $new;
session_write_close();
ini_set('session.use_strict_mode', 0);
session_id($new);
session_start();
$_SESSION['moved'] = true;
session_write_close();
ini_set('session.use_strict_mode', 1);
var_dump(cs_where($new, $ports) === [cs_store_port($new, $ports) => 'moved|b:1;']);
session_id($new);
session_start();
var_dump(session_id() === $new, $_SESSION);
session_abort();

// Without an active session PHP makes the ID itself (no handler involved): it
// has no suffix, so strict mode refuses it and issues one of ours.
$plain = session_create_id();
var_dump(cs_split_id($plain));
session_id($plain);
session_start();
var_dump(session_id() !== $plain, cs_split_id(session_id())['route']);
session_abort();
?>
--EXPECT--
bool(true)
bool(true)
int(10)
bool(true)
string(4) "web1"
bool(true)
array(0) {
}
bool(true)
bool(true)
array(1) {
  ["moved"]=>
  bool(true)
}
NULL
bool(true)
string(4) "web1"
