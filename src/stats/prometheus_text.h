// SPDX-License-Identifier: BSD-3-Clause
// A stats snapshot in the Prometheus text exposition format (version 0.0.4):
// one family per counter of kCounterList (clustered_session_<name>_total), then
// the trust gauge, the cache and each memcached node, all labelled with the
// route (and for memcached nodes the node id and address).
#pragma once

#include <string>

#include "stats/stats_snapshot.h"

namespace clustered {

std::string prometheus_text(const StatsSnapshot& snapshot);

// A label value with backslash, double quote and newline escaped.
std::string prometheus_label(std::string_view text);

}  // namespace clustered
