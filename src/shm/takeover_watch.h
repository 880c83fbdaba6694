// SPDX-License-Identifier: BSD-3-Clause
// When this app node last read its takeover notices (session/takeover_notices.h),
// shared by all its processes so that one of them reads per check interval.
// Plain atomics in shared memory: a process killed mid-check leaves nothing
// locked; the next due check simply happens one interval later.
#pragma once

#include <atomic>
#include <cstdint>

namespace clustered {

struct TakeoverWatch {
  // Monotonic s: when the last check that read every live node started, and
  // when the next check is due.
  std::atomic<std::int64_t> checked_at{0};
  std::atomic<std::int64_t> next_check_at{0};

  // A new segment starts with an empty cache, which no notice can concern: it
  // counts as checked when it is made, and the first check is one interval later.
  void start(std::int64_t now) {
    checked_at.store(now, std::memory_order_relaxed);
    next_check_at.store(0, std::memory_order_relaxed);
  }

  [[nodiscard]] bool due(std::int64_t now, std::int64_t interval) const {
    return now >= next_check_at.load(std::memory_order_relaxed) &&
           now >= checked_at.load(std::memory_order_relaxed) + interval;
  }

  // One process per interval wins the right to check; the others go on.
  bool claim(std::int64_t now, std::int64_t interval) {
    std::int64_t expected = next_check_at.load(std::memory_order_relaxed);
    return due(now, interval) && next_check_at.compare_exchange_strong(expected, now + interval,
                                                                       std::memory_order_relaxed);
  }

  void completed(std::int64_t now) { checked_at.store(now, std::memory_order_relaxed); }
};

static_assert(std::atomic<std::int64_t>::is_always_lock_free,
              "the watch lives in shared memory and must be lock-free");

}  // namespace clustered
