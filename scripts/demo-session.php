<?php
// SPDX-License-Identifier: BSD-3-Clause
// One step of the two-process demo: `write` starts a session and stores data,
// `read ID` starts the same session in a separate PHP process and prints it.
[$self, $action] = [$argv[0], $argv[1] ?? 'write'];
ini_set('session.use_cookies', '0');
ini_set('session.use_strict_mode', '1');
if ($action === 'read') {
    session_id($argv[2]);
}
if (!session_start()) {
    fwrite(STDERR, "session_start() failed\n");
    exit(1);
}
$id = session_id();
if ($action === 'write') {
    $_SESSION['user'] = 'alice';
    $_SESSION['cart'] = ['book', 'lamp'];
    $_SESSION['written_by_pid'] = getmypid();
    $_SESSION['written_by_route'] = ini_get('clustered_session.route');
}
$data = $_SESSION;
session_write_close();
if (!preg_match('/^(.+)-([a-z0-9]{1,16})\.([a-z0-9]{1,16})$/', $id, $parts)) {
    fwrite(STDERR, "unexpected session ID $id\n");
    exit(1);
}
$stats = clustered_session_stats();
echo json_encode([
    'pid' => getmypid(),
    'route' => ini_get('clustered_session.route'),
    'id' => $id,
    'random' => $parts[1],
    'store' => $parts[2],
    'owner' => $parts[3],
    'data' => $data,
    'migrations' => $stats['migrations'],
    'remote_reads' => $stats['remote_reads'],
    'remote_writes' => $stats['remote_writes'],
    'nodes' => $stats['nodes'],
]), "\n";
