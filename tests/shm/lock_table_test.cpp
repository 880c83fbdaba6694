// SPDX-License-Identifier: BSD-3-Clause
#include "shm/lock_table.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <new>
#include <set>
#include <string>
#include <thread>
#include <vector>

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

bool acquired(SessionLockResult got) {
  return got == SessionLockResult::kAcquired || got == SessionLockResult::kAcquiredAfterWait;
}

// `count` keys ("sess.<prefix><i>") whose probe windows start at one slot, so
// that more than kLockWindow of them overflow it.
std::vector<std::string> keys_of_one_window(std::size_t count, const std::string& prefix,
                                            std::size_t home) {
  std::vector<std::string> keys;
  for (int i = 0; keys.size() < count; ++i) {
    std::string key = "sess." + prefix + std::to_string(i);
    if (LockTable::home_slot(LockTable::key_hash(key)) == home) keys.push_back(std::move(key));
  }
  return keys;
}

// A lock table in shared memory plus a few shared words for the processes'
// handshakes and measurements.
struct Shared {
  std::atomic<int> holding{0};
  std::atomic<int> result{-1};
  std::atomic<int> arrived{0};
  std::atomic<int> waits{0};
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

  // Forks a child that takes `keys`, says so, and then runs `then`.
  template <class Then>
  pid_t fork_holder(std::vector<std::string> keys, Then then) {
    const pid_t child = fork();
    if (child == 0) {
      for (const auto& key : keys) {
        if (locks_->lock(key, 5s).result != SessionLockResult::kAcquired) _exit(10);
      }
      shared_->holding.store(1);
      then();
      _exit(0);
    }
    return child;
  }
  template <class Then>
  pid_t fork_holder(const std::string& key, Then then) {
    return fork_holder(std::vector<std::string>{key}, then);
  }

  bool wait_until_held() {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (shared_->holding.load() == 0) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }

  // Locks `key` here and unlocks it at once; the outcome.
  SessionLockResult lock_and_unlock(const std::string& key, std::chrono::milliseconds timeout) {
    const LockTable::Held held = locks_->lock(key, timeout);
    if (acquired(held.result)) locks_->unlock(held.slot);
    return held.result;
  }

  SharedMapping mapping_;
  Shared* shared_;
  LockTable* locks_;
};

TEST(LockTableHash, StableNeverZeroAndSpread) {
  std::set<std::size_t> used;
  for (int i = 0; i < 2000; ++i) {
    const std::string key = "sess." + std::to_string(i);
    const std::uint64_t hash = LockTable::key_hash(key);
    EXPECT_NE(hash, 0u);
    EXPECT_EQ(LockTable::key_hash(key), hash);
    EXPECT_LT(LockTable::home_slot(hash), kLockSlots);
    used.insert(LockTable::home_slot(hash));
  }
  EXPECT_GT(used.size(), 1000u);
}

TEST_F(LockTableTest, LockUnlockRelock) {
  LockTable::Held first = locks_->lock("sess.7", 100ms);
  EXPECT_EQ(first.result, SessionLockResult::kAcquired);
  locks_->unlock(first.slot);
  first = locks_->lock("sess.7", 100ms);
  EXPECT_EQ(first.result, SessionLockResult::kAcquired);
  const LockTable::Held other = locks_->lock("sess.8", 100ms);  // another session
  EXPECT_EQ(other.result, SessionLockResult::kAcquired);
  EXPECT_NE(other.slot, first.slot);
  locks_->unlock(other.slot);
  locks_->unlock(first.slot);
}

TEST_F(LockTableTest, HeldElsewhereTimesOut) {
  const pid_t holder = fork_holder("sess.3", [] { pause(); });
  ASSERT_GT(holder, 0);
  ASSERT_TRUE(wait_until_held());

  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(locks_->lock("sess.3", 200ms).result, SessionLockResult::kTimedOut);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 190ms);  // never gives up before its timeout
  EXPECT_LT(waited, 3s);
  // Other sessions are free meanwhile.
  EXPECT_EQ(lock_and_unlock("sess.4", 100ms), SessionLockResult::kAcquired);

  kill(holder, SIGKILL);
  EXPECT_EQ(wait_for(holder), 128 + SIGKILL);
}

