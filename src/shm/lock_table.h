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
#include "shm/session_locks.h"

namespace clustered {

inline constexpr std::size_t kLockStripes = 4096;

class LockTable {
 public:
  void init();
  static std::size_t stripe_for(std::string_view session_key);
  SessionLockResult lock(std::size_t stripe, std::chrono::milliseconds timeout);
  void unlock(std::size_t stripe);

 private:
  RobustMutex stripes_[kLockStripes];
};

// SessionLocks on a LockTable in the shared segment. Lives in process memory
// (the table itself has no vtable: it is mapped at other addresses after a
// reload). A process holds at most one lock at a time.
class StripedLocks final : public SessionLocks {
 public:
  explicit StripedLocks(LockTable& table) : table_(table) {}
  SessionLockResult lock(std::string_view key, std::chrono::milliseconds timeout) override {
    return table_.lock(LockTable::stripe_for(key), timeout);
  }
  void unlock(std::string_view key) override { table_.unlock(LockTable::stripe_for(key)); }

 private:
  LockTable& table_;
};

}  // namespace clustered
