<?php
// SPDX-License-Identifier: BSD-3-Clause
// A page that only reads the session (unchanged data: lazy_write).
header('Content-Type: text/plain');
if (!session_start()) {
    http_response_code(503);
    exit;
}
echo 'counter=', $_SESSION['counter'] ?? 0, "\n";
