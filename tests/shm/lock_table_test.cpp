#include "shm/lock_table.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <new>
#include <set>
#include <string>
#include <thread>

#include "shm/shm_test_util.h"

namespace clustered {
namespace {

using clustered::testing::SharedMapping;
using clustered::testing::wait_for;
using namespace std::chrono_literals;

std::int64_t now_us() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

// A lock table in shared memory plus a few shared words for the processes'
// handshakes and measurements.
struct Shared {
  std::atomic<int> holding{0};
  std::atomic<int> result{-1};
  std::atomic<std::int64_t> unlocked_at_us{0};
  std::atomic<std::int64_t> acquired_at_us{0};
};

class LockTableTest : public ::testing::Test {
 protected:
  LockTableTest()
      : mapping_(4096 + sizeof(LockTable)),
        shared_(new (mapping_.get()) Shared{}),
        locks_(reinterpret_cast<LockTable*>(static_cast<char*>(mapping_.get()) + 4096)) {
    locks_->init();
  }

  // Forks a child that takes `stripe`, says so, and then runs `then`.
  template <class Then>
  pid_t fork_holder(std::size_t stripe, Then then) {
    const pid_t child = fork();
    if (child == 0) {
      const SessionLockResult got = locks_->lock(stripe, 5s);
      if (got != SessionLockResult::kAcquired) _exit(10);
      shared_->holding.store(1);
      then();
      _exit(0);
    }
    return child;
  }

  bool wait_until_held() {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (shared_->holding.load() == 0) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }

  SharedMapping mapping_;
  Shared* shared_;
  LockTable* locks_;
};

TEST(LockTableStripes, StableInRangeAndSpread) {
  std::set<std::size_t> used;
  for (int i = 0; i < 2000; ++i) {
    const std::string key = "sess." + std::to_string(i);
    const std::size_t stripe = LockTable::stripe_for(key);
    EXPECT_LT(stripe, kLockStripes);
    EXPECT_EQ(LockTable::stripe_for(key), stripe);
    used.insert(stripe);
  }
  EXPECT_GT(used.size(), 1000u);
}

TEST_F(LockTableTest, LockUnlockRelock) {
  EXPECT_EQ(locks_->lock(7, 100ms), SessionLockResult::kAcquired);
  locks_->unlock(7);
  EXPECT_EQ(locks_->lock(7, 100ms), SessionLockResult::kAcquired);
  EXPECT_EQ(locks_->lock(8, 100ms), SessionLockResult::kAcquired);  // another stripe
  locks_->unlock(8);
  locks_->unlock(7);
}

TEST_F(LockTableTest, HeldElsewhereTimesOut) {
  const pid_t holder = fork_holder(3, [] { pause(); });
  ASSERT_GT(holder, 0);
  ASSERT_TRUE(wait_until_held());

  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(locks_->lock(3, 200ms), SessionLockResult::kTimedOut);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 190ms);  // never gives up before its timeout
  EXPECT_LT(waited, 3s);
  // Other stripes are free meanwhile.
  EXPECT_EQ(locks_->lock(4, 100ms), SessionLockResult::kAcquired);
  locks_->unlock(4);

  kill(holder, SIGKILL);
  EXPECT_EQ(wait_for(holder), 128 + SIGKILL);
}

TEST_F(LockTableTest, WaiterInAnotherProcessWakesAsSoonAsTheHolderUnlocks) {
  ASSERT_EQ(locks_->lock(11, 100ms), SessionLockResult::kAcquired);
  const pid_t waiter = fork();
  ASSERT_GE(waiter, 0);
  if (waiter == 0) {
    shared_->holding.store(1);  // about to wait
    const SessionLockResult got = locks_->lock(11, 10s);
    shared_->acquired_at_us.store(now_us());
    shared_->result.store(static_cast<int>(got));
    if (got == SessionLockResult::kAcquired || got == SessionLockResult::kAcquiredAfterWait) {
      locks_->unlock(11);
    }
    _exit(0);
  }
  ASSERT_TRUE(wait_until_held());
  std::this_thread::sleep_for(300ms);  // the waiter is asleep in the kernel by now
  EXPECT_EQ(shared_->result.load(), -1) << "the waiter got a lock that is held";
  shared_->unlocked_at_us.store(now_us());
  locks_->unlock(11);
  EXPECT_EQ(wait_for(waiter), 0);

  EXPECT_EQ(shared_->result.load(), static_cast<int>(SessionLockResult::kAcquiredAfterWait));
  const std::int64_t latency_us = shared_->acquired_at_us.load() - shared_->unlocked_at_us.load();
  RecordProperty("wake_latency_us", std::to_string(latency_us));
  EXPECT_GE(latency_us, 0);
  EXPECT_LT(latency_us, 200000) << "woke " << latency_us << " us after the unlock";
}

TEST_F(LockTableTest, HolderKilledWhileHoldingReleasesTheLock) {
  const pid_t holder = fork_holder(21, [] { pause(); });
  ASSERT_GT(holder, 0);
  ASSERT_TRUE(wait_until_held());
  kill(holder, SIGKILL);
  EXPECT_EQ(wait_for(holder), 128 + SIGKILL);

  const SessionLockResult got = locks_->lock(21, 1s);
  EXPECT_TRUE(got == SessionLockResult::kAcquired || got == SessionLockResult::kAcquiredAfterWait)
      << static_cast<int>(got);
  locks_->unlock(21);
  // And the stripe works normally afterwards, in this and other processes.
  EXPECT_EQ(locks_->lock(21, 100ms), SessionLockResult::kAcquired);
  locks_->unlock(21);
  shared_->holding.store(0);
  const pid_t next = fork_holder(21, [this] { locks_->unlock(21); });
  EXPECT_EQ(wait_for(next), 0);
}

TEST_F(LockTableTest, WaiterIsHandedTheLockWhenTheHolderDies) {
  const pid_t holder = fork_holder(33, [] { pause(); });
  ASSERT_GT(holder, 0);
  ASSERT_TRUE(wait_until_held());
  std::thread killer([holder] {
    std::this_thread::sleep_for(200ms);
    kill(holder, SIGKILL);
  });
  const auto start = std::chrono::steady_clock::now();
  const SessionLockResult got = locks_->lock(33, 10s);
  const auto waited = std::chrono::steady_clock::now() - start;
  killer.join();
  EXPECT_EQ(wait_for(holder), 128 + SIGKILL);
  EXPECT_EQ(got, SessionLockResult::kAcquiredAfterWait);
  EXPECT_LT(waited, 5s) << "the waiter was not woken by the holder's death";
  locks_->unlock(33);
}

TEST_F(LockTableTest, RepeatedKillsNeverWedgeAStripe) {
  for (int round = 0; round < 20; ++round) {
    shared_->holding.store(0);
    const pid_t holder = fork_holder(5, [] { pause(); });
    ASSERT_GT(holder, 0);
    ASSERT_TRUE(wait_until_held()) << round;
    kill(holder, SIGKILL);
    ASSERT_EQ(wait_for(holder), 128 + SIGKILL);
  }
  EXPECT_EQ(locks_->lock(5, 1s), SessionLockResult::kAcquired);
  locks_->unlock(5);
}

}  // namespace
}  // namespace clustered
