--TEST--
strict mode, another route: the session is migrated (new ID with the new route, data carried, no data left under the old key, migrations counter)
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

// Runs on "web2": resumes CS_ID in the way given by CS_HOW.
$web2 = <<<'PHP'
session_id(getenv('CS_ID'));
$how = getenv('CS_HOW');
var_dump(session_start($how === 'read_and_close' ? ['read_and_close' => true] : []));
echo session_id(), "\n";
echo json_encode($_SESSION), "\n";
if ($how === 'changed') $_SESSION['by'] = 'web2';
if ($how !== 'read_and_close') var_dump(session_write_close());
$s = clustered_session_stats();
echo "migrations $s[migrations] errors $s[errors]\n";
PHP;

// changed: PHP calls write(new id); unchanged: with lazy_write PHP calls only
// update_timestamp(new id); read_and_close: PHP calls no write at all. In every
// case the data must be stored in full under the new ID before the old key goes.
foreach (['changed', 'unchanged', 'read_and_close'] as $how) {
    echo "--- $how\n";
    $old = cs_session(null, function () { $_SESSION = ['user' => 'alice']; });
    $old_store = cs_split_id($old)['store'];
    putenv("CS_ID=$old");
    putenv("CS_HOW=$how");
    $r = cs_php($web2, ['session.save_path' => cs_save_path(), 'clustered_session.route' => 'web2']);
    [$started, $new, $data, $closed, $stats] = array_pad(explode("\n", trim($r['out'])), 5, '');
    if ($how === 'read_and_close') [$stats, $closed] = [$closed, ''];
    echo $started, ' ', $closed, "\n", $data, "\n", $stats, "\n", $r['err'];
    $old_parts = cs_split_id($old);
    $new_parts = cs_split_id($new);
    echo $new_parts === null ? "new ID does not parse: $new\n" : '';
    echo "route: $new_parts[route]\n";
    echo "random part changed: ", var_export($new_parts['random'] !== $old_parts['random'], true), "\n";
    // The data already sits on the old store node, which is up: it stays there.
    echo "same store: ", var_export($new_parts['store'] === $old_store, true), "\n";
    // No session data is left under the old key (it is deleted, or holds only a
    // forward to the new ID for requests still carrying the old one).
    $state = cs_old_key_state($old, $new, $ports);
    echo "old key: ", $state === 'gone' || $state === 'forward' ? 'no data' : $state, "\n";
    $where = cs_where($new, $ports);
    echo "new key on its store only: ", var_export(array_keys($where) === [cs_store_port($new, $ports)], true),
         ", ", json_encode(array_values($where)), "\n";
}

// The migrated session is now owned by web2: web2 resumes it as it is.
echo "--- resumed on web2\n";
putenv("CS_ID=$new");
putenv("CS_HOW=changed");
$r = cs_php($web2, ['session.save_path' => cs_save_path(), 'clustered_session.route' => 'web2']);
[, $again, $data, , $stats] = array_pad(explode("\n", trim($r['out'])), 5, '');
var_dump($again === $new);
echo $data, "\n", $stats, "\n";
echo json_encode(array_values(cs_where($new, $ports))), "\n";

// Without strict mode IDs cannot be rewritten: the foreign session is served as
// it is (fetched, never trusted) and keeps its ID.
echo "--- web2 without strict mode\n";
$old = cs_session(null, function () { $_SESSION = ['user' => 'bob']; });
putenv("CS_ID=$old");
$r = cs_php($web2, ['session.save_path' => cs_save_path(), 'clustered_session.route' => 'web2',
                    'session.use_strict_mode' => '0']);
[, $kept, $data, , $stats] = array_pad(explode("\n", trim($r['out'])), 5, '');
var_dump($kept === $old);
echo $data, "\n", $stats, "\n";
echo json_encode(array_values(cs_where($old, $ports))), "\n";
?>
--EXPECT--
--- changed
bool(true) bool(true)
{"user":"alice"}
migrations 1 errors 0
route: web2
random part changed: true
same store: true
old key: no data
new key on its store only: true, ["user|s:5:\"alice\";by|s:4:\"web2\";"]
--- unchanged
bool(true) bool(true)
{"user":"alice"}
migrations 1 errors 0
route: web2
random part changed: true
same store: true
old key: no data
new key on its store only: true, ["user|s:5:\"alice\";"]
--- read_and_close
bool(true) 
{"user":"alice"}
migrations 1 errors 0
route: web2
random part changed: true
same store: true
old key: no data
new key on its store only: true, ["user|s:5:\"alice\";"]
--- resumed on web2
bool(true)
{"user":"alice"}
migrations 0 errors 0
["user|s:5:\"alice\";by|s:4:\"web2\";"]
--- web2 without strict mode
bool(true)
{"user":"bob"}
migrations 0 errors 0
["user|s:3:\"bob\";by|s:4:\"web2\";"]
