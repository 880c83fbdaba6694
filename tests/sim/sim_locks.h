// SPDX-License-Identifier: BSD-3-Clause
// Session locks of one simulated app node. A request whose lock is taken parks
// (its fiber yields) until the holder releases it or its lock_timeout of
// simulated time passes, like a process asleep on the robust mutex.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>

#include "shm/session_locks.h"

namespace clustered::sim {

class SimLockTable {
 public:
  struct Waiter {
    int process = 0;
    std::int64_t deadline_ms = 0;
    bool granted = false;
    bool timed_out = false;
  };

  // Returns null when taken at once; otherwise the waiter to park on.
  Waiter* try_lock(const std::string& key, int process, std::int64_t deadline_ms);
  void unlock(const std::string& key, int process);
  // Everything `process` holds or waits for goes (the process died).
  void release_all(int process);
  // Times out waiters whose deadline passed; true when one did.
  bool expire(std::int64_t now_ms);
  std::int64_t earliest_deadline() const;
  bool held(const std::string& key) const { return holders_.count(key) != 0; }

 private:
  std::map<std::string, int> holders_;
  std::map<std::string, std::deque<Waiter*>> waiters_;
};

// The SessionLocks one process of the node uses.
class SimLocks final : public SessionLocks {
 public:
  // `stripes` 0: a lock per session; otherwise sessions share that many stripes.
  SimLocks(SimLockTable& table, int process, const std::int64_t& now_ms, std::size_t stripes)
      : table_(table), process_(process), now_ms_(now_ms), stripes_(stripes) {}
  SessionLockResult lock(std::string_view key, std::chrono::milliseconds timeout) override;
  void unlock(std::string_view key) override;
  bool held(std::string_view key) override { return table_.held(lock_name(key)); }

  // The lock this process waits for, while it waits (the simulator does not
  // resume a parked request until it is granted or times out).
  SimLockTable::Waiter* parked_on = nullptr;

 private:
  SimLockTable& table_;
  std::string lock_name(std::string_view key) const;

  int process_;
  const std::int64_t& now_ms_;
  std::size_t stripes_;
};

}  // namespace clustered::sim
