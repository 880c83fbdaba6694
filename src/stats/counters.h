// Counters shared by all children of a node (DESIGN.md §2). Lock-free atomics in
// shared memory, so a child killed at any point can never leave them locked.
#pragma once

#include <atomic>
#include <cstdint>

namespace clustered {

#define CLUSTERED_COUNTERS(X) \
  X(local_hits)               \
  X(local_misses)             \
  X(remote_reads)             \
  X(remote_writes)            \
  X(writes_skipped)           \
  X(touches)                  \
  X(touches_skipped)          \
  X(migrations)               \
  X(relocations)              \
  X(lock_waits)               \
  X(lock_timeouts)            \
  X(takeover_checks)          \
  X(takeover_notices)         \
  X(errors)

struct Counters {
#define CLUSTERED_DECLARE_COUNTER(name) std::atomic<std::uint64_t> name{0};
  CLUSTERED_COUNTERS(CLUSTERED_DECLARE_COUNTER)
#undef CLUSTERED_DECLARE_COUNTER

  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
    counter.fetch_add(by, std::memory_order_relaxed);
  }
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "counters live in shared memory and must be lock-free");

}  // namespace clustered
