--TEST--
compression: a 2.5 MB shop session (memcached -I 1m) is stored compressed (zstd, lz4), read and changed on another node; raw it is refused with the old copy intact
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
clustered_session.route=web1
clustered_session.compression=zstd
memory_limit=512M
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$mc = cs_memcached_start(['-I', '1m']);
$path = cs_save_path($mc['port']);
ini_set('session.save_path', $path);

// 21,000 cart lines, a token and a user: about 2.5 MB as PHP serializes them.
const CART = 'for ($i = 0; $i < 21000; $i++) $cart[] = ["sku" => sprintf("SKU%05d", $i), "qty" => 1 + $i % 5, "price" => 19.99, "name" => sprintf("Product name number %04d", $i)];';
$node = fn (string $route, string $algorithm) => [
    'session.save_path' => $path, 'clustered_session.route' => $route,
    'clustered_session.compression' => $algorithm, 'session.use_strict_mode' => 1,
    'session.use_cookies' => 0, 'memory_limit' => '512M'];

foreach (['zstd' => 16, 'lz4' => 8] as $algorithm => $flag) {
    // App node w1 stores it...
    $r = cs_php('$cart = []; ' . CART . '
                 session_start(); $_SESSION = ["user" => "alice", "token" => str_repeat("ab", 16), "cart" => $cart, "n" => 1];
                 $size = strlen(session_encode());
                 if (!session_write_close()) exit(1);
                 echo session_id(), " ", $size;', $node('w1', $algorithm));
    [$id, $size] = explode(' ', $r['out'] . ' 0') + [1 => 0];
    echo $r['err'];
    $stored = cs_decode(cs_mc_get($mc['port'], "sess.$id"));
    printf("%s: session %.1f MB, stored %s, compressed %s\n", $algorithm, $size / 1e6,
           strlen($stored['payload']) < (1 << 20) ? 'under 1 MB' : 'OVER 1 MB',
           ($stored['flags'] & $flag) !== 0 ? 'yes' : 'no');

    // ...another app node (w2) reads it, changes it and takes it over...
    putenv("CS_ID=$id");
    $r = cs_php('session_id(getenv("CS_ID")); session_start();
                 echo count($_SESSION["cart"]), " lines, n=", $_SESSION["n"], "\n";
                 $_SESSION["n"]++;
                 echo session_write_close() ? "written" : "NOT written", " under ", session_id() === getenv("CS_ID") ? "the same ID" : "a new ID", "\n";',
                $node('w2', $algorithm));
    echo "w2: ", $r['out'], $r['err'];

    // ...and a third (this one, web1, zstd) follows the old cookie to w2's change.
    session_id($id);
    session_start();
    echo "web1: ", count($_SESSION['cart']), " lines, n=", $_SESSION['n'], "\n";
    session_abort();
}

// Without compression the same session is over the item size: refused, loudly,
// and the copy stored before stays as it was.
$r = cs_php('session_start(); $_SESSION = ["user" => "bob"]; session_write_close();
             $id = session_id(); $before = cs_mc_get(' . $mc['port'] . ', "sess.$id");
             session_id($id); session_start();
             $cart = []; ' . CART . ' $_SESSION["cart"] = $cart;
             session_write_close();
             echo "\nold copy intact: ", cs_mc_get(' . $mc['port'] . ', "sess.$id") === $before ? "yes" : "no", "\n";',
            $node('w3', 'off'));
echo "uncompressed: ", trim(preg_replace('/\s+/', ' ', $r['out'] . $r['err'])), "\n";

?>
--EXPECTF--
zstd: session 2.%d MB, stored under 1 MB, compressed yes
w2: 21000 lines, n=1
written under a new ID
web1: 21000 lines, n=2
lz4: session 2.%d MB, stored under 1 MB, compressed yes
w2: 21000 lines, n=1
written under a new ID
web1: 21000 lines, n=2
uncompressed: Warning: session_write_close(): clustered_session: session data of %d bytes was refused (larger than the node's item size limit?); the previously stored session is unchanged: %s old copy intact: yes
