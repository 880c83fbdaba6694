// SPDX-License-Identifier: BSD-3-Clause
// The per-session lock as the handler sees it: taken in validate_sid()/read(),
// held to close(). Production locks live in the shared segment (LockTable,
// robust process-shared mutexes); the cluster simulator parks a request whose
// lock is taken until its holder releases it, instead of blocking a thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace clustered {

enum class SessionLockResult { kAcquired, kAcquiredAfterWait, kTimedOut, kFailed };

class SessionLocks {
 public:
  virtual ~SessionLocks() = default;
  // Takes the lock of the session stored under `key`, waiting up to `timeout`.
  virtual SessionLockResult lock(std::string_view key, std::chrono::milliseconds timeout) = 0;
  // Releases the lock this process holds for `key`.
  virtual void unlock(std::string_view key) = 0;
  // After a lock() that waited: the microseconds from the holder's unlock to this
  // process running with the lock; nullopt when unknown (no release seen, or
  // locks that do not block a thread).
  virtual std::optional<std::uint64_t> wake_delay_us() const { return std::nullopt; }
  // True while a request of the node (of any process, this one's included) holds
  // the lock of `key`: a takeover check leaves that session to its request
  // (MissedWrites::retry). False when it cannot tell.
  virtual bool held(std::string_view key) {
    (void)key;
    return false;
  }
};

}  // namespace clustered
