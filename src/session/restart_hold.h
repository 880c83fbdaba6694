// SPDX-License-Identifier: BSD-3-Clause
// The restart hold (docs/design.md, "Lost copies"). memcached restarted empty:
// the owner of a session still holds it in its cache and stores it again at its
// next takeover check, but a balancer that is not route-aware may send the
// session's next request to another app node first, which would find nothing
// and start an empty session. So a request that finds no copy of a session the
// client presented, routed to another app node, on a store node this app node
// saw restart less than 2 * takeover_check_interval + 1 s ago, reads it again
// every kRestartHoldStepMs until a copy appears or that window has passed.
// A miss that stands beside a replica that did not answer, on a store node that
// may have lost the session in a restart the replica did not share, fails the
// read instead (docs/design.md, section 8).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "remote/remote_store.h"
#include "session/request_state.h"
#include "util/clock.h"
#include "util/pause.h"
#include "util/result.h"

namespace clustered {

class HandlerContext;

inline constexpr std::int64_t kRestartHoldStepMs = 100;

// How long after a restart a miss may still be a copy its owner has not stored
// again: the owner's next check (checks run in whole monotonic seconds, and a
// restart just after a check is seen at the one after next) and a second.
std::int64_t restart_hold_ms(std::int64_t takeover_check_interval_s);

// Until when (monotonic ms) a miss on a node this app node saw restart at
// `restart_seen_at_ms` (0: never) is held; nullopt when it is not held at `now_ms`.
std::optional<std::int64_t> restart_hold_until(std::int64_t restart_seen_at_ms, std::int64_t now_ms,
                                               std::int64_t takeover_check_interval_s);

using RemoteRead = Result<std::optional<RemoteCopy>>;

// Reads again with `reread` every kRestartHoldStepMs (pausing on `pause`) until
// it finds something (a copy, forward or tombstone), fails, or `until_ms` has
// passed on `clock`; returns that last answer.
RemoteRead hold_for_copy(const Clock& clock, Pause& pause, std::int64_t until_ms,
                         const std::function<RemoteRead()>& reread);

// Whether a store node that this app node saw restart at `restart_seen_at_ms`
// (RemoteStore::restart_seen_at_ms: at its first look, when the server
// started; 0: never said) may have lost, in that restart, a copy that is still
// alive on a replica: the restart was less than `lifetime_ms` (the copies' TTL,
// gc_maxlifetime + touch_interval) before `now_ms`. Later, every live copy was
// written or touched after it, and so reached the store node too.
bool may_have_lost_in_restart(std::int64_t restart_seen_at_ms, std::int64_t now_ms,
                              std::int64_t lifetime_ms);

// Every copy of `at` (RemoteStore::read_with_unopened with every_copy): the
// newest, and in `unanswered` the replicas that did not answer beside the
// store node's NOT_FOUND (reset when they did).
RemoteRead read_every_copy(HandlerContext& c, const ResolvedId& at,
                           std::optional<Failure>& unanswered);

// What the read path calls with what it read of `at` (`unanswered` as
// read_every_copy() gives it): a miss that the hold above holds is read again
// meanwhile; a miss that still stands beside a replica that did not answer, on
// a store node that may_have_lost_in_restart(), is a failure (the read cannot
// tell "no such session" from "lost here, kept there"); anything else comes
// back as it was. Each hold is counted (restart_holds, restart_holds_found,
// restart_holds_expired, restart_hold_ms); a request that holds nothing
// touches no counter.
RemoteRead hold_after_restart(HandlerContext& c, const ResolvedId& at, RemoteRead fetched,
                              std::optional<Failure> unanswered);

}  // namespace clustered
