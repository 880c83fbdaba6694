--TEST--
session_regenerate_id(true) on the owner (a login) racing a takeover of the same session on another node leaves one session, never two: whichever comes second is refused with a warning, and no cookie opens a second copy of the session
--DESCRIPTION--
Two histories on web1 (the owner) and web2.
1. The login's destroy comes first: web2 has read the session (a request with
   the old ID, taking it over), web1 regenerates the ID and saves; web2's
   move then finds the tombstone the login left, its change is refused, and
   its new ID leads nowhere. Before, the old key was deleted, web2's forward
   was stored in full, and both the login's and web2's sessions lived on.
2. The takeover comes first, within web1's takeover notice interval (web1
   still serves its copy): the login's destroy finds the takeover's forward
   and is refused (session_regenerate_id() fails), so the login does not fork
   the session the takeover holds.
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
// Clocks that stand still: web1 reads no takeover notices unless the test says so.
$clock = new CsClock();
$ini = ['session.save_path' => $path, 'clustered_session.takeover_check_interval' => 1];
$web1 = new CsNode($ini + ['clustered_session.route' => 'web1'], $clock);
$web2 = new CsNode($ini + ['clustered_session.route' => 'web2'], $clock);
$open = <<<'PHP'
    session_id($id);
    session_start();
    return session_id();
    PHP;
$show = <<<'PHP'
    foreach ($ids as $label => $cookie) {
        session_id($cookie);
        session_start();
        echo "  $label cookie opens ", json_encode($_SESSION), "\n";
        session_abort();
    }
    PHP;

echo "--- the login's destroy first\n";
$id = $web1->run('return cs_session(null, function () { $_SESSION = ["n" => 1]; });');
$web1->run($open, ['id' => $id]);
$taken = $web2->run($open, ['id' => $id]);
echo "web2 took it over: ", $taken !== $id ? 'yes' : 'no', "\n";
$login = $web1->run(<<<'PHP'
    echo "login regenerates: "; var_dump(session_regenerate_id(true));
    $_SESSION['user'] = 'alice';
    session_write_close();
    return session_id();
    PHP);
$web2->run('$_SESSION["n"] = 2; echo "web2 saves its change\n"; session_write_close();');
$web2->run($show, ['ids' => ['old' => $id, "web2's" => $taken, "login's" => $login]]);

echo "--- the takeover first\n";
$id = $web1->run('return cs_session(null, function () { $_SESSION = ["n" => 1]; });');
$taken = $web2->run($open, ['id' => $id]);
$web2->run('$_SESSION["n"] = 2; session_write_close();');
echo "web2 took it over: ", $taken !== $id ? 'yes' : 'no', "\n";
$login = $web1->run(<<<'PHP'
    session_id($id);
    session_start();
    echo "web1 still serves its copy: n=", $_SESSION['n'], "\n";
    echo "login regenerates: "; var_dump(@session_regenerate_id(true));
    echo "  ", error_get_last()['message'] ?? '', "\n";
    return session_status() === PHP_SESSION_ACTIVE ? session_id() : null;
    PHP, ['id' => $id]);
$web1->run('if (session_status() === PHP_SESSION_ACTIVE) { $_SESSION["user"] = "alice"; session_write_close(); }');
echo "under the old ID: ", json_encode(array_values(cs_where($id, $ports))) === json_encode(["-> $taken"]) ? "a forward to web2's" : json_encode(cs_where($id, $ports)), "\n";
$web2->run($show, ['ids' => ['old' => $id, "web2's" => $taken]]);
$web1->stop();
$web2->stop();
?>
--EXPECTF--
--- the login's destroy first
web2 took it over: yes
login regenerates: bool(true)
web2 saves its change

Warning: session_write_close(): clustered_session: session %s-n%d.web1 was not saved: it changed on another node while this request ran, and moving it would have overwritten that; %s-n%d.web2 forwards to it in %s on line %d
  old cookie opens []
  web2's cookie opens []
  login's cookie opens {"n":1,"user":"alice"}
--- the takeover first
web2 took it over: yes
web1 still serves its copy: n=1
login regenerates: bool(false)
  %s
under the old ID: a forward to web2's
  old cookie opens {"n":2}
  web2's cookie opens {"n":2}