TEST_F(LockTableTest, WaiterInAnotherProcessWakesAsSoonAsTheHolderUnlocks) {
  const LockTable::Held held = locks_->lock("sess.11", 100ms);
  ASSERT_EQ(held.result, SessionLockResult::kAcquired);
  const pid_t waiter = fork();
  ASSERT_GE(waiter, 0);
  if (waiter == 0) {
    shared_->holding.store(1);  // about to wait
    const LockTable::Held got = locks_->lock("sess.11", 10s);
    shared_->acquired_at_us.store(now_us());
    shared_->result.store(static_cast<int>(got.result));
    if (acquired(got.result)) locks_->unlock(got.slot);
    _exit(0);
  }
  ASSERT_TRUE(wait_until_held());
  std::this_thread::sleep_for(300ms);  // the waiter is asleep in the kernel by now
  EXPECT_EQ(shared_->result.load(), -1) << "the waiter got a lock that is held";
  shared_->unlocked_at_us.store(now_us());
  locks_->unlock(held.slot);
  EXPECT_EQ(wait_for(waiter), 0);

  EXPECT_EQ(shared_->result.load(), static_cast<int>(SessionLockResult::kAcquiredAfterWait));
  const std::int64_t latency_us = shared_->acquired_at_us.load() - shared_->unlocked_at_us.load();
  RecordProperty("wake_latency_us", std::to_string(latency_us));
  EXPECT_GE(latency_us, 0);
  EXPECT_LT(latency_us, 200000) << "woke " << latency_us << " us after the unlock";
  // The slot went back: the session locks at once.
  EXPECT_EQ(lock_and_unlock("sess.11", 100ms), SessionLockResult::kAcquired);
}

TEST_F(LockTableTest, HolderKilledWhileHoldingReleasesTheLock) {
  const pid_t holder = fork_holder("sess.21", [] { pause(); });
  ASSERT_GT(holder, 0);
  ASSERT_TRUE(wait_until_held());
  kill(holder, SIGKILL);
  EXPECT_EQ(wait_for(holder), 128 + SIGKILL);

  EXPECT_TRUE(acquired(lock_and_unlock("sess.21", 1s)));
  // And the session locks normally afterwards, in this and other processes.
  EXPECT_EQ(lock_and_unlock("sess.21", 100ms), SessionLockResult::kAcquired);
  shared_->holding.store(0);
  const pid_t next = fork_holder("sess.21", [] {});
  EXPECT_EQ(wait_for(next), 0);
  EXPECT_EQ(lock_and_unlock("sess.21", 100ms), SessionLockResult::kAcquired);
}

// SharedLocks::held (a takeover check leaves a locked session to its request):
// true while another process holds the lock, false when it is free or its holder
// died, and asking takes nothing: the lock stays free, and the asker's own lock
// of another session stays held.
TEST_F(LockTableTest, HeldTellsWhetherAnotherProcessHoldsTheSessionAndTakesNothing) {
  SharedLocks asker(*locks_);
  ASSERT_EQ(asker.lock("sess.41", 100ms), SessionLockResult::kAcquired);  // its own
  EXPECT_FALSE(asker.held("sess.40"));
  EXPECT_EQ(lock_and_unlock("sess.40", 0ms), SessionLockResult::kAcquired) << "asking took it";

  const pid_t holder = fork_holder("sess.40", [] { pause(); });
  ASSERT_GT(holder, 0);
  ASSERT_TRUE(wait_until_held());
  EXPECT_TRUE(asker.held("sess.40"));
  EXPECT_TRUE(asker.held("sess.41")) << "its own lock is held too";
  kill(holder, SIGKILL);
  EXPECT_EQ(wait_for(holder), 128 + SIGKILL);
  EXPECT_FALSE(asker.held("sess.40")) << "a dead holder holds nothing";
  EXPECT_EQ(lock_and_unlock("sess.40", 0ms), SessionLockResult::kAcquired);
  asker.unlock("sess.41");
  EXPECT_EQ(lock_and_unlock("sess.41", 0ms), SessionLockResult::kAcquired);
}

TEST_F(LockTableTest, WaiterIsHandedTheLockWhenTheHolderDies) {
  const pid_t holder = fork_holder("sess.33", [] { pause(); });
  ASSERT_GT(holder, 0);
  ASSERT_TRUE(wait_until_held());
  std::thread killer([holder] {
    std::this_thread::sleep_for(200ms);
    kill(holder, SIGKILL);
  });
  const auto start = std::chrono::steady_clock::now();
  const LockTable::Held got = locks_->lock("sess.33", 10s);
  const auto waited = std::chrono::steady_clock::now() - start;
  killer.join();
  EXPECT_EQ(wait_for(holder), 128 + SIGKILL);
  EXPECT_EQ(got.result, SessionLockResult::kAcquiredAfterWait);
  EXPECT_LT(waited, 5s) << "the waiter was not woken by the holder's death";
  locks_->unlock(got.slot);
  EXPECT_EQ(lock_and_unlock("sess.33", 100ms), SessionLockResult::kAcquired);
}

