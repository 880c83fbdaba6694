// SPDX-License-Identifier: BSD-3-Clause
// What the handler's flows (read path, write path, ID moves) share: the node's
// configuration and services, the request's phase and its lock, and the small
// rules every flow applies the same way (keys, TTLs, versions, trust).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/shared_segment.h"
#include "remote/remote_store.h"
#include "session/handler_config.h"
#include "session/missed_writes.h"
#include "session/request_state.h"
#include "session/takeovers.h"
#include "shm/lock_table.h"
#include "util/clock.h"
#include "util/entropy.h"
#include "util/log_sink.h"
#include "util/pause.h"
#include "util/result.h"

namespace clustered {

// The seams: everything the handler reads of the world comes through here, so
// tests and the cluster simulator (tests/sim/) own time, randomness and the store.
struct HandlerServices {
  const Clock& clock = system_clock();
  Entropy& entropy = system_entropy();
  // Counters, node health, takeover watch, cache and locks of this app node;
  // null = none (counters and health stay private, nothing is cached or locked).
  SharedSegment* shared = nullptr;
  // Overrides the segment's locks (the simulator parks requests instead of blocking).
  SessionLocks* locks = nullptr;
  // The operator's log: states the handler handled itself (docs/design.md, "Who
  // hears what"); never the page.
  LogSink& log = no_log();
  // Lets time pass for a request that waits (the restart hold, docs/design.md,
  // "Lost copies"); the simulator parks the request's fiber instead.
  Pause& pause = system_pause();
};

// Longest ID the handler will look at: PHP's 256-character limit plus our suffix.
std::size_t max_session_id_length();

class HandlerContext {
 public:
  HandlerContext(HandlerConfig config, std::vector<std::unique_ptr<StoreNode>> nodes,
                 HandlerServices services);
  ~HandlerContext();
  HandlerContext(const HandlerContext&) = delete;
  HandlerContext& operator=(const HandlerContext&) = delete;

  HandlerConfig config;

 private:
  // Declared before what uses them.
  std::unique_ptr<Counters> private_counters_;
  std::unique_ptr<LockWaits> private_lock_waits_;
  std::unique_ptr<TakeoverWatch> private_watch_;
  std::unique_ptr<EventThrottle> private_events_;
  std::unique_ptr<SharedLocks> segment_locks_;

 public:
  Counters& counters;
  LockWaits& lock_waits;
  SessionCache* const cache;
  const Clock& clock;
  Pause& pause;
  Entropy& entropy;
  SessionLocks* const locks;  // null: no locking possible
  RemoteStore remote;
  MissedWrites missed_writes;
  Takeovers takeovers;

  RequestPhase phase;

  std::string key_for(std::string_view id) const;
  // nullopt for IDs that can never be a key: bytes outside the ID alphabet, or too long.
  std::optional<ResolvedId> resolve(std::string_view id, bool trusted) const;
  // How far cached copies may be served now: the mode allows it and the takeover
  // notices are read (a check runs first when one is due).
  CopyTrust local_copy_trust();

  std::int64_t now_s() const { return clock.wall_s(); }
  // Versions grow with every write of a session and roughly follow wall time, so of
  // two copies written on different nodes the later write also has the higher one.
  std::uint64_t next_version(std::uint64_t previous) const;
  std::uint32_t remote_ttl() const;
  // The local copy lives as long as the remote one (gc_maxlifetime + touch_interval).
  std::int64_t local_expiry(std::int64_t now) const;

  // The session lock, held from validate_sid()/read() to close(); at most one.
  Status lock(const ResolvedId& at);
  void unlock();
  // True when this request may work on `id` now: its lock is ours, or none is needed.
  bool holds_lock_for(std::string_view id) const;
  bool locking() const { return config.locking && locks != nullptr; }

  // A state the handler handled itself, which this request's caller need not
  // hear of (docs/design.md, "Who hears what"): logged for the operator, each kind
  // at most once per kHandledLogInterval for the whole app node. One caused by a
  // node that failed (down, timeout) is not logged again: the node's own line
  // ("down", "back") says it.
  void handled(HandledEvent kind, Cause cause, const std::string& message);
  // Logs what memcached held that this request ignored (RemoteStore::reject()).
  void end_request();
  std::vector<std::string> take_handled();
  void begin_request() { handled_.clear(); }

  static constexpr std::int64_t kHandledLogInterval = 60;

 private:
  LogSink& log_;
  EventThrottle& events_;
  std::vector<std::string> handled_;  // this request's, unthrottled (take_handled())
  // The lock held (holds_lock_), by key and ID. The strings are cleared, not
  // dropped, when it is released: the next request's lock reuses their buffers
  // instead of allocating two strings (the owner read, docs/design.md, "One request").
  bool holds_lock_ = false;
  std::string locked_key_;
  std::string locked_id_;
};

}  // namespace clustered
