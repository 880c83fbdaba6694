<?php
// SPDX-License-Identifier: BSD-3-Clause
// A page that changes the session on every request.
header('Content-Type: text/plain');
if (!session_start()) {
    http_response_code(503);
    exit;
}
$_SESSION['counter'] = ($_SESSION['counter'] ?? 0) + 1;
echo 'counter=', $_SESSION['counter'], "\n";
