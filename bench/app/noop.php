<?php
// SPDX-License-Identifier: BSD-3-Clause
// Baseline: the same request and output shape as read.php, without a session.
header('Content-Type: text/plain');
$cookie = $_COOKIE['PHPSESSID'] ?? '';
echo 'counter=', strlen($cookie), "\n";
