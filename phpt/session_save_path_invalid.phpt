--TEST--
malformed session.save_path: one precise warning each and session_start() returns false (no silent fallback)
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
$p = cs_port(1);
$cases = [
    '',
    '   ',
    "127.0.0.1:$p,",
    '127.0.0.1',
    '127.0.0.1:',
    '127.0.0.1:0',
    '127.0.0.1:65536',
    '127.0.0.1:11211x',
    "a=127.0.0.1:$p,a=127.0.0.1:1",
    "127.0.0.1:$p,127.0.0.1:$p",
    "n1=127.0.0.1:$p,n2=localhost:$p",
    "Web1=127.0.0.1:$p",
    "averyveryverylongid=127.0.0.1:$p",
    "=127.0.0.1:$p",
    "bad_host!:$p",
    "-leading.dash:$p",
    "tcp://127.0.0.1:$p",
    '::1:11211',
    '[::1',
    '[::1]',
    '[zz::1]:11211',
    'unix:relative/path',
    'unix:',
    "n1=127.0.0.1:$p;leaving",
    "n1=127.0.0.1:$p;drain,n2=127.0.0.1:1;joining",
];
foreach ($cases as $path) {
    echo "--- '$path'\n";
    ini_set('session.save_path', $path);
    session_id('');
    var_dump(session_start());
}
// Valid forms are accepted (nodes: ids by position, explicit ids, unix sockets,
// IPv6 literals), so the warnings above are about the listed problems only. A
// node the save_path before listed and this one drops is still read, as
// draining, for a while (docs/design.md, "save_path roles": departed nodes).
foreach (["127.0.0.1:$p", " n1 = 127.0.0.1:$p , b = localhost:1 ", "x=unix:/tmp/none.sock,127.0.0.1:$p", "[::1]:1,127.0.0.1:$p",
          "n1=127.0.0.1:$p,n2=127.0.0.1:1;drain,n3=127.0.0.1:2 ; joining"] as $path) {
    ini_set('session.save_path', $path);
    session_id('');
    $ok = session_start();
    $roles = array_map(fn ($id, $node) => $node['role'] === 'active' ? $id : "$id:$node[role]",
                       array_keys(clustered_session_stats()['nodes']), clustered_session_stats()['nodes']);
    echo "'$path': ", var_export($ok, true), ' ', implode(',', $roles), "\n";
    session_abort();
}
// A list with nodes named by position works, and the operator's log (not the
// page) says how to name them: once a minute for the app node.
// (Which listed node is down depends on where a new session was placed: those
// lines are left out.)
foreach (preg_grep('/lists nodes without ids/', cs_log()) as $line) echo "log: $line\n";
?>
--EXPECTF--
--- ''

Warning: session_start(): clustered_session: invalid session.save_path: save_path is empty; expected ID=HOST:PORT[,ID=HOST:PORT...] in %s on line %d
bool(false)
--- '   '

Warning: session_start(): clustered_session: invalid session.save_path: save_path is empty; expected ID=HOST:PORT[,ID=HOST:PORT...] in %s on line %d
bool(false)
--- '127.0.0.1:%d,'

Warning: session_start(): clustered_session: invalid session.save_path: node 2: empty entry in %s on line %d
bool(false)
--- '127.0.0.1'

Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): missing port in '127.0.0.1' in %s on line %d
bool(false)
--- '127.0.0.1:'

Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): missing port in %s on line %d
bool(false)
--- '127.0.0.1:0'

Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): port '0' is out of range 1-65535 in %s on line %d
bool(false)
--- '127.0.0.1:65536'

Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): port '65536' is out of range 1-65535 in %s on line %d
bool(false)
--- '127.0.0.1:11211x'

Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): port '11211x' is not a number in %s on line %d
bool(false)
--- 'a=127.0.0.1:%d,a=127.0.0.1:1'

Warning: session_start(): clustered_session: invalid session.save_path: node 2: duplicate node id 'a' in %s on line %d
bool(false)
--- '127.0.0.1:%d,127.0.0.1:%d'

Warning: session_start(): clustered_session: invalid session.save_path: node 2: duplicate address 127.0.0.1:%d in %s on line %d
bool(false)
--- 'n1=127.0.0.1:%d,n2=localhost:%d'

Warning: session_start(): clustered_session: invalid session.save_path: node 2 (n2=localhost:%d) is the same memcached server as node 1 (n1=127.0.0.1:%d): both reach 127.0.0.1:%d; list each server once in %s on line %d
bool(false)
--- 'Web1=127.0.0.1:%d'

Warning: session_start(): clustered_session: invalid session.save_path: node 1: bad node id 'Web1' (expected [a-z0-9]{1,16}) in %s on line %d
bool(false)
--- 'averyveryverylongid=127.0.0.1:%d'

Warning: session_start(): clustered_session: invalid session.save_path: node 1: bad node id 'averyveryverylongid' (expected [a-z0-9]{1,16}) in %s on line %d
bool(false)
--- '=127.0.0.1:%d'

Warning: session_start(): clustered_session: invalid session.save_path: node 1: bad node id '' (expected [a-z0-9]{1,16}) in %s on line %d
bool(false)
--- 'bad_host!:%d'

Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): bad host 'bad_host!' in %s on line %d
bool(false)
--- '-leading.dash:%d'

Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): bad host '-leading.dash' in %s on line %d
bool(false)
--- 'tcp://127.0.0.1:%d'

Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): unknown scheme 'tcp' (use HOST:PORT or unix:/path) in %s on line %d
bool(false)
--- '::1:11211'

Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): IPv6 addresses need brackets, as in [::1]:11211 in %s on line %d
bool(false)
--- '[::1'

Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): missing ']' after IPv6 address in %s on line %d
bool(false)
--- '[::1]'

Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): missing port after IPv6 address in %s on line %d
bool(false)
--- '[zz::1]:11211'

Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): bad IPv6 address 'zz::1' in %s on line %d
bool(false)
--- 'unix:relative/path'

Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): unix socket path 'relative/path' must be absolute in %s on line %d
bool(false)
--- 'unix:'

Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): unix socket path '' must be absolute in %s on line %d
bool(false)
--- 'n1=127.0.0.1:%d;leaving'

Warning: session_start(): clustered_session: invalid session.save_path: node 1 (n1): unknown role 'leaving' (expected active, joining or drain) in %s on line %d
bool(false)
--- 'n1=127.0.0.1:%d;drain,n2=127.0.0.1:1;joining'

Warning: session_start(): clustered_session: invalid session.save_path: no node is active (every one is ;joining or ;drain): new sessions need one in %s on line %d
bool(false)
'127.0.0.1:%d': true n1
' n1 = 127.0.0.1:%d , b = localhost:1 ': true n1,b
'x=unix:/tmp/none.sock,127.0.0.1:%d': true x,n2,b:drain
'[::1]:1,127.0.0.1:%d': true n1,n2,x:drain
'n1=127.0.0.1:%d,n2=127.0.0.1:1;drain,n3=127.0.0.1:2 ; joining': true n1,n2:drain,n3:joining
log: session.save_path lists nodes without ids: they are named by their position, so inserting or removing an entry renames the nodes after it and the sessions stored on them are lost; name every node, as in x=unix:/tmp/none.sock,n2=127.0.0.1:%d
