// SPDX-License-Identifier: BSD-3-Clause
// Counters shared by all children of a node (docs/design.md, "Counters"). Lock-free atomics in
// shared memory, so a child killed at any point can never leave them locked.
//
// CLUSTERED_COUNTERS is the one place a counter is declared: its name and a
// one-line help text. The struct below, kCounterList, and through it the stats
// array, phpinfo(), the Prometheus text and the status page all come from it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace clustered {

#define CLUSTERED_COUNTERS(X)                                                                 \
  X(local_hits, "Session reads served from the node-local shared-memory cache.")              \
  X(local_misses, "Owned sessions not found in the local cache (fetched from memcached).")    \
  X(remote_reads, "memcached get operations.")                                                \
  X(remote_writes, "memcached set operations (replicas included).")                           \
  X(writes_skipped, "Writes of unchanged data turned into timestamp updates.")                \
  X(touches, "memcached touch operations (TTL refreshes of unchanged sessions).")             \
  X(touches_skipped, "TTL refreshes skipped because touch_interval had not passed.")          \
  X(migrations, "Sessions taken over from another app node (route rewritten).")               \
  X(relocations, "Sessions moved to another memcached node (store rewritten).")               \
  X(lock_waits, "Session lock acquisitions that had to wait.")                                \
  X(lock_timeouts, "Session lock waits that ran into lock_timeout.")                          \
  X(takeover_checks,                                                                          \
    "Reads of this node's takeover notices (at most one per takeover_check_interval).")       \
  X(takeover_notices,                                                                         \
    "Cached sessions dropped because another node took them over (after a gap: every "        \
    "synced one, sessions only until compared with memcached).")                              \
  X(writes_too_large,                                                                         \
    "Writes refused because the session is larger than the node's item size limit.")          \
  X(writes_kept,                                                                              \
    "Writes memcached did not take (node down, frozen, out of memory): kept on this node, "   \
    "unsynced, and written again on the session's next request or the node's next check.")    \
  X(replica_write_failures, "Replica writes that failed while the primary copy was stored.")  \
  X(writes_out_of_memory,                                                                     \
    "Writes memcached refused for lack of memory (SERVER_ERROR out of memory): kept on "      \
    "this node, retried.")                                                                    \
  X(store_restarts,                                                                           \
    "memcached restarts noticed (another pid or start time): what this node held there is "   \
    "written again.")                                                                         \
  X(copies_lost,                                                                              \
    "Sessions this node holds that memcached had lost (evicted, or gone during a gap in the " \
    "takeover checks): kept here and stored there again.")                                    \
  X(restart_holds,                                                                            \
    "Requests that found no copy of a presented session on a memcached node this app node "   \
    "saw restart moments ago, and read it again while its owner might store it again (the "   \
    "restart hold; each holds a worker and the session's lock).")                             \
  X(restart_holds_found,                                                                      \
    "Restart holds that ended when a copy appeared (its owner stored it again): the session " \
    "was served or taken over instead of started empty.")                                     \
  X(restart_holds_expired,                                                                    \
    "Restart holds whose window (twice takeover_check_interval and a second from the "        \
    "restart) passed without a copy: the request got a new, empty session.")                  \
  X(restart_hold_ms, "Milliseconds requests spent in restart holds, all holds together.")     \
  X(write_conflicts,                                                                          \
    "Writes refused because another node wrote the session (took it over) while the "         \
    "request ran: nothing was overwritten.")                                                  \
  X(rejected_values,                                                                          \
    "Values and notice records from memcached that were ignored: they did not open "          \
    "(forged, damaged, copied from another key), were unsealed where sealing is required, "   \
    "or were older than this node's copy.")                                                   \
  X(errors,                                                                                   \
    "Session functions that failed (the request's session could not be read, written, "       \
    "locked or destroyed): each also warned, once.")

struct Counters {
#define CLUSTERED_DECLARE_COUNTER(name, help) std::atomic<std::uint64_t> name{0};
  CLUSTERED_COUNTERS(CLUSTERED_DECLARE_COUNTER)
#undef CLUSTERED_DECLARE_COUNTER

  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
    counter.fetch_add(by, std::memory_order_relaxed);
  }
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "counters live in shared memory and must be lock-free");

// What renderers need of each counter; lives outside the shared segment, so the
// help texts cost Counters nothing.
struct CounterInfo {
  const char* name;
  const char* help;
  std::atomic<std::uint64_t> Counters::*member;
};

inline constexpr CounterInfo kCounterList[] = {
#define CLUSTERED_COUNTER_INFO(name, help) {#name, help, &Counters::name},
    CLUSTERED_COUNTERS(CLUSTERED_COUNTER_INFO)
#undef CLUSTERED_COUNTER_INFO
};

inline constexpr std::size_t kCounterCount = sizeof(kCounterList) / sizeof(kCounterList[0]);

// The segment's layout: one atomic per counter and nothing else.
static_assert(sizeof(Counters) == kCounterCount * sizeof(std::atomic<std::uint64_t>),
              "Counters is part of the shared segment's layout");

}  // namespace clustered
