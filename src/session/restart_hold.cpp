// SPDX-License-Identifier: BSD-3-Clause
#include "session/restart_hold.h"

#include <algorithm>
#include <utility>

#include "session/handler_context.h"
#include "stats/counters.h"

namespace clustered {

std::int64_t restart_hold_ms(std::int64_t takeover_check_interval_s) {
  return 2 * takeover_check_interval_s * 1000 + 1000;
}

std::optional<std::int64_t> restart_hold_until(std::int64_t restart_seen_at_ms, std::int64_t now_ms,
                                               std::int64_t takeover_check_interval_s) {
  if (restart_seen_at_ms <= 0 || takeover_check_interval_s <= 0) return std::nullopt;
  const std::int64_t until = restart_seen_at_ms + restart_hold_ms(takeover_check_interval_s);
  if (now_ms < restart_seen_at_ms || now_ms >= until) return std::nullopt;
  return until;
}

RemoteRead hold_for_copy(const Clock& clock, Pause& pause, std::int64_t until_ms,
                         const std::function<RemoteRead()>& reread) {
  RemoteRead last = std::optional<RemoteCopy>();
  for (std::int64_t now = clock.monotonic_ms(); now < until_ms; now = clock.monotonic_ms()) {
    pause.pause_ms(std::min(kRestartHoldStepMs, until_ms - now));
    last = reread();
    if (!last || *last) break;
  }
  return last;
}

bool may_have_lost_in_restart(std::int64_t restart_seen_at_ms, std::int64_t now_ms,
                              std::int64_t lifetime_ms) {
  return restart_seen_at_ms != 0 && now_ms - restart_seen_at_ms < lifetime_ms;
}

RemoteRead read_every_copy(HandlerContext& c, const ResolvedId& at,
                           std::optional<Failure>& unanswered) {
  auto found = c.remote.read_with_unopened(at.store_index, at.key, /*every_copy=*/true);
  unanswered.reset();
  if (!found) return found.failure();
  unanswered = std::move(found->unanswered);
  return std::move(found->copy);
}

namespace {

// The miss on `at`'s store node that `unanswered` leaves open, as a failure
// (docs/design.md, section 8), or nullopt when the miss stands.
std::optional<Failure> unconfirmed_miss(HandlerContext& c, const ResolvedId& at,
                                        const std::optional<Failure>& unanswered) {
  if (!unanswered || at.store_unknown) return std::nullopt;
  const std::int64_t seen = c.remote.restart_seen_at_ms(at.store_index);
  const std::int64_t now = c.clock.monotonic_ms();
  const std::int64_t lifetime_ms = static_cast<std::int64_t>(c.remote_ttl()) * 1000;
  if (!may_have_lost_in_restart(seen, now, lifetime_ms)) return std::nullopt;
  const NodeAddress& store = c.remote.address(at.store_index);
  return Failure::of(unanswered->cause,
                     "memcached node " + store.id + " (" + store.endpoint() + ") has no copy of " +
                         at.key + ", but it started or restarted " +
                         std::to_string(std::max<std::int64_t>(0, now - seen) / 1000) +
                         " s ago, within session.gc_maxlifetime + "
                         "clustered_session.touch_interval, so it may have lost a copy that a "
                         "replica still holds, and no replica answered: " +
                         unanswered->message);
}

// After the store node lost its copies, the replica may be on a node this ring
// does not read: placed by the ring of a save_path before this one (this app
// node's before a restart, or another app node's). The newest copy on the other
// known nodes is read rather than starting the session over (docs/design.md,
// "Lost copies"). Only with replicas, and only on such a miss: one `get` per node.
std::optional<RemoteCopy> copy_another_ring_left(HandlerContext& c, const ResolvedId& at) {
  if (c.config.replicas == 0 || at.store_unknown) return std::nullopt;
  const std::int64_t lifetime_ms = static_cast<std::int64_t>(c.remote_ttl()) * 1000;
  if (!may_have_lost_in_restart(c.remote.restart_seen_at_ms(at.store_index), c.clock.monotonic_ms(),
                                lifetime_ms)) {
    return std::nullopt;
  }
  return c.remote.read_anywhere(at.key, c.remote.copy_nodes(at.store_index)).copy;
}

}  // namespace

RemoteRead hold_after_restart(HandlerContext& c, const ResolvedId& at, RemoteRead fetched,
                              std::optional<Failure> unanswered) {
  if (!fetched || *fetched) return fetched;
  const auto settled = [&](RemoteRead read) -> RemoteRead {
    if (read && !*read) {
      if (std::optional<Failure> open = unconfirmed_miss(c, at, unanswered)) return *open;
      if (std::optional<RemoteCopy> left = copy_another_ring_left(c, at)) return left;
    }
    return read;
  };
  if (!at.known_store || at.store_unknown || at.routed_here || !c.config.trusts_local_copy()) {
    return settled(std::move(fetched));
  }
  // Only a route that names an app node has an owner that may hold the session.
  const auto parts = at.parts();
  if (!parts || parts->route.empty()) return settled(std::move(fetched));
  const std::int64_t began = c.clock.monotonic_ms();
  const std::optional<std::int64_t> until = restart_hold_until(
      c.remote.restart_seen_at_ms(at.store_index), began, c.config.takeover_check_interval_s);
  if (!until) return settled(std::move(fetched));
  // Counted only once a hold begins (docs/design.md, "Counters"), and its start
  // as it starts: a hold running now, or cut short by a killed worker, shows.
  Counters::add(c.counters.restart_holds);
  RemoteRead last =
      hold_for_copy(c.clock, c.pause, *until, [&] { return read_every_copy(c, at, unanswered); });
  const std::int64_t held = c.clock.monotonic_ms() - began;
  Counters::add(c.counters.restart_hold_ms,
                static_cast<std::uint64_t>(std::max<std::int64_t>(held, 0)));
  // Something appeared (the owner's copy, as a rule), or the window passed; a
  // failed read is neither: the request fails, counted in errors.
  if (last) {
    Counters::add(*last ? c.counters.restart_holds_found : c.counters.restart_holds_expired);
  }
  return settled(std::move(last));
}

}  // namespace clustered
