// SPDX-License-Identifier: BSD-3-Clause
// Both ends of the takeover notices (session/takeover_notices.h): the node that
// takes a session over announces it to the old owner's route, and every node
// checks its own route's notices before it trusts its cache.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "remote/remote_store.h"
#include "session/lost_copies.h"
#include "session/missed_writes.h"
#include "shm/session_cache.h"
#include "shm/takeover_watch.h"
#include "stats/counters.h"

namespace clustered {

// How far this app node's cached copies may be served as they are
// (Takeovers::trust_local_copies(), docs/design.md "Forwards and notices").
enum class CopyTrust : std::uint8_t {
  kTrusted,  // served from the cache, no round trip
  // Another process of the node is inside the due check: each copy is compared
  // with memcached before it is served, and served as it is when its store node
  // does not answer (as a trusted one would be).
  kVerify,
  kUntrusted,  // compared with memcached before one is served ("Lost copies")
};

class Takeovers {
 public:
  Takeovers(RemoteStore& remote, SessionCache* cache, TakeoverWatch& watch, Counters& counters,
            MissedWrites& missed)
      : remote_(remote),
        cache_(cache),
        watch_(watch),
        counters_(counters),
        missed_(missed),
        lost_copies_(remote, cache, counters) {}

  // How far this node's cached copies may be served: reads the notices first when
  // a check is due and no other process of the node has claimed it. Trusted while
  // the last complete check started less than interval_s ago, or when this call
  // completed one; to be verified from then on (another process is inside the due
  // check, or the last one was incomplete); untrusted while no check has completed
  // for kNoticeGapSeconds (notices may have expired unread).
  // interval_s = 0 turns notices off: always trusted, nothing read (the old owner may
  // then serve its copy of a taken-over session until it expires there).
  // Intervals and the gap run on the monotonic clock (a stepped wall clock moves
  // nothing); the wall clock only dates cache entries.
  struct Now {
    std::int64_t monotonic_s = 0;
    std::int64_t wall_s = 0;
  };
  // A check also compares with memcached the copies it may have lost or replaced
  // (LostCopies) and retries the forwards, deletes and sessions a node missed
  // (MissedWrites), with `ttl_s` for what it writes.
  [[nodiscard]] CopyTrust trust_local_copies(std::string_view route, std::int64_t interval_s,
                                             const Now& now, std::uint32_t ttl_s);

  // How many checks this process has run (claimed), complete or not.
  [[nodiscard]] std::uint64_t checks_run() const { return checks_run_; }

  // The session key a check is comparing with memcached right now (LostCopies).
  std::string_view comparing() const { return lost_copies_.comparing(); }

  // How long ago (monotonic s) the last check that read every live node completed.
  std::int64_t seconds_since_check(std::int64_t monotonic_s) const {
    return monotonic_s - watch_.checked_at.load(std::memory_order_relaxed);
  }

  // Tells `old_route` that the session under `old_key` lives elsewhere now. Written
  // to every node believed up; `why` is empty when at least one has it, else it
  // says why none has (and `cause` is the last node's failure).
  // `new_generation` (random) heads a list this creates.
  struct Missed {
    std::string why;
    Cause cause = Cause::kOk;
  };
  [[nodiscard]] Missed announce(std::string_view old_route, std::string_view old_key,
                                std::uint64_t new_generation);

 private:
  // True when it read every live node's list (then TakeoverWatch::checked_at is
  // now.monotonic_s).
  bool check(std::string_view route, const Now& now, std::uint32_t ttl_s);
  [[nodiscard]] bool recently_checked(std::int64_t monotonic_s) const;
  // Reads every live node's "stats" and marks what this node holds on one that
  // restarted unsynced.
  void notice_restarts();

  RemoteStore& remote_;
  SessionCache* cache_;
  TakeoverWatch& watch_;
  Counters& counters_;
  MissedWrites& missed_;
  LostCopies lost_copies_;
  std::uint64_t checks_run_ = 0;
};

}  // namespace clustered
