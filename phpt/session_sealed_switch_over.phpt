--TEST--
sealed values, the operator's steps: switching sealing on without losing a session (seal=off nodes read sealed and plain values and write plain; accept_unsealed=1 nodes read plain values and write sealed; then accept_unsealed=0 rejects plain ones), a node without the key fails the read of a sealed session instead of overwriting it, and key rotation (add the new key second, then first, then remove the old): every step reads what the step before wrote; a node that lacks the sealing key rejects the value and says which key it lacks
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
$path = cs_save_path(...$ports);
[$a, $b] = [cs_new_key(), cs_new_key()];
$files = ['A' => cs_secret_file([$a]), 'A,B' => cs_secret_file([$a, $b]), 'B,A' => cs_secret_file([$b, $a]), 'B' => cs_secret_file([$b])];

$app = <<<'PHP'
session_id(getenv('CS_ID') ?: '');
if (!session_start()) { echo "session_start failed\n"; exit; }
$_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;
echo json_encode(['id' => session_id(), 'n' => $_SESSION['n']]), "\n";
session_write_close();
PHP;

/** One request on a node with $settings; prints what it saw and how the value is now stored. */
function step(string $label, array $settings, string $id = ''): string
{
    global $app, $path, $ports;
    putenv("CS_ID=$id");
    $r = cs_php($app, $settings + ['session.save_path' => $path]);
    preg_match('/^\{.*\}$/m', $r['out'], $json);
    $seen = json_decode($json[0] ?? 'null', true);
    // A failed read warns; what was ignored is in the operator's log instead.
    $warning = preg_match('/Warning: session_start\(\): clustered_session: (.*?) in /', $r['out'], $m) ? $m[1] : '';
    $logged = preg_grep('/^ignored what memcached holds/', cs_log());
    $log = $logged ? reset($logged) : '';
    [$warning, $log] = preg_replace(['/memcached node \S+ \(\S+\): (sess\.\S+: )?/', '/key [0-9a-f]{8}/'], ['', 'key <id>'], [$warning, $log]);
    $new = $seen['id'] ?? $id;
    $stored = cs_decode(cs_mc_get(cs_store_port($new, $ports), "sess.$new"));
    $how = $stored === null ? 'nothing' : (($stored['flags'] & 2) ? 'encrypted' : (($stored['flags'] & 4) ? 'authenticated' : 'plain'));
    printf("%-52s n=%s%s, stored %s%s\n", $label, $seen['n'] ?? '-', $new === $id || $id === '' ? '' : ' (NEW ID)', $how,
           ($warning === '' ? '' : "\n    warning: $warning") . ($log === '' ? '' : "\n    log: $log"));
    return $new;
}

$plain = [];
$off = fn($f) => ['clustered_session.secret_file' => $files[$f], 'clustered_session.seal' => 'off'];
$switch = fn($f) => ['clustered_session.secret_file' => $files[$f], 'clustered_session.accept_unsealed' => '1'];
$sealed = fn($f) => ['clustered_session.secret_file' => $files[$f]];

echo "--- switching on\n";
$s = step('before: no secret_file', $plain);
step('step 1: key file, seal=off', $off('A'), $s);
step('step 2: seal=encrypt, accept_unsealed=1', $switch('A'), $s);
step('        a seal=off node reads the sealed value', $off('A'), $s);
step('        an accept_unsealed node reads the plain one', $switch('A'), $s);
step('step 3: accept_unsealed=0', $sealed('A'), $s);
$late = step('        (a plain value left from before)', $plain);
step('        step 3 rejects it', $sealed('A'), $late);
$t = step('a node without the key file', $sealed('A'));
step('        cannot read a sealed session', $plain, $t);
step('        which stays intact', $sealed('A'), $t);

echo "--- rotating A -> B\n";
$r = step('sealed with A', $sealed('A'));
step('step 1: A,B (B opens)', $sealed('A,B'), $r);
step('step 2: B,A (B seals)', $sealed('B,A'), $r);
step('        A,B still opens it', $sealed('A,B'), $r);
step('        (step 2 done on every node)', $sealed('B,A'), $r);
$old = step('        (a value still sealed with A)', $sealed('A'));
step('step 3: B', $sealed('B'), $r);
step('        a value sealed with A is rejected', $sealed('B'), $old);
$u = step('sealed with B', $sealed('B'));
step('a node that only has A rejects it', $sealed('A'), $u);
?>
--EXPECT--
--- switching on
before: no secret_file                               n=1, stored plain
step 1: key file, seal=off                           n=2, stored plain
step 2: seal=encrypt, accept_unsealed=1              n=3, stored encrypted
        a seal=off node reads the sealed value       n=4, stored plain
        an accept_unsealed node reads the plain one  n=5, stored encrypted
step 3: accept_unsealed=0                            n=6, stored encrypted
        (a plain value left from before)             n=1, stored plain
        step 3 rejects it                            n=1 (NEW ID), stored encrypted
    log: ignored what memcached holds for this request (the value is not sealed (written without clustered_session.secret_file, or by someone else); while switching over, set clustered_session.accept_unsealed=1)
a node without the key file                          n=1, stored encrypted
        cannot read a sealed session                 n=-, stored encrypted
    warning: cannot read session: the value is sealed (key <id>) and this node has no clustered_session.secret_file
        which stays intact                           n=2, stored encrypted
--- rotating A -> B
sealed with A                                        n=1, stored encrypted
step 1: A,B (B opens)                                n=2, stored encrypted
step 2: B,A (B seals)                                n=3, stored encrypted
        A,B still opens it                           n=4, stored encrypted
        (step 2 done on every node)                  n=5, stored encrypted
        (a value still sealed with A)                n=1, stored encrypted
step 3: B                                            n=6, stored encrypted
        a value sealed with A is rejected            n=1 (NEW ID), stored encrypted
    log: ignored what memcached holds for this request (the value is sealed with key <id>, which clustered_session.secret_file does not hold (forged, or a key not yet added on this node))
sealed with B                                        n=1, stored encrypted
a node that only has A rejects it                    n=1 (NEW ID), stored encrypted
    log: ignored what memcached holds for this request (the value is sealed with key <id>, which clustered_session.secret_file does not hold (forged, or a key not yet added on this node))
