--TEST--
a clustered_session.cache_size larger than the machine's memory (64G here) is refused at start with a warning naming both sizes, and the default (64M) stays in force; a size that fits is taken
--INI--
session.save_handler=clustered
--FILE--
<?php
// SPDX-License-Identifier: BSD-3-Clause
require __DIR__ . '/include/helper.inc';
$show = 'echo ini_get("clustered_session.cache_size"), " ", clustered_session_stats()["cache"]["size"] > 0 ? "cache" : "no cache", "\n";';
$r = cs_php($show, ['clustered_session.cache_size' => '64G', 'session.save_path' => cs_save_path()]);
echo $r['out'], $r['err'];
$r = cs_php($show, ['clustered_session.cache_size' => '16M', 'session.save_path' => cs_save_path()]);
echo $r['out'], $r['err'];
?>
--EXPECTF--
%AWarning: PHP Startup: clustered_session: clustered_session.cache_size="64G" refused: larger than this machine's memory (%d MB, a cgroup limit included): the cache could only fill up into the OOM killer in Unknown on line 0
64M cache
16M cache
