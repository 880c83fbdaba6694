// SPDX-License-Identifier: BSD-3-Clause
// Session locks of one app node for single-threaded handler tests: each handler
// ("process" of the node) gets its own BoardLocks on the node's one LockBoard.
// Nothing blocks: a lock held by another process is waited for on the test's
// ManualClock. While it "waits", the board's `while_waiting` runs (there the
// holder may finish its request); if the lock is free afterwards it is granted
// (kAcquiredAfterWait, the clock moved by `wait_ms`), else the clock moves by the
// whole lock_timeout and the lock times out.
//
//   LockBoard board;
//   BoardLocks child1(board, clock), child2(board, clock);
//   board.while_waiting = [&] { finish the holder's request };
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "shm/session_locks.h"
#include "support/manual_clock.h"

namespace clustered::testing {

struct LockBoard {
  std::map<std::string, const void*, std::less<>> holders;  // key -> the BoardLocks holding it
  std::function<void()> while_waiting;
  std::int64_t wait_ms = 10;   // how long a wait that is granted takes
  int failures_to_inject = 0;  // the next lock() calls fail (kFailed): a broken mutex
  std::uint64_t waits = 0;

  bool held(std::string_view key) const { return holders.find(key) != holders.end(); }
};

class BoardLocks final : public clustered::SessionLocks {
 public:
  BoardLocks(LockBoard& board, ManualClock& clock) : board_(board), clock_(clock) {}
  ~BoardLocks() override {
    for (auto it = board_.holders.begin(); it != board_.holders.end();) {
      it = it->second == this ? board_.holders.erase(it) : std::next(it);
    }
  }

  bool held(std::string_view key) override { return board_.held(key); }
  clustered::SessionLockResult lock(std::string_view key,
                                    std::chrono::milliseconds timeout) override {
    if (board_.failures_to_inject > 0) {
      --board_.failures_to_inject;
      return clustered::SessionLockResult::kFailed;
    }
    auto held = board_.holders.find(key);
    if (held == board_.holders.end()) {
      board_.holders.emplace(std::string(key), this);
      return clustered::SessionLockResult::kAcquired;
    }
    if (held->second == this) return clustered::SessionLockResult::kAcquired;
    ++board_.waits;
    if (board_.while_waiting) {
      auto run = std::move(board_.while_waiting);  // runs once; it may lock too
      board_.while_waiting = nullptr;
      run();
    }
    if (!board_.held(key)) {
      clock_.advance_ms(board_.wait_ms);
      board_.holders.emplace(std::string(key), this);
      return clustered::SessionLockResult::kAcquiredAfterWait;
    }
    clock_.advance_ms(timeout.count());
    return clustered::SessionLockResult::kTimedOut;
  }

  void unlock(std::string_view key) override {
    auto held = board_.holders.find(key);
    if (held != board_.holders.end() && held->second == this) board_.holders.erase(held);
  }

 private:
  LockBoard& board_;
  ManualClock& clock_;
};

}  // namespace clustered::testing
