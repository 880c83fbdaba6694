#include "shm/lock_table.h"

#include <functional>

namespace clustered {

void LockTable::init() {
  for (auto& stripe : stripes_) stripe.init();
}

std::size_t LockTable::stripe_for(std::string_view session_key) {
  return std::hash<std::string_view>{}(session_key) % kLockStripes;
}

SessionLockResult LockTable::lock(std::size_t stripe, std::chrono::milliseconds timeout) {
  RobustMutex& mutex = stripes_[stripe];
  LockOutcome got = mutex.try_lock();
  bool waited = false;
  if (got == LockOutcome::kTimedOut) {
    waited = true;
    got = mutex.lock_for(timeout);
  }
  switch (got) {
    case LockOutcome::kRecovered:
      // The holder died mid-request: the lock guards no shared structure of its
      // own (the cache has its own mutex), so it is simply handed on.
      mutex.mark_consistent();
      [[fallthrough]];
    case LockOutcome::kAcquired:
      return waited ? SessionLockResult::kAcquiredAfterWait : SessionLockResult::kAcquired;
    case LockOutcome::kTimedOut:
      return SessionLockResult::kTimedOut;
    case LockOutcome::kFailed:
      break;
  }
  return SessionLockResult::kFailed;
}

void LockTable::unlock(std::size_t stripe) { stripes_[stripe].unlock(); }

}  // namespace clustered
