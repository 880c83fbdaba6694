--TEST--
strict mode refuses unknown, forged and unparsable IDs: a new ID is issued and no data is adopted (without strict mode such data would be read)
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

// Planted data, in our own format, on every node, under forged IDs: an
// attacker who can choose the cookie must not get a session with this data.
$forged = [
    'unknown (well-formed, never stored)' => [bin2hex(random_bytes(16)) . '-n1.web1', false],
    // Not planted: an ID naming a node this save_path lacks is looked for on the
    // listed nodes (a removed node's sessions may be there), so what is stored
    // under it counts as a session, as under any ID of a listed node.
    'unknown node' => [bin2hex(random_bytes(16)) . '-zz.web1', false],
    'no suffix' => [bin2hex(random_bytes(16)), true],
    'short random part' => ['abc-n1.web1', true],
    'uppercase node' => [bin2hex(random_bytes(16)) . '-N1.web1', true],
    'empty route' => [bin2hex(random_bytes(16)) . '-n1.', true],
    'bad bytes' => ['../../etc/passwd-n1.web1', false],
    'control bytes' => ["abc\x01def" . bin2hex(random_bytes(16)) . '-n1.web1', false],
    'too long' => [str_repeat('a', 300) . '-n1.web1', false],
];
foreach ($forged as $label => [$id, $plant]) {
    if ($plant) foreach ($ports as $port) cs_mc_set($port, "sess.$id", cs_encode('role|s:5:"admin";'));
    session_id($id);
    $ok = session_start();
    $new = session_id();
    $parts = cs_split_id($new);
    printf("%s: start %s, new ID %s, data %s\n", $label, var_export($ok, true),
           $new !== $id && $parts && $parts['route'] === 'web1' && strlen($parts['random']) === 32 ? 'ours' : "WRONG ($new)",
           json_encode($_SESSION));
    $_SESSION['fresh'] = 1;
    session_write_close();
    // The forged key is left alone, and nothing was written under it.
    if ($plant && array_values(cs_where($id, $ports)) !== ['role|s:5:"admin";', 'role|s:5:"admin";']) echo "  planted data changed\n";
    if (!$plant && $label !== 'bad bytes' && $label !== 'control bytes' && $label !== 'too long' && cs_where($id, $ports) !== []) echo "  written under the refused ID\n";
}

// For contrast: without strict mode, PHP keeps such an ID and the planted data
// is read (which is why strict mode is the mode to run in).
ini_set('session.use_strict_mode', 0);
$id = $forged['no suffix'][0];
session_id($id);
session_start();
echo "not strict, no suffix: same ID ", var_export(session_id() === $id, true), ", data ", json_encode($_SESSION), "\n";
session_abort();
// ... but bytes that cannot be part of a memcached key still never reach one
// (a failed read, counted in errors).
session_id('../../etc/passwd');
var_dump(session_start());
echo "errors: ", clustered_session_stats()['errors'], "\n";
?>
--EXPECTF--
unknown (well-formed, never stored): start true, new ID ours, data []
unknown node: start true, new ID ours, data []
no suffix: start true, new ID ours, data []
short random part: start true, new ID ours, data []
uppercase node: start true, new ID ours, data []
empty route: start true, new ID ours, data []
bad bytes: start true, new ID ours, data []
control bytes: start true, new ID ours, data []
too long: start true, new ID ours, data []
not strict, no suffix: same ID true, data {"role":"admin"}

Warning: session_start(): clustered_session: session ID of 16 bytes has characters outside [0-9a-zA-Z,-.] or is too long; refused in %s on line %d
bool(false)
errors: 1
