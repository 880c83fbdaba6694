--TEST--
sealed values: nothing an attacker writes into memcached is used. A forged plain forward under the victim's key, the attacker's own sealed value or sealed forward copied under the victim's key, the victim's value truncated, bit-flipped or given a higher version: on the next node each is absent (a new, empty session, never the attacker's ID or data), counted in rejected_values and told in the operator's log (never in the page); the untouched session of a second user is read normally; a replica holding a good copy is used when the primary's copy does not open
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
$keys = cs_secret_file([cs_new_key()]);

$app = <<<'PHP'
session_id(getenv('CS_ID') ?: '');
session_start();
echo json_encode(['id' => session_id(), 'session' => $_SESSION]), "\n";
if (getenv('CS_SET')) $_SESSION['user'] = getenv('CS_SET');
session_write_close();
echo 'rejected_values ', clustered_session_stats()['rejected_values'], "\n";
PHP;

function node(string $route, string $id = '', string $set = '', array $ini = []): array
{
    global $app, $path, $keys;
    putenv("CS_ID=$id");
    putenv("CS_SET=$set");
    $r = cs_php($app, $ini + ['session.save_path' => $path, 'clustered_session.route' => $route,
                              'clustered_session.secret_file' => $keys]);
    preg_match('/^\{.*\}$/m', $r['out'], $json);
    preg_match('/rejected_values (\d+)/', $r['out'], $m);
    // What was ignored goes to the operator's log, never into the page.
    $logged = count(preg_grep('/^ignored what memcached holds for this request/', cs_log()));
    return ['json' => json_decode($json[0] ?? 'null', true), 'warnings' => substr_count($r['out'], 'Warning'),
            'logged' => $logged, 'rejected' => (int)($m[1] ?? -1), 'out' => $r['out']];
}

function raw(string $id): string { global $ports; return cs_mc_get(cs_store_port($id, $ports), "sess.$id"); }
function plant(string $id, string $bytes): void { global $ports; cs_mc_set(cs_store_port($id, $ports), "sess.$id", $bytes); }

$attacker = node('web1', '', 'mallory')['json']['id'];
// The attacker's session moves to web2: under its old key a sealed forward remains.
$attacker_moved = node('web2', $attacker)['json']['id'];
$attacker_forward = raw($attacker);

$cases = [
    'plain forward to the attacker' => fn($v) => 'cs' . pack('CCVP', 1, 16, 1, PHP_INT_MAX >> 1) . $attacker_moved,
    'attacker\'s sealed value copied' => fn($v) => raw($attacker_moved),
    'attacker\'s sealed forward copied' => fn($v) => $attacker_forward,
    'truncated by one byte' => fn($v) => substr($v, 0, -1),
    'one bit flipped' => fn($v) => substr($v, 0, 40) . chr(ord($v[40]) ^ 1) . substr($v, 41),
    'version raised' => fn($v) => substr($v, 0, 8) . pack('P', PHP_INT_MAX >> 1) . substr($v, 16),
];
foreach ($cases as $label => $forge) {
    $victim = node('web1', '', 'alice')['json']['id'];
    $bob = node('web1', '', 'bob')['json']['id'];
    plant($victim, $forge(raw($victim)));
    $seen = node('web2', $victim);
    $bob_seen = node('web2', $bob);
    printf("%-34s victim sees %s, attacker's ID: %s; rejected %d, warnings %d, logged %d; bob reads %s\n", $label,
           json_encode($seen['json']['session']),
           var_export(in_array($seen['json']['id'], [$attacker, $attacker_moved], true), true),
           $seen['rejected'], $seen['warnings'], $seen['logged'], json_encode($bob_seen['json']['session']));
}

echo "--- replicas = 1: the primary's copy is forged, the replica's opens\n";
$replicated = ['clustered_session.replicas' => '1'];
$victim = node('web1', '', 'alice', $replicated)['json']['id'];
plant($victim, 'garbage');
$seen = node('web2', $victim, '', $replicated);
printf("victim sees %s, rejected %d, warnings %d, logged %d\n", json_encode($seen['json']['session']), $seen['rejected'], $seen['warnings'], $seen['logged']);
?>
--EXPECT--
plain forward to the attacker      victim sees [], attacker's ID: false; rejected 1, warnings 0, logged 1; bob reads {"user":"bob"}
attacker's sealed value copied     victim sees [], attacker's ID: false; rejected 1, warnings 0, logged 1; bob reads {"user":"bob"}
attacker's sealed forward copied   victim sees [], attacker's ID: false; rejected 1, warnings 0, logged 1; bob reads {"user":"bob"}
truncated by one byte              victim sees [], attacker's ID: false; rejected 1, warnings 0, logged 1; bob reads {"user":"bob"}
one bit flipped                    victim sees [], attacker's ID: false; rejected 1, warnings 0, logged 1; bob reads {"user":"bob"}
version raised                     victim sees [], attacker's ID: false; rejected 1, warnings 0, logged 1; bob reads {"user":"bob"}
--- replicas = 1: the primary's copy is forged, the replica's opens
victim sees {"user":"alice"}, rejected 1, warnings 0, logged 1
