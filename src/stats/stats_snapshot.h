// SPDX-License-Identifier: BSD-3-Clause
// One reading of everything an app node reports: the shared counters, the mode,
// the cache, the segment and the memcached nodes. Taken once by the core; ext/
// only turns it into a PHP array, phpinfo() rows or (via prometheus_text.h) text.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "session/handler_config.h"
#include "shm/session_cache.h"
#include "stats/counters.h"
#include "store/remote_store.h"

namespace clustered {

struct CounterValue {
  const char* name;  // from kCounterList
  const char* help;
  std::uint64_t value;
};

struct SegmentInfo {
  std::size_t mapped_bytes = 0;
  std::uint32_t reattach_count = 0;
};

struct NodeState {
  std::string id;
  std::string endpoint;
  std::string role;  // active, joining or drain (save_path)
  bool up = false;
  std::uint64_t failures = 0;
  std::uint64_t evictions = 0;  // memcached's own "evictions" at the last takeover check
  std::uint64_t restarts = 0;   // memcached restarts this app node noticed
  // When this app node logged it down (unix s; 0: up, as logged) and why.
  std::int64_t down_since_s = 0;
  std::string down_cause;
  // It gives no CAS tokens (memcached -C): no session is stored on it.
  bool without_cas = false;
  // "up", "up, no CAS tokens (memcached -C): stores no session", or "down since
  // <time> (<cause>)": what the log said last.
  std::string state() const;
};

struct StatsSnapshot {
  std::array<CounterValue, kCounterCount> counters{};  // in kCounterList order
  std::string route;
  std::string mode;
  std::string sealing;  // how values in memcached are sealed (Sealer::description)
  bool sealed = false;  // written sealed
  bool trusted = false;
  std::optional<CacheStats> cache;     // absent with cache_size = 0
  std::optional<SegmentInfo> segment;  // absent when no segment was mapped
  std::vector<NodeState> nodes;        // in save_path order

  // The value of the counter called `name`; 0 for a name not in the list.
  std::uint64_t counter(std::string_view name) const;
};

// `cache`, `segment` and `remote` may be absent (no cache, no segment, no
// handler yet); the snapshot then says so rather than inventing figures.
StatsSnapshot take_stats_snapshot(const Counters& counters, SessionCache* cache,
                                  std::optional<SegmentInfo> segment, const HandlerConfig& config,
                                  const RemoteStore* remote);

}  // namespace clustered
