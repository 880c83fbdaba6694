// SPDX-License-Identifier: BSD-3-Clause
#include "shm/robust_mutex.h"

#include <algorithm>
#include <cerrno>
#include <ctime>

namespace clustered {
namespace {

// Tells the CPU this is a spin-wait loop (less power, no memory-order mis-speculation).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// About 200 pauses in all, a few microseconds: longer than a cache operation holds
// the lock, far shorter than a timeslice.
constexpr int kSpinAttempts = 10;

}  // namespace

void RobustMutex::init() {
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&mutex_, &attributes);
  pthread_mutexattr_destroy(&attributes);
}

LockOutcome RobustMutex::outcome(int rc) {
  switch (rc) {
    case 0:
      return LockOutcome::kAcquired;
    case EOWNERDEAD:
      return LockOutcome::kRecovered;
    case ETIMEDOUT:
    case EBUSY:
      return LockOutcome::kTimedOut;
    default:
      return LockOutcome::kFailed;
  }
}

LockOutcome RobustMutex::lock() {
  // Holders keep this lock for a lookup or a memcpy of one session, well under a
  // microsecond. Sleeping in the kernel and being woken by the holder costs far
  // more than that (two process switches, on a VM a cross-CPU interrupt too), so a
  // contended locker first retries with growing pauses, then blocks.
  for (int attempt = 0; attempt < kSpinAttempts; ++attempt) {
    const int rc = pthread_mutex_trylock(&mutex_);
    if (rc != EBUSY) return outcome(rc);
    for (int pause = 0; pause < (1 << std::min(attempt, 5)); ++pause) cpu_relax();
  }
  return outcome(pthread_mutex_lock(&mutex_));
}

LockOutcome RobustMutex::try_lock() { return outcome(pthread_mutex_trylock(&mutex_)); }

LockOutcome RobustMutex::lock_for(std::chrono::milliseconds timeout) {
  // An absolute deadline on the monotonic clock: a wall-clock jump neither
  // stretches nor cuts the wait.
  timespec deadline{};
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  const auto total_ns = deadline.tv_nsec + (timeout.count() % 1000) * 1000000L;
  deadline.tv_sec += static_cast<time_t>(timeout.count() / 1000 + total_ns / 1000000000L);
  deadline.tv_nsec = total_ns % 1000000000L;
  return outcome(pthread_mutex_clocklock(&mutex_, CLOCK_MONOTONIC, &deadline));
}

void RobustMutex::mark_consistent() { pthread_mutex_consistent(&mutex_); }

void RobustMutex::unlock() { pthread_mutex_unlock(&mutex_); }

}  // namespace clustered