TEST_F(LockTableTest, RepeatedKillsNeverWedgeASession) {
  for (int round = 0; round < 20; ++round) {
    shared_->holding.store(0);
    const pid_t holder = fork_holder("sess.5", [] { pause(); });
    ASSERT_GT(holder, 0);
    ASSERT_TRUE(wait_until_held()) << round;
    kill(holder, SIGKILL);
    ASSERT_EQ(wait_for(holder), 128 + SIGKILL);
  }
  EXPECT_EQ(lock_and_unlock("sess.5", 1s), SessionLockResult::kAcquired);
}

// Sessions were hashed to 4,096 stripes (std::hash % 4096), so a long request
// held a bystander that shared its stripe up to lock_timeout. Now a lock is a
// session's own (docs/design.md, "The shared segment").
TEST_F(LockTableTest, TwoSessionsThatSharedAStripeNeverWaitForEachOther) {
  std::map<std::size_t, std::string> seen;
  std::string first, second;
  for (int i = 0; second.empty(); ++i) {
    std::string key = "sess.a" + std::to_string(i);
    const auto [at, fresh] = seen.emplace(std::hash<std::string_view>{}(key) % 4096, key);
    if (!fresh) first = at->second, second = key;
  }
  const pid_t holder = fork();
  ASSERT_GE(holder, 0);
  if (holder == 0) {
    SharedLocks locks(*locks_);
    if (locks.lock(first, 1s) != SessionLockResult::kAcquired) _exit(10);
    shared_->holding.store(1);
    pause();
    _exit(0);
  }
  ASSERT_TRUE(wait_until_held());
  SharedLocks locks(*locks_);
  EXPECT_EQ(locks.lock(second, 100ms), SessionLockResult::kAcquired) << first << ", " << second;
  locks.unlock(second);
  EXPECT_EQ(locks.lock(first, 50ms), SessionLockResult::kTimedOut);  // still exclusive
  kill(holder, SIGKILL);
  EXPECT_EQ(wait_for(holder), 128 + SIGKILL);
  EXPECT_EQ(locks.lock(first, 1s), SessionLockResult::kAcquired);
  locks.unlock(first);
}

// 64 sessions held by 8 processes in turn, all 8 held at once in every round.
TEST_F(LockTableTest, ManyDifferentSessionsAtOnceNeverWait) {
  constexpr int kProcesses = 8, kRounds = 8;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      SharedLocks locks(*locks_);
      for (int round = 0; round < kRounds; ++round) {
        const std::string key = "sess.many" + std::to_string(round * kProcesses + p);
        const SessionLockResult got = locks.lock(key, 5s);
        if (got != SessionLockResult::kAcquired) shared_->waits.fetch_add(1);
        shared_->arrived.fetch_add(1);
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (shared_->arrived.load() < (round + 1) * kProcesses) {
          if (std::chrono::steady_clock::now() > deadline) _exit(11);
          std::this_thread::sleep_for(100us);
        }
        locks.unlock(key);
      }
      _exit(0);
    }
    children.push_back(child);
  }
  for (const pid_t child : children) EXPECT_EQ(wait_for(child), 0);
  EXPECT_EQ(shared_->waits.load(), 0);
  EXPECT_EQ(locks_->spilled(), 0u);
}

// 40 sessions whose windows start at one slot: 8 spill out of the window; none
// waits, and each is still exclusive.
TEST_F(LockTableTest, SessionsOverflowingOneWindowNeverWaitAndStayExclusive) {
  const std::vector<std::string> keys = keys_of_one_window(kLockWindow + 8, "w", 100);
  const pid_t holder = fork_holder(keys, [] { pause(); });
  ASSERT_GT(holder, 0);
  ASSERT_TRUE(wait_until_held());
  EXPECT_EQ(locks_->spilled(), 8u);
  for (const auto& key : keys) {
    EXPECT_EQ(locks_->lock(key, 0ms).result, SessionLockResult::kTimedOut) << key;
  }
  const std::vector<std::string> more = keys_of_one_window(1, "more", 100);
  const LockTable::Held other = locks_->lock(more[0], 0ms);
  EXPECT_EQ(other.result, SessionLockResult::kAcquired);
  locks_->unlock(other.slot);

  kill(holder, SIGKILL);
  EXPECT_EQ(wait_for(holder), 128 + SIGKILL);
  for (const auto& key : keys) EXPECT_EQ(lock_and_unlock(key, 0ms), SessionLockResult::kAcquired);
  EXPECT_EQ(locks_->spilled(), 0u);
}

