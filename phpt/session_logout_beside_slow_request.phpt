--TEST--
a logout through another node (a takeover) while the owner runs a slow request of the same session stays a logout: the owner's late write is refused with a warning (the logout left a tombstone where the session was), and the old cookie opens an empty session on both nodes
--DESCRIPTION--
web1 owns the session of alice and runs a slow request of it (session_start()
done, the page still working). Meanwhile alice logs out through web2:
session_start() takes the session over and session_destroy() ends it. Then
web1's slow request ends and writes its change. Before, that write met
NOT_FOUND (the logout had deleted the key) and stored the session in full, so
the logged-out session came back for good on both nodes.
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
$path = cs_save_path();
$web1 = new CsNode(['session.save_path' => $path, 'clustered_session.route' => 'web1']);
$web2 = new CsNode(['session.save_path' => $path, 'clustered_session.route' => 'web2']);
$id = $web1->run('return cs_session(null, function () { $_SESSION = ["user" => "alice", "n" => 1]; });');

// web1: the slow request has read the session and is still working.
$web1->run('session_id($id); session_start(); echo "slow request read n=", $_SESSION["n"], "\n";', ['id' => $id]);

// web2: the logout.
$web2->run(<<<'PHP'
    session_id($id);
    session_start();
    echo "logout on web2: took it over: ", session_id() !== $id ? 'yes' : 'no', ", destroyed: ";
    var_dump(session_destroy());
    PHP, ['id' => $id]);
echo "under the old ID: ", json_encode(array_values(cs_where($id, $ports))), "\n";

// web1: the slow request ends with its change.
$web1->run('$_SESSION["n"] = 2; echo "slow request ends\n"; session_write_close();');
echo "under the old ID: ", json_encode(array_values(cs_where($id, $ports))), "\n";

// alice comes back with the old cookie, on either node.
foreach (['web1' => $web1, 'web2' => $web2] as $name => $node) {
    $node->run(<<<'PHP'
        session_id($id);
        session_start();
        echo "$name with the old cookie: ", session_id() === $id ? 'same ID' : 'new ID', ' ',
             json_encode($_SESSION), "\n";
        session_abort();
        PHP, ['id' => $id, 'name' => $name]);
}
$web1->stop();
$web2->stop();
?>
--EXPECTF--
slow request read n=1
logout on web2: took it over: yes, destroyed: bool(true)
under the old ID: ["ended"]
slow request ends

Warning: session_write_close(): clustered_session: session %s-n%d.web1 was not saved: it was destroyed (a logout) by another request while this request ran, and saving would have overwritten that; the logout stands in %s on line %d
under the old ID: ["ended"]
web1 with the old cookie: new ID []
web2 with the old cookie: new ID []
