// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include "php_clustered_session.h"
#include "session/stats_reading.h"

// This process's one reading of the node: the shared segment, the config in
// force and the memcached nodes of its handler (made from session.save_path
// when no session ran yet).
clustered::StatsSnapshot clustered_session_stats_snapshot();

// clustered_session_stats(): the snapshot as a PHP array.
void clustered_session_fill_stats(zval* result);
// The phpinfo() section: the snapshot as table rows.
void clustered_session_print_info();
