<?php
// SPDX-License-Identifier: BSD-3-Clause
// This node's lock-wait histograms (clustered_session_stats()), for bench/run.py
// to report what the parallel workload made requests wait; {} for other handlers.
header('Content-Type: application/json');
if (!function_exists('clustered_session_stats')) {
    echo '{}';
    exit;
}
$stats = clustered_session_stats();
echo json_encode(['lock_waits' => $stats['lock_waits'], 'lock_wait' => $stats['lock_wait'] ?? null,
                  'lock_wake' => $stats['lock_wake'] ?? null]);
