// SPDX-License-Identifier: BSD-3-Clause
#include "shm/robust_mutex.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <new>

#include "shm/shm_test_util.h"

namespace clustered {
namespace {

using clustered::testing::SharedMapping;
using clustered::testing::wait_for;

// The mutex and a few words the processes share.
struct Shared {
  RobustMutex mutex{};              // init() makes it a robust, process-shared mutex
  std::uint64_t guarded_count = 0;  // plain on purpose: only the mutex protects it
  std::atomic<int> holding{0};
  std::atomic<int> released{0};
};

class RobustMutexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    shared_ = new (mapping_.get()) Shared;
    shared_->mutex.init();
  }
  Shared& shared() { return *shared_; }

  // A child that takes the lock, tells the parent, and then runs `then`.
  template <typename Then>
  pid_t fork_holder(Then then) {
    const pid_t child = fork();
    if (child == 0) {
      if (shared_->mutex.lock() != LockOutcome::kAcquired) _exit(2);
      shared_->holding.store(1);
      then();
      _exit(0);
    }
    while (shared_->holding.load() == 0) usleep(100);
    return child;
  }

 private:
  SharedMapping mapping_{sizeof(Shared)};
  Shared* shared_ = nullptr;
};

// lock() first retries without sleeping, then blocks: neither path may ever let two
// processes in at once. A lost update in the plain counter would show it.
TEST_F(RobustMutexTest, ContendedLockKeepsProcessesMutuallyExclusive) {
  constexpr int kProcesses = 3;
  constexpr int kIncrements = 300000;
  pid_t children[kProcesses];
  for (pid_t& child : children) {
    child = fork();
    if (child == 0) {
      for (int i = 0; i < kIncrements; ++i) {
        if (shared().mutex.lock() != LockOutcome::kAcquired) _exit(2);
        const std::uint64_t seen = shared().guarded_count;
        // A read-modify-write spread over time, so an overlap would lose updates.
        for (int spin = 0; spin < 20; ++spin) asm volatile("");
        shared().guarded_count = seen + 1;
        shared().mutex.unlock();
      }
      _exit(0);
    }
  }
  for (pid_t child : children) EXPECT_EQ(wait_for(child), 0);
  EXPECT_EQ(shared().guarded_count, std::uint64_t{kProcesses} * kIncrements);
}

// A holder that keeps the lock far longer than the retries last: lock() must wait
// for the unlock instead of giving up or getting in early.
TEST_F(RobustMutexTest, LockerWaitsForAHolderThatOutlastsTheRetries) {
  const pid_t holder = fork_holder([this] {
    usleep(50 * 1000);
    shared().released.store(1);
    shared().mutex.unlock();
  });
  EXPECT_EQ(shared().mutex.lock(), LockOutcome::kAcquired);
  EXPECT_EQ(shared().released.load(), 1);
  shared().mutex.unlock();
  EXPECT_EQ(wait_for(holder), 0);
}

// A holder that dies with the lock: the next locker is told, repairs, and the lock
// is normal again afterwards.
TEST_F(RobustMutexTest, LockerIsToldWhenTheHolderDiedHoldingIt) {
  const pid_t holder = fork_holder([] {});  // exits without unlocking
  EXPECT_EQ(wait_for(holder), 0);
  ASSERT_EQ(shared().mutex.lock(), LockOutcome::kRecovered);
  shared().mutex.mark_consistent();
  shared().mutex.unlock();
  EXPECT_EQ(shared().mutex.lock(), LockOutcome::kAcquired);
  shared().mutex.unlock();
}

// The same while the locker is already waiting: it is handed the lock as recovered.
TEST_F(RobustMutexTest, WaitingLockerIsHandedTheLockWhenTheHolderDies) {
  const pid_t holder = fork_holder([] { usleep(50 * 1000); });  // then exits holding it
  ASSERT_EQ(shared().mutex.lock(), LockOutcome::kRecovered);
  shared().mutex.mark_consistent();
  shared().mutex.unlock();
  EXPECT_EQ(wait_for(holder), 0);
}

}  // namespace
}  // namespace clustered
