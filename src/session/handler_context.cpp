// SPDX-License-Identifier: BSD-3-Clause
#include "session/handler_context.h"

#include <algorithm>
#include <cstdint>

#include "util/node_id.h"

namespace clustered {
namespace {

RemoteOptions remote_options(const HandlerConfig& config) {
  RemoteOptions options;
  options.retry_interval_ms = config.retry_interval_ms;
  options.replicas = config.replicas;
  options.codec = std::make_shared<const ValueCodec>(config.sealer, config.compression);
  return options;
}

}  // namespace

std::size_t max_session_id_length() { return kMaxRandomLength + 2 + 2 * kMaxNodeIdLength; }

HandlerContext::HandlerContext(HandlerConfig handler_config,
                               std::vector<std::unique_ptr<StoreNode>> nodes,
                               HandlerServices services)
    : config(std::move(handler_config)),
      private_counters_(services.shared == nullptr ? std::make_unique<Counters>() : nullptr),
      private_lock_waits_(services.shared == nullptr ? std::make_unique<LockWaits>() : nullptr),
      private_watch_(services.shared == nullptr ? std::make_unique<TakeoverWatch>() : nullptr),
      private_events_(services.shared == nullptr ? std::make_unique<EventThrottle>() : nullptr),
      segment_locks_(services.shared != nullptr && services.locks == nullptr
                         ? std::make_unique<SharedLocks>(services.shared->locks())
                         : nullptr),
      counters(services.shared != nullptr ? services.shared->counters() : *private_counters_),
      lock_waits(services.shared != nullptr ? services.shared->lock_waits() : *private_lock_waits_),
      cache(services.shared != nullptr ? services.shared->cache() : nullptr),
      clock(services.clock),
      pause(services.pause),
      entropy(services.entropy),
      locks(services.locks != nullptr ? services.locks : segment_locks_.get()),
      remote(std::move(nodes), remote_options(config),
             services.shared != nullptr ? &services.shared->health() : nullptr, counters, clock,
             entropy, services.log),
      missed_writes(remote, cache, locks),
      takeovers(remote, cache,
                services.shared != nullptr ? services.shared->takeover_watch() : *private_watch_,
                counters, missed_writes),
      log_(services.log),
      events_(services.shared != nullptr ? services.shared->events() : *private_events_) {}

HandlerContext::~HandlerContext() { unlock(); }

std::string HandlerContext::key_for(std::string_view id) const {
  // Sized once: copying the prefix and then appending reallocated on every request.
  std::string key;
  key.reserve(config.prefix.size() + id.size());
  key.append(config.prefix).append(id);
  return key;
}

std::optional<ResolvedId> HandlerContext::resolve(std::string_view id, bool trusted) const {
  if (!is_key_safe_session_id(id, max_session_id_length())) return std::nullopt;
  // Constructed in place rather than assigned into empty strings.
  ResolvedId resolved{.id = std::string(id), .key = key_for(id)};
  const std::optional<SessionIdView> parts = parse_key_safe_session_id_view(id);
  const std::optional<std::size_t> store = parts ? remote.index_of(parts->store) : std::nullopt;
  if (store) {
    resolved.store_index = *store;
    resolved.known_store = true;
    resolved.routed_here = parts->route == config.route;
  } else {
    resolved.store_index = remote.rendezvous_node(id);
    resolved.store_unknown = parts && is_valid_node_id(parts->store);
    resolved.routed_here = resolved.store_unknown && parts->route == config.route;
  }
  resolved.owned = trusted && resolved.routed_here;
  return resolved;
}

CopyTrust HandlerContext::local_copy_trust() {
  // A node that serves only new sessions still checks its notices here.
  if (!config.trusts_local_copy() || cache == nullptr) return CopyTrust::kUntrusted;
  return takeovers.trust_local_copies(config.route, config.takeover_check_interval_s,
                                      {clock.monotonic_ms() / 1000, now_s()}, remote_ttl());
}

std::uint64_t HandlerContext::next_version(std::uint64_t previous) const {
  return std::max<std::uint64_t>(previous + 1, static_cast<std::uint64_t>(clock.wall_us()));
}

std::uint32_t HandlerContext::remote_ttl() const { return remote_ttl_s(config); }

// Both copies are extended at most once per touch_interval, and the extra interval
// keeps a session alive at least gc_maxlifetime after its last request.
std::int64_t HandlerContext::local_expiry(std::int64_t now) const {
  return now + static_cast<std::int64_t>(remote_ttl());
}

Status HandlerContext::lock(const ResolvedId& at) {
  if (!locking()) return success();
  if (holds_lock_ && locked_id_ == at.id) return success();
  unlock();
  const std::int64_t asked_us = clock.monotonic_us();
  const SessionLockResult result = locks->lock(at.key, config.lock_timeout);
  if (result == SessionLockResult::kAcquiredAfterWait || result == SessionLockResult::kTimedOut) {
    // What the lock cost this request, and (after a wait) how long it took to
    // run once the holder let go (docs/design.md, "Counters").
    lock_waits.wait.record(
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, clock.monotonic_us() - asked_us)));
    if (const auto woke = locks->wake_delay_us()) lock_waits.wake.record(*woke);
  }
  switch (result) {
    case SessionLockResult::kAcquiredAfterWait:
      Counters::add(counters.lock_waits);
      [[fallthrough]];
    case SessionLockResult::kAcquired:
      locked_key_.assign(at.key);
      holds_lock_ = true;
      locked_id_.assign(at.id);
      return success();
    case SessionLockResult::kTimedOut:
      Counters::add(counters.lock_waits);
      Counters::add(counters.lock_timeouts);
      return Failure::of(
          Cause::kLocked,
          "timed out after " + std::to_string(config.lock_timeout.count() / 1000) +
              " s (clustered_session.lock_timeout) waiting for the lock of session " + at.id);
    case SessionLockResult::kFailed:
      break;
  }
  return Failure::of(Cause::kLocked, "cannot take the lock of session " + at.id);
}

void HandlerContext::unlock() {
  if (holds_lock_ && locks != nullptr) locks->unlock(locked_key_);
  holds_lock_ = false;
  locked_key_.clear();
  locked_id_.clear();
}

bool HandlerContext::holds_lock_for(std::string_view id) const {
  return !locking() || (holds_lock_ && locked_id_ == id);
}

void HandlerContext::handled(HandledEvent kind, Cause cause, const std::string& message) {
  handled_.push_back(message);
  // A node that failed, or gives no CAS tokens: its own line says it.
  if (node_failed(cause) || cause == Cause::kNoCas) return;
  std::uint64_t unlogged = 0;
  if (!events_.take(kind, clock.monotonic_ms() / 1000, kHandledLogInterval, &unlogged)) return;
  std::string line = message;
  if (unlogged > 0) {
    line += " (and " + std::to_string(unlogged) + " more like it since the last such line)";
  }
  log_.log(line);
}

std::vector<std::string> HandlerContext::take_handled() {
  end_request();
  std::vector<std::string> taken;
  taken.swap(handled_);
  return taken;
}

void HandlerContext::end_request() {
  if (std::string rejected = remote.take_rejection(); !rejected.empty()) {
    handled(HandledEvent::kValuesIgnored, Cause::kRefused, rejected);
  }
}

}  // namespace clustered
