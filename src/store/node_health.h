// SPDX-License-Identifier: BSD-3-Clause
// Up/down state of memcached nodes, shared by every process of an app node, so a
// dead node costs one timeout per retry interval for the whole node rather than
// one per process. Slots are found by endpoint ("host:port"), claimed lock-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

namespace clustered {

inline constexpr std::size_t kHealthSlots = 128;
inline constexpr std::size_t kMaxEndpointLength = 127;

struct NodeHealthSlot {
  std::atomic<std::uint32_t> state{0};  // 0 free, 1 being claimed, 2 ready
  char endpoint[kMaxEndpointLength + 1] = {};
  std::atomic<std::int64_t> down_until_ms{0};         // skip the node until then
  std::atomic<std::int64_t> probe_owner_until_ms{0};  // one prober at a time
  std::atomic<std::uint64_t> failures{0};
  // The memcached process last seen there ("stats"), to notice a restart.
  std::atomic<std::int64_t> server_pid{0};
  std::atomic<std::int64_t> server_started_at_s{0};
  std::atomic<std::uint64_t> evictions{0};
  // memcached evicted items since this app node last compared its copies there.
  std::atomic<std::uint32_t> evictions_unhandled{0};
  std::atomic<std::uint64_t> restarts{0};
  // When this app node recorded the last restart (monotonic ms; 0: none): a
  // session missing there shortly after may still be in its owner's cache
  // (docs/design.md, "Lost copies": the restart hold).
  std::atomic<std::int64_t> restart_seen_at_ms{0};
  // A restart recorded (restarts counted) whose lost copies are not re-seeded yet.
  std::atomic<std::uint32_t> restart_unhandled{0};
  // The server gives no CAS tokens (memcached -C), as last found on contact.
  std::atomic<std::uint32_t> without_cas{0};
  // How far this app node has read its takeover notice list there.
  std::atomic<std::uint64_t> notice_generation{0};
  std::atomic<std::uint64_t> notice_offset{0};
  // What this app node last told the operator about the node (docs/design.md,
  // "Who hears what"): down or not, since when (wall s) and why (a Cause).
  // The one process that changes it writes the log line, so the node's log has
  // one line per change of state however many processes see the failure.
  std::atomic<std::uint32_t> logged_down{0};
  std::atomic<std::int64_t> down_since_s{0};
  std::atomic<std::uint32_t> down_cause{0};
  // Writes this app node kept for a retry (unsynced sessions, missed forwards
  // and deletes) since the node last went down: said when it comes back.
  std::atomic<std::uint64_t> kept_while_down{0};
};

class NodeHealthTable {
 public:
  // Returns the slot for this endpoint, claiming a free one when needed; nullptr
  // only when the table is full (then the node is simply always tried).
  NodeHealthSlot* slot_for(std::string_view endpoint);

  // True when a request may use the node now: it is up, or it is down and its
  // retry time has come and this caller won the right to probe it.
  static bool may_try(NodeHealthSlot* slot, std::int64_t now_ms);
  static bool is_up(const NodeHealthSlot* slot, std::int64_t now_ms);
  static void report_failure(NodeHealthSlot* slot, std::int64_t now_ms, std::int64_t retry_ms);
  static void report_success(NodeHealthSlot* slot);

  // The node's state as the operator was told it. True for the one caller that
  // records the change (and so logs it): a failure of a node believed up, or
  // (note_up, with how long it was down) an answer from one believed down.
  static bool note_down(NodeHealthSlot& slot, std::int64_t wall_s, std::uint32_t cause);
  static std::optional<std::int64_t> note_up(NodeHealthSlot& slot, std::int64_t wall_s);

 private:
  NodeHealthSlot slots_[kHealthSlots];
};

std::int64_t monotonic_ms();

}  // namespace clustered
