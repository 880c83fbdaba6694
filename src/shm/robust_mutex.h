// SPDX-License-Identifier: BSD-3-Clause
// A process-shared, robust pthread mutex that lives in shared memory.
// When its holder dies, the next locker gets EOWNERDEAD and is told so, so it can
// repair what the dead holder may have left half-done before marking it consistent.
#pragma once

#include <pthread.h>

#include <chrono>

namespace clustered {

enum class LockOutcome {
  kAcquired,   // normal
  kRecovered,  // previous holder died while holding it; caller must repair, then
               // call mark_consistent()
  kTimedOut,
  kFailed,  // unrecoverable (ENOTRECOVERABLE or a pthread error)
};

class RobustMutex {
 public:
  // Initialises the mutex in place; call once, in the process that creates the segment.
  void init();
  // For short critical sections: retries for a few microseconds before it blocks.
  LockOutcome lock();
  LockOutcome lock_for(std::chrono::milliseconds timeout);
  LockOutcome try_lock();
  void mark_consistent();
  void unlock();

 private:
  LockOutcome outcome(int rc);
  pthread_mutex_t mutex_;
};

// Holds a RobustMutex for a scope and runs `repair` when the last holder had died.
template <class Repair>
class RobustGuard {
 public:
  RobustGuard(RobustMutex& mutex, Repair repair) : mutex_(mutex) {
    const LockOutcome got = mutex_.lock();
    if (got == LockOutcome::kRecovered) {
      repair();
      mutex_.mark_consistent();
    }
    held_ = got == LockOutcome::kAcquired || got == LockOutcome::kRecovered;
  }
  ~RobustGuard() {
    if (held_) mutex_.unlock();
  }
  RobustGuard(const RobustGuard&) = delete;
  RobustGuard& operator=(const RobustGuard&) = delete;
  bool held() const { return held_; }

 private:
  RobustMutex& mutex_;
  bool held_ = false;
};

}  // namespace clustered
