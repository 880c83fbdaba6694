--TEST--
hostile session IDs through the Cookie header (parsed and URL-decoded as PHP does: %00, %01, %FF, CR LF, over-long, unknown node, forged route, our suffix but never stored), strict mode: every request gets a fresh ID and the attacker's ID never becomes a memcached key
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

function hostile_keys(int $port): array
{
    // BUSY while memcached's LRU crawler is still at work (an earlier metadump,
    // its own crawls): asked again until it is done, for as long as CS_PATIENCE
    // allows (only a hang takes that long).
    $deadline = microtime(true) + CS_PATIENCE;
    while (microtime(true) < $deadline) {
        $c = new CsMemcachedConnection($port);
        $c->send("lru_crawler metadump all\r\n");
        $keys = [];
        $busy = false;
        while (($line = $c->line()) !== 'END') {
            if (str_starts_with($line, 'BUSY')) { $busy = true; break; }
            if (str_starts_with($line, 'ERROR') || str_starts_with($line, 'CLIENT_ERROR')) cs_fail("metadump: $line");
            if (preg_match('/^key=(\S+)/', $line, $m)) $keys[] = rawurldecode($m[1]);
        }
        if (!$busy) { sort($keys); return $keys; }
        usleep(20000);
    }
    cs_fail('metadump stayed busy');
}

$a = cs_memcached_start();
$b = cs_memcached_start();
$ports = [$a['port'], $b['port']];
$ini = ['session.save_path' => cs_save_path(...$ports), 'session.use_cookies' => '1',
        'session.use_only_cookies' => '1'];

// A request of its own: the Cookie header is split and URL-decoded the way PHP's
// cookie parser does it (php_default_treat_data, PARSE_COOKIE: ';' separated,
// leading spaces skipped, first occurrence wins), then the session starts.
$request = <<<'PHP'
    $header = hex2bin(getenv('CS_COOKIE_HEX'));
    $_COOKIE = [];
    foreach (explode(';', $header) as $pair) {
        $pair = ltrim($pair, ' ');
        if ($pair === '') continue;
        [$name, $value] = array_pad(explode('=', $pair, 2), 2, '');
        if (!array_key_exists($name, $_COOKIE)) $_COOKIE[$name] = urldecode($value);
    }
    $ok = session_start();
    $id = session_id();
    $_SESSION['seen'] = 1;
    session_write_close();
    echo json_encode(['ok' => $ok, 'id' => $id]), "\n";
    PHP;

$r = bin2hex(random_bytes(16));
$headers = [
    '%01 inside' => "PHPSESSID=$r%01-n1.web1",
    '%00 inside' => "PHPSESSID=$r%00-n1.web1",
    '%00 first' => "PHPSESSID=%00$r-n2.web1",
    '%FF first' => "PHPSESSID=%FF$r-n1.web1",
    '%C3%A9 (UTF-8)' => "PHPSESSID=$r%C3%A9-n1.web1",
    '%7F inside' => "PHPSESSID=$r%7F-n1.web1",
    'CR LF header injection' => "PHPSESSID=$r%0D%0ASet-Cookie:%20x=1-n1.web1",
    '+ (a space once decoded)' => "PHPSESSID=$r+x-n1.web1",
    'over-long 5000' => 'PHPSESSID=' . str_repeat('f', 5000) . '-n1.web1',
    'over-long 240, well-formed' => 'PHPSESSID=' . str_repeat('f', 240) . '-n1.web1',
    'unknown node' => "PHPSESSID=$r-n9.web1",
    'forged route' => "PHPSESSID=$r-n1.web2",
    'our suffix, never stored' => "PHPSESSID=$r-n2.web1",
    'our suffix, first of two cookies' => "PHPSESSID=$r-n1.web1; PHPSESSID=" . bin2hex(random_bytes(16)) . '-n2.web1',
];

$fresh = [];
foreach ($headers as $label => $header) {
    $attacker = urldecode(explode(';', substr($header, strlen('PHPSESSID=')))[0]);
    putenv('CS_COOKIE_HEX=' . bin2hex($header));
    $before = cs_mc_counts($ports, ['cmd_get'])['cmd_get'];
    $run = cs_php($request, $ini);
    $gets = cs_mc_counts($ports, ['cmd_get'])['cmd_get'] - $before;
    // An ID naming a node this save_path lacks is looked for on the listed
    // nodes (a removed node's sessions may be there), and the operator's log
    // (never the page) names the node.
    $named = [];
    foreach (cs_log() as $line) {
        if (preg_match("/^session \S+ names memcached node '(\w+)', which is not in session.save_path/", $line, $m)) $named[] = $m[1];
    }
    $warned = $named ? ', a log line naming ' . implode(',', $named) : '';
    $answer = json_decode(trim($run['out']), true);
    if (!is_array($answer)) { echo "$label: no answer: $run[out] $run[err]\n"; continue; }
    $parts = cs_split_id($answer['id']);
    $ours = $answer['id'] !== $attacker && $parts !== null && $parts['route'] === 'web1'
            && strlen($parts['random']) === 32 && !in_array($answer['id'], $fresh, true);
    printf("%s: start %s, %s, gets %d%s%s\n", $label, var_export($answer['ok'], true),
           $ours ? 'fresh ID' : 'WRONG ID ' . json_encode(substr($answer['id'], 0, 60)),
           $gets, $warned, $run['err'] === '' ? '' : ", stderr: $run[err]");
    $fresh[] = $answer['id'];
}

$keys = array_merge(hostile_keys($ports[0]), hostile_keys($ports[1]));
sort($keys);
$expected = array_map(fn ($id) => "sess.$id", $fresh);
sort($expected);
echo "keys on the servers are exactly the fresh IDs: ", var_export($keys === $expected, true), "\n";
?>
--EXPECT--
%01 inside: start true, fresh ID, gets 0
%00 inside: start true, fresh ID, gets 0
%00 first: start true, fresh ID, gets 0
%FF first: start true, fresh ID, gets 0
%C3%A9 (UTF-8): start true, fresh ID, gets 0
%7F inside: start true, fresh ID, gets 0
CR LF header injection: start true, fresh ID, gets 0
+ (a space once decoded): start true, fresh ID, gets 0
over-long 5000: start true, fresh ID, gets 0
over-long 240, well-formed: start true, fresh ID, gets 0
unknown node: start true, fresh ID, gets 2, a log line naming n9
forged route: start true, fresh ID, gets 1
our suffix, never stored: start true, fresh ID, gets 1
our suffix, first of two cookies: start true, fresh ID, gets 1
keys on the servers are exactly the fresh IDs: true
