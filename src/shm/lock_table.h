// SPDX-License-Identifier: BSD-3-Clause
// Per-session locks shared by every process of an app node: a table of slots in
// the shared segment, each a robust process-shared mutex and the hash of the
// session it belongs to while someone holds or waits for it. A session claims a
// free slot near its hash (probe window of kLockWindow slots) and gives it back
// at unlock, so two different sessions never share a lock. A waiter sleeps in
// the kernel (futex) and wakes as soon as the holder unlocks, and a holder that
// dies releases the lock to the next waiter (EOWNERDEAD), so no lock outlives
// its process.
//
// Ownership of session h = holding a slot's mutex while its key_hash is h. A
// slot gets h only under `claims_` and only when no slot has h, so two slots
// never hold one session; a waiter re-checks key_hash after it wakes. `claims_`
// is only ever held for a scan and try_locks, never while blocking on a slot.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "shm/robust_mutex.h"
#include "shm/session_locks.h"

namespace clustered {

inline constexpr std::size_t kLockSlots = 4096;
inline constexpr std::size_t kLockWindow = 32;

class LockTable {
 public:
  struct Held {
    SessionLockResult result;
    std::size_t slot;  // meaningful when acquired: pass it to unlock()
    // Acquired after a wait: µs from the holder's unlock to this process holding
    // it (CLOCK_MONOTONIC is the machine's, the same in every process).
    std::optional<std::uint64_t> wake_delay_us = std::nullopt;
  };

  // Initialises the mutexes and clears the slots; once, when the segment is made.
  void init();
  // FNV-1a 64 of the session key, never 0 (0 marks a free slot).
  static std::uint64_t key_hash(std::string_view session_key);
  // The first slot of a hash's probe window.
  static std::size_t home_slot(std::uint64_t hash) { return hash % kLockSlots; }

  // Takes the lock of `session_key`, waiting up to `timeout` for another process
  // that holds the same session. Different sessions never wait for each other,
  // unless kLockSlots processes hold or wait for locks at once (then it waits
  // for a slot, in 1 ms sleeps, up to the timeout).
  Held lock(std::string_view session_key, std::chrono::milliseconds timeout);
  void unlock(std::size_t slot);

  // For tests: how many slots are taken outside their session's window.
  std::uint32_t spilled() const { return spilled_.load(); }
  RobustMutex& claims_for_testing() { return claims_; }

 private:
  enum class Claim { kOwned, kWait, kFull, kFailed };
  Claim claim(std::uint64_t hash, std::size_t& slot);
  bool in_window(std::size_t slot, std::uint64_t hash) const;
  void take(std::size_t slot, std::uint64_t hash);  // under claims_, holding the slot
  void recount_spilled();

  RobustMutex claims_;
  std::atomic<std::uint32_t> spilled_;
  // Separate arrays so that a window's hashes share four cache lines.
  std::atomic<std::uint64_t> key_hash_[kLockSlots];  // 0: free
  std::atomic<std::uint32_t> waiters_[kLockSlots];   // blocked on the slot's mutex
  std::atomic<bool> out_of_window_[kLockSlots];      // counted in spilled_
  // When (steady ns) the slot was last unlocked with waiters: a waiter that wakes
  // into it tells how long the hand-over took.
  std::atomic<std::int64_t> released_ns_[kLockSlots];
  RobustMutex mutexes_[kLockSlots];
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free &&
                  std::atomic<std::uint32_t>::is_always_lock_free &&
                  std::atomic<bool>::is_always_lock_free,
              "the lock table is shared between processes: its atomics must be lock-free");

// SessionLocks on a LockTable in the shared segment. Lives in process memory
// (the table itself has no vtable: it is mapped at other addresses after a
// reload) and remembers the slot it holds: a process holds at most one lock.
class SharedLocks final : public SessionLocks {
 public:
  explicit SharedLocks(LockTable& table) : table_(table) {}
  SessionLockResult lock(std::string_view key, std::chrono::milliseconds timeout) override;
  void unlock(std::string_view key) override;
  std::optional<std::uint64_t> wake_delay_us() const override { return wake_delay_us_; }
  // Tries the lock without waiting, and lets go at once when it got it: a lock
  // whose holder died is free. Leaves the lock this object holds alone.
  bool held(std::string_view key) override;

 private:
  LockTable& table_;
  std::optional<std::uint64_t> wake_delay_us_;
  bool held_ = false;
  std::size_t slot_ = 0;
};

}  // namespace clustered
