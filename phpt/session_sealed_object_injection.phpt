--TEST--
sealed values: an attacker who can write to memcached plants a serialized object (its __wakeup writes a file) under a victim's key. Without clustered_session.secret_file (the landed build) the next node unserializes it and the file appears; with it, the value does not open: the session is absent (a new, empty one), __wakeup never runs, rejected_values counts it, and the operator's log (not the page) names it. A node's stored value is encrypted (no plain text in memcached); seal=authenticate stores it readable but still refuses the forgery
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
$marker = sys_get_temp_dir() . '/cs_wakeup_' . getmypid();
@unlink($marker);

// The application of every node: it defines a class whose __wakeup has an effect.
$app = <<<'PHP'
class Exploit { public $file; public function __wakeup() { file_put_contents($this->file, 'pwned'); } }
session_id(getenv('CS_ID') ?: '');
$ok = session_start();
echo json_encode(['ok' => $ok, 'id' => session_id(), 'session' => array_map(fn($v) => is_object($v) ? get_class($v) : $v, $_SESSION)]), "\n";
if (getenv('CS_SET')) $_SESSION['user'] = getenv('CS_SET');
session_write_close();
echo 'rejected_values ', clustered_session_stats()['rejected_values'], "\n";
PHP;

function node(string $route, ?string $keys, string $id = '', string $set = '', string $seal = 'encrypt'): array
{
    global $app, $path;
    putenv("CS_ID=$id");
    putenv("CS_SET=$set");
    $ini = ['session.save_path' => $path, 'clustered_session.route' => $route];
    if ($keys !== null) $ini += ['clustered_session.secret_file' => $keys, 'clustered_session.seal' => $seal];
    $r = cs_php($app, $ini);
    $lines = explode("\n", trim($r['out']));
    $warnings = [];
    foreach ($lines as $line) if (str_contains($line, 'Warning')) $warnings[] = trim($line);
    $json = null;
    foreach ($lines as $line) if ($line !== '' && $line[0] === '{') $json = json_decode($line, true);
    preg_match('/rejected_values (\d+)/', $r['out'], $m);
    // What was ignored goes to the operator's log, never into the page.
    return ['json' => $json, 'warnings' => $warnings, 'rejected' => (int)($m[1] ?? -1), 'err' => $r['err'],
            'log' => cs_log()];
}

$forged = 'user|O:7:"Exploit":1:{s:4:"file";s:' . strlen($marker) . ':"' . $marker . '";}';
$keys = cs_secret_file([cs_new_key()]);

foreach (['no secret_file (landed)' => null, 'encrypt' => 'encrypt', 'authenticate' => 'authenticate'] as $label => $seal) {
    echo "--- $label\n";
    @unlink($marker);
    $file = $seal === null ? null : $keys;
    $victim = node('web1', $file, '', 'alice', $seal ?? 'encrypt')['json']['id'];
    $raw = cs_mc_get(cs_store_port($victim, $ports), "sess.$victim");
    echo 'stored in clear: ', var_export(str_contains($raw, 'alice'), true), "\n";
    // The attacker overwrites the victim's value with the forged object.
    cs_mc_set(cs_store_port($victim, $ports), "sess.$victim", cs_encode($forged, PHP_INT_MAX >> 1));
    $seen = node('web2', $file, $victim, '', $seal ?? 'encrypt');
    echo '__wakeup ran: ', var_export(file_exists($marker), true), "\n";
    echo 'session: ', json_encode($seen['json']['session']), "\n";
    echo 'rejected_values ', $seen['rejected'], ', warnings ', count($seen['warnings']), "\n";
    foreach ($seen['warnings'] as $w) echo $w, "\n";
    foreach ($seen['log'] as $line) echo 'log: ', preg_replace('/memcached node .*?: sess\.\S+: /', 'memcached node <n>: sess.<id>: ', $line), "\n";
}
@unlink($marker);
echo "done\n";
?>
--EXPECTF--
--- no secret_file (landed)
stored in clear: true
__wakeup ran: true
session: {"user":"Exploit"}
rejected_values 0, warnings 0
--- encrypt
stored in clear: false
__wakeup ran: false
session: []
rejected_values 1, warnings 0
log: ignored what memcached holds for this request (memcached node <n>: sess.<id>: the value is not sealed (written without clustered_session.secret_file, or by someone else); while switching over, set clustered_session.accept_unsealed=1)
--- authenticate
stored in clear: true
__wakeup ran: false
session: []
rejected_values 1, warnings 0
log: ignored what memcached holds for this request (memcached node <n>: sess.<id>: the value is not sealed (written without clustered_session.secret_file, or by someone else); while switching over, set clustered_session.accept_unsealed=1)
done
