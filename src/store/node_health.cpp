// SPDX-License-Identifier: BSD-3-Clause
#include "store/node_health.h"

#include <ctime>

#include <cstring>
#include <functional>

namespace clustered {
namespace {

constexpr std::uint32_t kFree = 0;
constexpr std::uint32_t kClaiming = 1;
constexpr std::uint32_t kReady = 2;

}  // namespace

std::int64_t monotonic_ms() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

NodeHealthSlot* NodeHealthTable::slot_for(std::string_view endpoint) {
  if (endpoint.size() > kMaxEndpointLength) endpoint = endpoint.substr(0, kMaxEndpointLength);
  const std::size_t start = std::hash<std::string_view>{}(endpoint) % kHealthSlots;
  for (std::size_t probe = 0; probe < kHealthSlots; ++probe) {
    NodeHealthSlot& slot = slots_[(start + probe) % kHealthSlots];
    std::uint32_t state = slot.state.load(std::memory_order_acquire);
    if (state == kFree) {
      std::uint32_t expected = kFree;
      if (slot.state.compare_exchange_strong(expected, kClaiming, std::memory_order_acq_rel)) {
        std::memcpy(slot.endpoint, endpoint.data(), endpoint.size());
        slot.endpoint[endpoint.size()] = '\0';
        slot.state.store(kReady, std::memory_order_release);
        return &slot;
      }
      state = expected;
    }
    // A claimer killed between its two stores leaves kClaiming forever; that slot is
    // then skipped, which costs one of 128 slots, never correctness.
    if (state == kReady && endpoint == std::string_view(slot.endpoint)) return &slot;
  }
  return nullptr;
}

bool NodeHealthTable::is_up(const NodeHealthSlot* slot, std::int64_t now_ms) {
  return slot == nullptr || slot->down_until_ms.load(std::memory_order_relaxed) <= now_ms;
}

bool NodeHealthTable::may_try(NodeHealthSlot* slot, std::int64_t now_ms) {
  if (slot == nullptr) return true;
  const std::int64_t down_until = slot->down_until_ms.load(std::memory_order_relaxed);
  if (down_until == 0) return true;
  if (down_until > now_ms) return false;
  // Retry time has come: exactly one process probes; the others keep skipping
  // until it reports back (or until its probe window passes, if it died).
  std::int64_t owner_until = slot->probe_owner_until_ms.load(std::memory_order_relaxed);
  if (owner_until > now_ms) return false;
  return slot->probe_owner_until_ms.compare_exchange_strong(owner_until, now_ms + 5000,
                                                            std::memory_order_acq_rel);
}

void NodeHealthTable::report_failure(NodeHealthSlot* slot, std::int64_t now_ms,
                                     std::int64_t retry_ms) {
  if (slot == nullptr) return;
  slot->failures.fetch_add(1, std::memory_order_relaxed);
  slot->down_until_ms.store(now_ms + (retry_ms > 0 ? retry_ms : 1), std::memory_order_relaxed);
  slot->probe_owner_until_ms.store(0, std::memory_order_relaxed);
}

void NodeHealthTable::report_success(NodeHealthSlot* slot) {
  if (slot == nullptr) return;
  if (slot->down_until_ms.load(std::memory_order_relaxed) != 0) {
    slot->down_until_ms.store(0, std::memory_order_relaxed);
    slot->probe_owner_until_ms.store(0, std::memory_order_relaxed);
  }
}

bool NodeHealthTable::note_down(NodeHealthSlot& slot, std::int64_t wall_s, std::uint32_t cause) {
  std::uint32_t up = 0;
  if (!slot.logged_down.compare_exchange_strong(up, 1, std::memory_order_acq_rel)) return false;
  slot.down_since_s.store(wall_s, std::memory_order_relaxed);
  slot.down_cause.store(cause, std::memory_order_relaxed);
  slot.kept_while_down.store(0, std::memory_order_relaxed);
  return true;
}

std::optional<std::int64_t> NodeHealthTable::note_up(NodeHealthSlot& slot, std::int64_t wall_s) {
  // The common case, one load: the node was never reported down.
  if (slot.logged_down.load(std::memory_order_relaxed) == 0) return std::nullopt;
  std::uint32_t down = 1;
  if (!slot.logged_down.compare_exchange_strong(down, 0, std::memory_order_acq_rel)) {
    return std::nullopt;
  }
  const std::int64_t since = slot.down_since_s.exchange(0, std::memory_order_relaxed);
  return since > 0 && wall_s > since ? wall_s - since : 0;
}

}  // namespace clustered
