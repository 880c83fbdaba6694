// SPDX-License-Identifier: BSD-3-Clause
// Reads what an app node reports into one StatsSnapshot (stats/stats_snapshot.h):
// the layers below hand their plain figures up, stats/ never reaches down.
#pragma once

#include <optional>

#include "remote/remote_store.h"
#include "session/handler_config.h"
#include "shm/session_cache.h"
#include "stats/counters.h"
#include "stats/lock_waits.h"
#include "stats/stats_snapshot.h"

namespace clustered {

// `cache`, `segment` and `remote` may be absent (no cache, no segment, no
// handler yet), and so may `lock_waits` (no segment: no waits recorded); the
// snapshot then says so rather than inventing figures.
StatsSnapshot take_stats_snapshot(const Counters& counters, SessionCache* cache,
                                  std::optional<SegmentInfo> segment, const HandlerConfig& config,
                                  const RemoteStore* remote, const LockWaits* lock_waits = nullptr);

}  // namespace clustered
