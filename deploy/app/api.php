<?php
// SPDX-License-Identifier: BSD-3-Clause
// JSON endpoint of the demo app, used by the demo and the end-to-end tests.
//   ?op=incr  increments the session's counter (and appends to its history)
//   ?op=get   reads the session without changing it
//   ?op=stats this node's clustered_session_stats()
// Every answer names the node and the PHP process (pid) that served it; a session
// answer also says when it started and finished (microtime: the e2e tests order
// requests served by different processes by them).
$started = microtime(true);
header('Content-Type: application/json');
header('Cache-Control: no-store');
$op = $_GET['op'] ?? 'get';
$node = ini_get('clustered_session.route');
if ($op === 'stats') {
    echo json_encode(['node' => $node, 'pid' => getmypid(), 'version' => phpversion('clustered_session'),
                      'stats' => clustered_session_stats()]);
    exit;
}
if ($op === 'get' && isset($_GET['close'])) {
    $ok = session_start(['read_and_close' => true]);
} else {
    $ok = session_start();
}
if (!$ok) {
    http_response_code(503);
    echo json_encode(['node' => $node, 'error' => error_get_last()['message'] ?? 'session_start failed']);
    exit;
}
if ($op === 'incr') {
    $_SESSION['counter'] = ($_SESSION['counter'] ?? 0) + 1;
    $_SESSION['nodes'][] = $node;
    if (count($_SESSION['nodes']) > 20) array_shift($_SESSION['nodes']);
    if (isset($_GET['sleep_ms'])) usleep((int)$_GET['sleep_ms'] * 1000);
}
$id = session_id();
preg_match('/^(.+)-([a-z0-9]{1,16})\.([a-z0-9]{1,16})$/', $id, $parts);
$answer = [
    'node' => $node,
    'pid' => getmypid(),
    'id' => $id,
    'random' => $parts[1] ?? null,
    'store' => $parts[2] ?? null,
    'route' => $parts[3] ?? null,
    'counter' => $_SESSION['counter'] ?? 0,
    'history' => $_SESSION['nodes'] ?? [],
];
// A write the handler refused (another node wrote the session meanwhile: a
// balancer that is not route-aware) is reported, not hidden: its one warning
// (older builds add PHP's "Failed to write session data" after theirs).
error_clear_last();
$closed = session_write_close();
$answer['saved'] = $closed && !str_contains(error_get_last()['message'] ?? '', 'clustered_session')
    && !str_contains(error_get_last()['message'] ?? '', 'Failed to write session data');
$answer['started'] = $started;
$answer['finished'] = microtime(true);
echo json_encode($answer);
