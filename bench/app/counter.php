<?php
// SPDX-License-Identifier: BSD-3-Clause
// A page that changes the session on every request.
header('Content-Type: text/plain');
if (!session_start()) {
    http_response_code(503);
    exit;
}
// bench/run.py --session-kb N: each new session gets a cart of about N KB (lines
// as PHP serializes a shop's cart), so the store moves sessions of that size.
if (!isset($_SESSION['counter']) && ($kb = (int)($_GET['fill_kb'] ?? 0)) > 0) {
    $cart = [];
    for ($i = 0; ($size = strlen(serialize($cart))) < $kb * 1024;) {
        // About 100 bytes a line: add what is still missing, then measure again.
        for ($n = max(1, intdiv($kb * 1024 - $size, 110)); $n > 0; $n--, $i++) {
            $cart[] = ['sku' => sprintf('SKU%05d', $i), 'qty' => 1 + $i % 5, 'price' => 19.99,
                       'name' => sprintf('Product name number %04d', $i)];
        }
    }
    $_SESSION['cart'] = $cart;
}
$_SESSION['counter'] = ($_SESSION['counter'] ?? 0) + 1;
echo 'counter=', $_SESSION['counter'], "\n";
