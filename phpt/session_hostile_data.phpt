--TEST--
hostile session data: 0 bytes (a new session left empty, and one emptied) is stored as the bare 16-byte header and is an existing session, not a missing one (strict mode keeps its ID); data with NUL bytes and every byte value round-trips byte for byte through memcached to another process
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
$mc = cs_memcached_start();
$ports = [$mc['port']];
$save_path = cs_save_path(...$ports);
ini_set('session.save_path', $save_path);

// Another app process (its own cache: everything comes from memcached) opens
// the session and reports what it got.
$reader = <<<'PHP'
    session_id(getenv('CS_ID'));
    session_start();
    echo json_encode(['same_id' => session_id() === getenv('CS_ID'), 'encoded' => bin2hex(session_encode())]), "\n";
    session_abort();
    PHP;
$read_elsewhere = function (string $id) use ($reader, $save_path): array {
    putenv("CS_ID=$id");
    $r = cs_php($reader, ['session.save_path' => $save_path]);
    if ($r['err'] !== '') echo "stderr: $r[err]\n";
    return json_decode(trim($r['out']), true) ?? ['same_id' => false, 'encoded' => "no answer: $r[out]"];
};
$raw = fn (string $id) => cs_mc_get($ports[0], "sess.$id");

echo "--- a new session left empty\n";
$id = cs_session(null);
$value = cs_decode($raw($id));
printf("stored: %d bytes, header %s, payload %d bytes\n", strlen($raw($id) ?? ''),
       $value && $value['magic'] === 'cs' && $value['hlen'] === 16 ? 'ok' : 'BAD', strlen($value['payload'] ?? ''));
$other = $read_elsewhere($id);
echo "another process keeps the ID: ", var_export($other['same_id'], true), ", data: ", json_encode(hex2bin($other['encoded'])), "\n";
$id_again = cs_session($id);
echo "this process keeps the ID: ", var_export($id_again === $id, true), "\n";

echo "--- a session emptied\n";
$id = cs_session(null, function () { $_SESSION = ['user' => 'alice']; });
cs_session($id, function () { $_SESSION = []; });
$value = cs_decode($raw($id));
printf("stored: %d bytes, payload %d bytes, version above the first write: %s\n", strlen($raw($id) ?? ''),
       strlen($value['payload'] ?? 'x'), var_export(($value['version'] ?? 0) > 0, true));
$other = $read_elsewhere($id);
echo "another process keeps the ID: ", var_export($other['same_id'], true), ", data: ", json_encode(hex2bin($other['encoded'])), "\n";

echo "--- NUL bytes and every byte value\n";
$all = '';
for ($i = 0; $i < 256; ++$i) $all .= chr($i);
$binary = ['nul' => "\0", 'nuls' => "a\0\0b\0", 'all' => $all . strrev($all), 'random' => random_bytes(4096),
           'crlf' => "\r\nEND\r\nVALUE sess.x 0 1\r\n", 'header' => cs_encode('fake', 99)];
$id = cs_session(null, function () use ($binary) { $_SESSION = $binary; });
session_id($id);
session_start();
$encoded = session_encode();
session_abort();
$value = cs_decode($raw($id));
echo "payload stored byte for byte: ", var_export(($value['payload'] ?? null) === $encoded, true),
     ", with at least 6 NUL bytes: ", var_export(substr_count($encoded, "\0") >= 6, true), "\n";
$other = $read_elsewhere($id);
echo "another process reads the same bytes: ", var_export($other['same_id'] && hex2bin($other['encoded']) === $encoded, true), "\n";
session_id($id);
session_start();
echo "values intact here: ", var_export($_SESSION === $binary, true), "\n";
session_abort();
echo "errors: ", clustered_session_stats()['errors'], "\n";
?>
--EXPECT--
--- a new session left empty
stored: 16 bytes, header ok, payload 0 bytes
another process keeps the ID: true, data: ""
this process keeps the ID: true
--- a session emptied
stored: 16 bytes, payload 0 bytes, version above the first write: true
another process keeps the ID: true, data: ""
--- NUL bytes and every byte value
payload stored byte for byte: true, with at least 6 NUL bytes: true
another process reads the same bytes: true
values intact here: true
errors: 0