// The slots of a holder that was killed are taken over by other sessions of
// their window, instead of pushing them out of it.
TEST_F(LockTableTest, SlotsOfAKilledHolderAreStolenWithinTheWindow) {
  const pid_t holder = fork_holder(keys_of_one_window(kLockWindow, "dead", 7), [] { pause(); });
  ASSERT_GT(holder, 0);
  ASSERT_TRUE(wait_until_held());
  kill(holder, SIGKILL);
  EXPECT_EQ(wait_for(holder), 128 + SIGKILL);

  std::vector<std::size_t> slots;
  for (const auto& key : keys_of_one_window(kLockWindow, "live", 7)) {
    const LockTable::Held held = locks_->lock(key, 0ms);
    EXPECT_EQ(held.result, SessionLockResult::kAcquired) << key;
    EXPECT_GE(held.slot, 7u);
    EXPECT_LT(held.slot, 7 + kLockWindow);
    slots.push_back(held.slot);
  }
  EXPECT_EQ(locks_->spilled(), 0u);
  for (const std::size_t slot : slots) locks_->unlock(slot);
}

// A process killed while it claimed (holding the table's claims mutex).
TEST_F(LockTableTest, ClaimerKilledWhileClaimingWedgesNothing) {
  const pid_t claimer = fork();
  ASSERT_GE(claimer, 0);
  if (claimer == 0) {
    locks_->claims_for_testing().lock();
    shared_->holding.store(1);
    pause();
    _exit(0);
  }
  ASSERT_TRUE(wait_until_held());
  kill(claimer, SIGKILL);
  EXPECT_EQ(wait_for(claimer), 128 + SIGKILL);
  EXPECT_EQ(lock_and_unlock("sess.after", 1s), SessionLockResult::kAcquired);
  EXPECT_EQ(lock_and_unlock("sess.after", 1s), SessionLockResult::kAcquired);
}

// A waiter killed while it waits leaves its count on the slot: the session and
// its window still lock without waiting.
TEST_F(LockTableTest, WaiterKilledWhileWaitingWedgesNothing) {
  const std::vector<std::string> keys = keys_of_one_window(kLockWindow + 1, "k", 900);
  const LockTable::Held held = locks_->lock(keys[0], 100ms);
  ASSERT_EQ(held.result, SessionLockResult::kAcquired);
  const pid_t waiter = fork();
  ASSERT_GE(waiter, 0);
  if (waiter == 0) {
    shared_->holding.store(1);
    locks_->lock(keys[0], 10s);
    _exit(0);
  }
  ASSERT_TRUE(wait_until_held());
  std::this_thread::sleep_for(100ms);  // asleep on the slot by now
  kill(waiter, SIGKILL);
  EXPECT_EQ(wait_for(waiter), 128 + SIGKILL);
  locks_->unlock(held.slot);

  std::vector<std::size_t> slots;
  for (const auto& key : keys) {
    const LockTable::Held got = locks_->lock(key, 0ms);
    EXPECT_EQ(got.result, SessionLockResult::kAcquired) << key;
    slots.push_back(got.slot);
  }
  for (const std::size_t slot : slots) locks_->unlock(slot);
  EXPECT_EQ(lock_and_unlock(keys[0], 0ms), SessionLockResult::kAcquired);
}

// Every slot held (kLockSlots lock holders at once): the next session waits
// for a slot, and gets the first one given back.
TEST_F(LockTableTest, AFullTableWaitsForASlot) {
  std::vector<std::size_t> slots;
  for (std::size_t i = 0; i < kLockSlots; ++i) {
    const LockTable::Held held = locks_->lock("sess.full" + std::to_string(i), 0ms);
    ASSERT_EQ(held.result, SessionLockResult::kAcquired) << i;
    slots.push_back(held.slot);
  }
  EXPECT_EQ(std::set<std::size_t>(slots.begin(), slots.end()).size(), kLockSlots);
  EXPECT_EQ(locks_->lock("sess.one-more", 20ms).result, SessionLockResult::kTimedOut);
  locks_->unlock(slots.back());
  slots.pop_back();
  const LockTable::Held last = locks_->lock("sess.one-more", 20ms);
  EXPECT_EQ(last.result, SessionLockResult::kAcquired);
  slots.push_back(last.slot);
  for (const std::size_t slot : slots) locks_->unlock(slot);
  EXPECT_EQ(locks_->spilled(), 0u);
}

}  // namespace
}  // namespace clustered
