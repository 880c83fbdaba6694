// SPDX-License-Identifier: BSD-3-Clause
#include "shm/lock_table.h"

#include <algorithm>
#include <thread>

#include "util/fnv1a.h"

namespace clustered {
namespace {

bool acquired(LockOutcome got) {
  return got == LockOutcome::kAcquired || got == LockOutcome::kRecovered;
}

}  // namespace

void LockTable::init() {
  claims_.init();
  spilled_.store(0);
  for (std::size_t slot = 0; slot < kLockSlots; ++slot) {
    key_hash_[slot].store(0);
    waiters_[slot].store(0);
    out_of_window_[slot].store(false);
    released_ns_[slot].store(0);
    mutexes_[slot].init();
  }
}

namespace {

// CLOCK_MONOTONIC in ns: the same clock in every process of the machine.
std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::uint64_t LockTable::key_hash(std::string_view session_key) {
  const std::uint64_t hash = fnv1a(session_key);
  return hash == 0 ? 1 : hash;
}

bool LockTable::in_window(std::size_t slot, std::uint64_t hash) const {
  return (slot + kLockSlots - home_slot(hash)) % kLockSlots < kLockWindow;
}

void LockTable::recount_spilled() {
  std::uint32_t count = 0;
  for (const auto& flag : out_of_window_) count += flag.load() ? 1 : 0;
  spilled_.store(count);
}

void LockTable::take(std::size_t slot, std::uint64_t hash) {
  key_hash_[slot].store(hash);
  if (in_window(slot, hash)) {
    if (out_of_window_[slot].exchange(false)) spilled_.fetch_sub(1);
  } else if (!out_of_window_[slot].exchange(true)) {
    spilled_.fetch_add(1);
  }
}

LockTable::Claim LockTable::claim(std::uint64_t hash, std::size_t& slot) {
  // A process that died holding claims_ may have left the spilled count off.
  RobustGuard guard(claims_, [this] { recount_spilled(); });
  if (!guard.held()) return Claim::kFailed;
  const std::size_t home = home_slot(hash);
  const auto window = [home](std::size_t i) { return (home + i) % kLockSlots; };

  // Someone holds or waits for this session: its slot is the lock. Outside the
  // window only when a full window spilled it (then it is counted in spilled_).
  bool found = false;
  for (std::size_t i = 0; i < kLockWindow && !found; ++i) {
    slot = window(i);
    found = key_hash_[slot].load() == hash;
  }
  if (!found && spilled_.load() > 0) {
    for (slot = 0; slot < kLockSlots && !found; ++slot) found = key_hash_[slot].load() == hash;
    if (found) --slot;
  }
  if (found) {
    const LockOutcome got = mutexes_[slot].try_lock();
    if (got == LockOutcome::kRecovered) mutexes_[slot].mark_consistent();  // its holder died
    if (acquired(got)) return Claim::kOwned;
    if (got == LockOutcome::kFailed) return Claim::kFailed;
    // Counted under claims_, so that the holder hands the slot over instead of
    // freeing it, and no claimer takes it while we are about to wake.
    waiters_[slot].fetch_add(1);
    return Claim::kWait;
  }

  // A slot nobody holds: a free one, else one whose holder died (or whose waiter
  // gave up after it was handed over); with no waiters, so nobody is woken into
  // another session's lock. The window first, then anywhere (spilled).
  const auto try_take = [&](std::size_t candidate, bool free_only) {
    if (waiters_[candidate].load() != 0) return false;
    if (free_only && key_hash_[candidate].load() != 0) return false;
    const LockOutcome got = mutexes_[candidate].try_lock();
    if (!acquired(got)) return false;  // held: a holder, or a free slot's last holder unlocking
    if (got == LockOutcome::kRecovered) mutexes_[candidate].mark_consistent();
    take(candidate, hash);
    slot = candidate;
    return true;
  };
  for (const bool free_only : {true, false}) {
    for (std::size_t i = 0; i < kLockWindow; ++i) {
      if (try_take(window(i), free_only)) return Claim::kOwned;
    }
  }
  for (std::size_t candidate = 0; candidate < kLockSlots; ++candidate) {
    if (!in_window(candidate, hash) && try_take(candidate, false)) return Claim::kOwned;
  }
  // Last resort: a slot nobody holds though it counts waiters (a waiter was
  // killed while it waited, or one is about to wake; that one re-checks and
  // comes back here).
  for (std::size_t i = 0; i < kLockSlots; ++i) {
    const std::size_t candidate = window(i);
    const LockOutcome got = mutexes_[candidate].try_lock();
    if (!acquired(got)) continue;
    if (got == LockOutcome::kRecovered) mutexes_[candidate].mark_consistent();
    take(candidate, hash);
    slot = candidate;
    return Claim::kOwned;
  }
  return Claim::kFull;
}

LockTable::Held LockTable::lock(std::string_view session_key, std::chrono::milliseconds timeout) {
  using std::chrono::steady_clock;
  const std::uint64_t hash = key_hash(session_key);
  const steady_clock::time_point deadline = steady_clock::now() + timeout;
  const auto remaining = [deadline] {
    return std::chrono::ceil<std::chrono::milliseconds>(deadline - steady_clock::now());
  };
  bool waited = false;
  for (;;) {
    std::size_t slot = 0;
    switch (claim(hash, slot)) {
      case Claim::kOwned:
        return {waited ? SessionLockResult::kAcquiredAfterWait : SessionLockResult::kAcquired,
                slot};
      case Claim::kFailed:
        return {SessionLockResult::kFailed, 0};
      case Claim::kFull: {
        // kLockSlots processes hold or wait for locks: wait for one to finish.
        waited = true;
        const auto left = remaining();
        if (left.count() <= 0) return {SessionLockResult::kTimedOut, 0};
        std::this_thread::sleep_for(
            std::min<std::chrono::milliseconds>(left, std::chrono::milliseconds(1)));
        continue;
      }
      case Claim::kWait:
        break;
    }
    waited = true;
    const auto left = remaining();
    const LockOutcome got =
        left.count() > 0 ? mutexes_[slot].lock_for(left) : LockOutcome::kTimedOut;
    waiters_[slot].fetch_sub(1);
    if (got == LockOutcome::kTimedOut) return {SessionLockResult::kTimedOut, 0};
    if (got == LockOutcome::kFailed) return {SessionLockResult::kFailed, 0};
    // A holder that died hands the lock on: it guards no shared structure of its
    // own (the cache has its own mutex).
    if (got == LockOutcome::kRecovered) mutexes_[slot].mark_consistent();
    if (key_hash_[slot].load() == hash) {
      const std::int64_t released = released_ns_[slot].load();
      std::optional<std::uint64_t> wake;
      if (got == LockOutcome::kAcquired && released > 0) {
        wake = static_cast<std::uint64_t>(std::max<std::int64_t>(0, steady_ns() - released)) / 1000;
      }
      return {SessionLockResult::kAcquiredAfterWait, slot, wake};
    }
    // The session's holder freed the slot (or it went to another session while
    // we slept): claim again.
    mutexes_[slot].unlock();
  }
}

void LockTable::unlock(std::size_t slot) {
  // With waiters the slot stays this session's: the next one wakes into it. Else
  // it is freed before it is unlocked, so that a waiter that wakes sees it.
  if (out_of_window_[slot].load()) {
    // Rare (a full window spilled it): the spilled count changes under claims_.
    RobustGuard guard(claims_, [this] { recount_spilled(); });
    if (waiters_[slot].load() == 0) {
      key_hash_[slot].store(0);
      if (out_of_window_[slot].exchange(false)) spilled_.fetch_sub(1);
    }
  } else if (waiters_[slot].load() == 0) {
    key_hash_[slot].store(0);
  }
  // A waiter wakes into the slot: it measures the hand-over from here.
  if (waiters_[slot].load() > 0) released_ns_[slot].store(steady_ns());
  mutexes_[slot].unlock();
}

bool SharedLocks::held(std::string_view key) {
  const LockTable::Held probe = table_.lock(key, std::chrono::milliseconds(0));
  if (probe.result == SessionLockResult::kAcquired ||
      probe.result == SessionLockResult::kAcquiredAfterWait) {
    table_.unlock(probe.slot);
    return false;
  }
  return probe.result == SessionLockResult::kTimedOut;
}

SessionLockResult SharedLocks::lock(std::string_view key, std::chrono::milliseconds timeout) {
  const LockTable::Held held = table_.lock(key, timeout);
  if (held.result == SessionLockResult::kAcquired ||
      held.result == SessionLockResult::kAcquiredAfterWait) {
    held_ = true;
    slot_ = held.slot;
  }
  wake_delay_us_ = held.wake_delay_us;
  return held.result;
}

void SharedLocks::unlock(std::string_view /*key*/) {
  // The one lock this process holds (the handler unlocks before it locks another).
  if (!held_) return;
  held_ = false;
  table_.unlock(slot_);
}

}  // namespace clustered
