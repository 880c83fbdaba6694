// SPDX-License-Identifier: BSD-3-Clause
// One reading of everything an app node reports: the shared counters, the mode,
// the cache, the segment and the memcached nodes, as plain figures. Filled once
// by the handler (session/stats_reading.h), which reads the layers below; ext/
// only turns it into a PHP array, phpinfo() rows or (via prometheus_text.h) text.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stats/counters.h"
#include "stats/lock_waits.h"

namespace clustered {

struct CounterValue {
  const char* name;  // from kCounterList
  const char* help;
  std::uint64_t value;
};

// The session cache's figures (shm/session_cache.h, CacheStats).
struct CacheFigures {
  std::uint64_t capacity_bytes = 0;
  std::uint64_t used_bytes = 0;
  std::uint64_t entries = 0;
  std::uint64_t max_entries = 0;
  std::uint64_t evictions = 0;
  std::uint64_t repairs = 0;
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
  std::string sealing;      // how values in memcached are sealed (Sealer::description)
  std::string compression;  // ValueCodec::compression_description
  bool sealed = false;      // written sealed
  bool trusted = false;
  std::optional<CacheFigures> cache;   // absent with cache_size = 0
  std::optional<SegmentInfo> segment;  // absent when no segment was mapped
  HistogramFigures lock_wait;          // waits for a session lock (LockWaits::wait)
  HistogramFigures lock_wake;          // unlock to waiter running (LockWaits::wake)
  std::vector<NodeState> nodes;        // in save_path order

  // The value of the counter called `name`; 0 for a name not in the list.
  std::uint64_t counter(std::string_view name) const;
};

}  // namespace clustered
