// SPDX-License-Identifier: BSD-3-Clause
#include "sim/sim_locks.h"

#include <algorithm>
#include <climits>
#include <functional>
#include <memory>

#include "sim/fiber.h"

namespace clustered::sim {

SimLockTable::Waiter* SimLockTable::try_lock(const std::string& key, int process,
                                             std::int64_t deadline_ms) {
  if (holders_.emplace(key, process).second) return nullptr;
  auto* waiter = new Waiter{process, deadline_ms};
  waiters_[key].push_back(waiter);
  return waiter;
}

void SimLockTable::unlock(const std::string& key, int process) {
  const auto held = holders_.find(key);
  if (held == holders_.end() || held->second != process) return;
  holders_.erase(held);
  auto queue = waiters_.find(key);
  while (queue != waiters_.end() && !queue->second.empty()) {
    Waiter* next = queue->second.front();
    queue->second.pop_front();
    if (next->timed_out) continue;
    next->granted = true;
    holders_[key] = next->process;
    break;
  }
}

void SimLockTable::release_all(int process) {
  for (auto& [key, queue] : waiters_) {
    std::erase_if(queue, [&](Waiter* waiter) {
      if (waiter->process != process) return false;
      waiter->timed_out = true;  // its fiber is killed and frees it
      return true;
    });
  }
  std::vector<std::string> keys;
  for (const auto& [key, holder] : holders_) {
    if (holder == process) keys.push_back(key);
  }
  for (const auto& key : keys) unlock(key, process);
}

bool SimLockTable::expire(std::int64_t now_ms) {
  bool any = false;
  for (auto& [key, queue] : waiters_) {
    std::erase_if(queue, [&](Waiter* waiter) {
      if (waiter->deadline_ms > now_ms) return false;
      waiter->timed_out = true;
      any = true;
      return true;
    });
  }
  return any;
}

std::int64_t SimLockTable::earliest_deadline() const {
  std::int64_t earliest = LLONG_MAX;
  for (const auto& [key, queue] : waiters_) {
    for (const Waiter* waiter : queue) earliest = std::min(earliest, waiter->deadline_ms);
  }
  return earliest;
}

SessionLockResult SimLocks::lock(std::string_view key, std::chrono::milliseconds timeout) {
  std::unique_ptr<SimLockTable::Waiter> waiter(
      table_.try_lock(lock_name(key), process_, now_ms_ + timeout.count()));
  if (!waiter) return SessionLockResult::kAcquired;
  // Parked: the simulator does not resume this fiber until it is granted the lock
  // or times out (it reads the waiter through Fiber's parked state).
  parked_on = waiter.get();
  while (!waiter->granted && !waiter->timed_out) Fiber::yield();
  parked_on = nullptr;
  return waiter->granted ? SessionLockResult::kAcquiredAfterWait : SessionLockResult::kTimedOut;
}

void SimLocks::unlock(std::string_view key) { table_.unlock(lock_name(key), process_); }

std::string SimLocks::lock_name(std::string_view key) const {
  if (stripes_ == 0) return std::string(key);
  // A model of a striped lock table (production has a lock per session:
  // docs/design.md, "The shared segment"); its own hash, so that histories
  // replay as written.
  return "stripe " + std::to_string(std::hash<std::string_view>{}(key) % stripes_);
}

}  // namespace clustered::sim
