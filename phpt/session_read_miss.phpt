--TEST--
read of a missing session is an empty session, not a failure (mod_files contract); without strict mode the ID is kept and stored where it points
--INI--
session.save_handler=clustered
session.use_strict_mode=0
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$ports = [cs_port(1), cs_port(2)];
ini_set('session.save_path', cs_save_path());

$ids = [
    'well-formed, store n2' => bin2hex(random_bytes(16)) . '-n2.web1',
    'well-formed, foreign route' => bin2hex(random_bytes(16)) . '-n1.web7',
    'unknown node' => bin2hex(random_bytes(16)) . '-n9.web1',
    'no suffix (plain PHP ID)' => bin2hex(random_bytes(16)),
];
foreach ($ids as $label => $id) {
    session_id($id);
    $ok = session_start();
    printf("%s: start %s, same ID %s, empty %s\n", $label, var_export($ok, true),
           var_export(session_id() === $id, true), var_export($_SESSION === [], true));
    $_SESSION['was'] = 'missing';
    session_write_close();
    // Stored under that very ID: on the node it names, or (no usable suffix)
    // on the one node rendezvous hashing picks.
    $where = cs_where($id, $ports);
    $expected = str_contains($label, 'well-formed') ? [cs_store_port($id, $ports) => 'was|s:7:"missing";'] : null;
    echo '  stored: ', $expected !== null ? var_export($where === $expected, true)
                                          : (count($where) === 1 && reset($where) === 'was|s:7:"missing";' ? 'on one node' : json_encode($where)), "\n";
    // And read back from there, again and again (the hash is stable).
    session_id($id);
    session_start();
    echo '  read back: ', json_encode($_SESSION), "\n";
    session_abort();
}
echo "errors: ", clustered_session_stats()['errors'], "\n";
?>
--EXPECT--
well-formed, store n2: start true, same ID true, empty true
  stored: true
  read back: {"was":"missing"}
well-formed, foreign route: start true, same ID true, empty true
  stored: true
  read back: {"was":"missing"}
unknown node: start true, same ID true, empty true
  stored: on one node
  read back: {"was":"missing"}
no suffix (plain PHP ID): start true, same ID true, empty true
  stored: on one node
  read back: {"was":"missing"}
errors: 0
