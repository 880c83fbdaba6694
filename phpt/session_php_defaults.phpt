--TEST--
PHP's own session defaults, with no session INI but the handler and save_path (PHP 8.6 turns on use_strict_mode, cookie_httponly and cookie_samesite=Lax): two app nodes (php -S) behind real cookies; IDs, cookie attributes, the handler's mode and a takeover follow whatever this PHP's defaults are
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$mc = cs_memcached_start();
$save_path = cs_save_path($mc['port']);

// The documented defaults of this PHP version: what the servers below must report.
$v86 = PHP_VERSION_ID >= 80600;
$expected = ['strict' => $v86 ? '1' : '0', 'httponly' => $v86 ? '1' : '0', 'samesite' => $v86 ? 'Lax' : ''];

$dir = sys_get_temp_dir() . '/cs_defaults_' . getmypid();
@mkdir($dir);
file_put_contents("$dir/index.php", <<<'PHP'
    <?php
    session_start();
    $_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;
    echo json_encode(['n' => $_SESSION['n'], 'id' => session_id(),
        'strict' => ini_get('session.use_strict_mode'), 'httponly' => ini_get('session.cookie_httponly'),
        'samesite' => ini_get('session.cookie_samesite'), 'trusted' => clustered_session_stats()['trusted'],
        'mode' => clustered_session_stats()['mode']]);
    PHP);

/** An app node: php -S with the extension and only the settings it cannot do without. */
function node(string $route, string $save_path, string $dir): array
{
    $port = cs_free_port();
    $command = [PHP_BINARY, '-n', '-d', 'extension=' . cs_extension_path(),
                '-d', 'session.save_handler=clustered', '-d', "session.save_path=\"$save_path\"",
                '-d', "clustered_session.route=$route", '-S', "127.0.0.1:$port", '-t', $dir];
    $proc = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'],
                                 2 => ['file', "$dir/$route.log", 'w']], $pipes);
    if ($proc === false) cs_fail('cannot start php -S');
    cs_record_server(proc_get_status($proc)['pid']);
    for ($i = 0; $i < 400 && !cs_port_answers($port); ++$i) usleep(25000);
    if (!cs_port_answers($port)) cs_fail("php -S $route did not start: " . @file_get_contents("$dir/$route.log"));
    return ['proc' => $proc, 'port' => $port];
}

/** GET / with the cookie; returns [decoded body, Set-Cookie header or null]. */
function get(array $node, ?string $cookie): array
{
    $socket = stream_socket_client("tcp://127.0.0.1:{$node['port']}", $errno, $error, 5);
    if ($socket === false) cs_fail("cannot connect: $error");
    stream_set_timeout($socket, 30);
    fwrite($socket, "GET / HTTP/1.0\r\nHost: localhost\r\n" . ($cookie ? "Cookie: PHPSESSID=$cookie\r\n" : '') . "\r\n");
    $response = stream_get_contents($socket);
    fclose($socket);
    [$head, $body] = explode("\r\n\r\n", $response, 2) + [1 => ''];
    $set = preg_match('/^Set-Cookie: (.*)$/mi', $head, $m) ? trim($m[1]) : null;
    $data = json_decode($body, true);
    if (!is_array($data)) cs_fail("unexpected answer: $response");
    return [$data, $set];
}

/** The cookie's attributes match this PHP's defaults. */
function attributes_as_defaults(string $set, array $expected): string
{
    $httponly = stripos($set, '; HttpOnly') !== false;
    $samesite = preg_match('/; SameSite=(\w+)/i', $set, $m) ? $m[1] : '';
    return $httponly === ($expected['httponly'] === '1') && $samesite === $expected['samesite']
        ? 'as the defaults say' : "NOT as the defaults say: $set";
}

$web1 = node('web1', $save_path, $dir);
$web2 = node('web2', $save_path, $dir);

[$first, $set] = get($web1, null);
$reported = array_intersect_key($first, $expected);
echo "defaults reported by the node: ", $reported == $expected ? "those of PHP " . PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION : json_encode($reported), "\n";
$id = $first['id'];
echo "first request: n=$first[n], ID ", preg_match('/^[0-9a-v]{32}-n1\.web1$/', $id) ? '<random>-n1.web1' : $id,
     ", cookie ", $set !== null && str_starts_with($set, "PHPSESSID=$id;") ? 'sent' : 'MISSING', ", attributes ",
     $set !== null ? attributes_as_defaults($set, $expected) : '-', "\n";
echo "mode: ", $first['trusted'] === ($expected['strict'] === '1') ? 'as strict mode says (cache trusted only in strict mode)' : $first['mode'], "\n";

[$second, $set] = get($web1, $id);
echo "same node: n=$second[n], ID ", $second['id'] === $id ? 'kept' : 'changed', ", cookie ", $set === null ? 'not resent' : "resent: $set", "\n";

// Another node gets the cookie. Strict mode (8.6's default): taken over under a
// new ID of web2's, sent as a new cookie. Without it (the default before 8.6):
// PHP keeps the ID it was given, and the handler reads memcached's copy.
[$third, $set] = get($web2, $id);
$moved = $third['id'] !== $id;
$cookie = $moved ? ($set !== null && str_starts_with($set, "PHPSESSID=$third[id];") ? 'sent' : 'MISSING') : ($set === null ? 'not resent' : "resent: $set");
$as_strict = $moved === ($expected['strict'] === '1') && ($moved ? $cookie === 'sent' : $cookie === 'not resent');
echo "other node: n=$third[n], ID and cookie ", $as_strict ? 'as strict mode says' : ($moved ? 'moved' : 'kept') . ", cookie $cookie",
     $moved && $set !== null ? ', attributes ' . attributes_as_defaults($set, $expected) : '', "\n";
[$fourth, $set] = get($web2, $third['id']);
echo "other node again: n=$fourth[n]\n";

// SIGINT: php -S shuts down cleanly on it (SIGTERM would end it without module
// shutdown, which valgrind reports as PHP's own allocations lost).
foreach ([$web1, $web2] as $node) { proc_terminate($node['proc'], SIGINT); proc_close($node['proc']); }
foreach (['web1', 'web2'] as $route) {
    $log = trim((string)@file_get_contents("$dir/$route.log"));
    // php -S logs each connection; only PHP's messages are of interest.
    $log = implode("\n", preg_grep('/(Warning|Notice|Deprecated|Fatal|error)/i', explode("\n", $log)));
    if (trim($log) !== '') echo "$route log: $log\n";
    @unlink("$dir/$route.log");
}
@unlink("$dir/index.php");
@rmdir($dir);
?>
--EXPECTF--
defaults reported by the node: those of PHP %d.%d
first request: n=1, ID <random>-n1.web1, cookie sent, attributes as the defaults say
mode: as strict mode says (cache trusted only in strict mode)
same node: n=2, ID kept, cookie not resent
other node: n=3, ID and cookie as strict mode says%r(, attributes as the defaults say)?%r
other node again: n=4
