--TEST--
session ID with PHP's default settings: <random>-<store>.<route>, random part of 32 characters of PHP's 4-bit alphabet (128 bits), every symbol used, both stores chosen
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
require __DIR__ . '/include/id_format.inc';
ini_set('session.save_path', cs_save_path());
cs_check_id_format(32, 4, 150);
?>
--EXPECT--
32/4: ok; 16 of 16 symbols; stores n1 n2
