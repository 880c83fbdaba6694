// Per-session locks shared by every process of an app node: a fixed table of
// robust process-shared mutexes, a session hashed to one of them. A waiter sleeps
// in the kernel (futex) and wakes as soon as the holder unlocks, and a holder that
// dies releases the lock to the next waiter (EOWNERDEAD), so no lock outlives its
// process. Two sessions may share a stripe; each process holds at most one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shm/robust_mutex.h"

namespace clustered {

inline constexpr std::size_t kLockStripes = 4096;

enum class SessionLockResult { kAcquired, kAcquiredAfterWait, kTimedOut, kFailed };

class LockTable {
 public:
  void init();
  static std::size_t stripe_for(std::string_view session_key);
  SessionLockResult lock(std::size_t stripe, std::chrono::milliseconds timeout);
  void unlock(std::size_t stripe);

 private:
  RobustMutex stripes_[kLockStripes];
};

}  // namespace clustered
