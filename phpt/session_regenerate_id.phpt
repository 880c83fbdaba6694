--TEST--
session_regenerate_id(true): the old key holds a tombstone (the old ID opens nothing again), the data is under the new ID; (false): the old session is kept as it was
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

foreach ([true, false] as $delete) {
    echo "--- delete_old_session=", var_export($delete, true), "\n";
    $old = cs_session(null, function () { $_SESSION = ['step' => 1]; });
    session_id($old);
    session_start();
    $_SESSION['step'] = 2;
    var_dump(session_regenerate_id($delete));
    $new = session_id();
    $_SESSION['step'] = 3;
    session_write_close();

    $parts = cs_split_id($new);
    echo "new ID: ", $new !== $old && $parts && $parts['route'] === 'web1' ? 'ours' : "WRONG $new", "\n";
    echo "new: ", json_encode(cs_where($new, $ports) === [cs_store_port($new, $ports) => 'step|i:3;']), "\n";
    echo "old: ", json_encode(array_values(cs_where($old, $ports))), "\n";
    // Resume both with strict mode: the old one only if it was kept.
    foreach (['new' => $new, 'old' => $old] as $label => $id) {
        session_id($id);
        session_start();
        echo "resume $label: ", session_id() === $id ? 'same ID ' : 'refused ', json_encode($_SESSION), "\n";
        session_abort();
    }
}
echo "errors: ", clustered_session_stats()['errors'], "\n";
?>
--EXPECT--
--- delete_old_session=true
bool(true)
new ID: ours
new: true
old: ["ended"]
resume new: same ID {"step":3}
resume old: refused []
--- delete_old_session=false
bool(true)
new ID: ours
new: true
old: ["step|i:2;"]
resume new: same ID {"step":3}
resume old: same ID {"step":2}
errors: 0
