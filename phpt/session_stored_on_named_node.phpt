--TEST--
after session_write_close() the data is under "sess.<id>" on exactly the node the ID names, with the 16-byte header and TTL gc_maxlifetime + touch_interval
--INI--
session.save_handler=clustered
session.use_strict_mode=1
session.use_cookies=0
session.cache_limiter=
session.gc_maxlifetime=1000
clustered_session.route=web1
clustered_session.touch_interval=77
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
// memcached on a clock that stands still (helper.inc, CsClock): the TTL it
// reports is the one the extension sent, however long ago that was.
$clock = new CsClock();
$ports = [cs_memcached_start([], null, $clock)['port'], cs_memcached_start([], null, $clock)['port']];
ini_set('session.save_path', cs_save_path(...$ports));

$stores = [];
$versions = [];
for ($i = 0; $i < 20; ++$i) {
    $id = cs_session(null, function () use ($i) { $_SESSION['n'] = $i; });
    $store = cs_store_port($id, $ports);
    $stores[cs_split_id($id)['store']] = true;
    // Asked directly: present on the named node, absent on the other.
    foreach ($ports as $port) {
        $meta = cs_mc_meta($port, "sess.$id");
        if ($port !== $store) {
            if ($meta !== null) echo "$id also on port $port\n";
            continue;
        }
        if ($meta === null) { echo "$id missing on its node\n"; continue; }
        $v = cs_decode($meta['value']);
        if ($v['magic'] !== 'cs' || $v['format'] !== 1 || $v['hlen'] !== 16 || $v['flags'] !== 0) {
            echo "bad header: ", bin2hex(substr($meta['value'], 0, 16)), "\n";
        }
        if ($v['payload'] !== "n|i:$i;") echo "bad payload: $v[payload]\n";
        if ($meta['ttl'] !== 1077) echo "TTL $meta[ttl], expected 1077\n";
        $versions[] = $v['version'];
    }
}
ksort($stores);
echo "stores used: ", implode(' ', array_keys($stores)), "\n";
echo "versions checked: ", count($versions), "\n";

// The version grows with every write of one session, and follows wall time (µs).
$before = (int)(microtime(true) * 1e6);
$id = cs_session(null, function () { $_SESSION['v'] = 1; });
$port = cs_store_port($id, $ports);
$v1 = cs_decode(cs_mc_get($port, "sess.$id"))['version'];
cs_session($id, function () { $_SESSION['v'] = 2; });
$v2 = cs_decode(cs_mc_get($port, "sess.$id"))['version'];
var_dump($v1 >= $before, $v2 > $v1);

// The TTL follows gc_maxlifetime as set at runtime too.
ini_set('session.gc_maxlifetime', 300);
$id = cs_session(null, function () { $_SESSION['t'] = 1; });
$ttl = cs_mc_meta(cs_store_port($id, $ports), "sess.$id")['ttl'];
var_dump($ttl === 377);  // seconds left
?>
--EXPECT--
stores used: n1 n2
versions checked: 20
bool(true)
bool(true)
bool(true)
