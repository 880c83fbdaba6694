// SPDX-License-Identifier: BSD-3-Clause
// States of single sessions that the handler handled itself (a replica write that
// failed, a forward kept for a retry, values in memcached that were ignored): each
// kind is logged at most once per interval for the whole app node, with how many
// went unlogged since the line before (docs/design.md, "Who hears what"). A node
// going down and back has its own record (store/node_health.h). Plain atomics in
// shared memory: a process killed at any point leaves nothing locked.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace clustered {

enum class HandledEvent : std::uint8_t {
  kReplicaWriteFailed,  // the session is stored, one of its replicas is not
  kWriteKept,           // memcached did not take a write: kept on this node, retried
  kForwardKept,         // a moved session's forward or a delete waits for its node
  kNoticeUnwritten,     // no memcached node took a takeover notice
  kStayedUnderOldId,    // a session that could not move (too large, changed meanwhile) stays
  kValuesIgnored,       // values or notice records that did not open, or were older
  kConfiguration,       // a setting the handler works around (positional ids, ...)
};
inline constexpr std::size_t kHandledEventKinds = 7;

struct EventThrottle {
  std::atomic<std::int64_t> next_at_s[kHandledEventKinds] = {};
  std::atomic<std::uint64_t> unlogged[kHandledEventKinds] = {};

  // True for the one caller that logs `kind` now (monotonic `now_s`); it gets in
  // `unlogged_since` how many events of the kind went without a line since the
  // last one. Everyone else counts theirs for that line.
  bool take(HandledEvent kind, std::int64_t now_s, std::int64_t interval_s,
            std::uint64_t* unlogged_since) {
    const auto i = static_cast<std::size_t>(kind);
    std::int64_t next = next_at_s[i].load(std::memory_order_relaxed);
    if (now_s < next || !next_at_s[i].compare_exchange_strong(next, now_s + interval_s,
                                                              std::memory_order_relaxed)) {
      unlogged[i].fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    *unlogged_since = unlogged[i].exchange(0, std::memory_order_relaxed);
    return true;
  }
};

static_assert(std::atomic<std::int64_t>::is_always_lock_free,
              "the throttle lives in shared memory and must be lock-free");

}  // namespace clustered
