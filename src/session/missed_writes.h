// SPDX-License-Identifier: BSD-3-Clause
// Forwards and deletes that a memcached node missed because it was down, frozen
// or cut off (docs/design.md, "Forwards and notices"): without a retry, the old cookie would open
// the old copy once the node answers again. They are kept in this node's cache as unsynced entries
// (a forward, or a tombstone), which also serve this node meanwhile, and are retried with each
// takeover check (one process per node per takeover_check_interval) until the node takes them or
// the copy they concern has expired there anyway.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "remote/remote_store.h"
#include "remote/session_end.h"
#include "shm/session_cache.h"
#include "shm/session_locks.h"

namespace clustered {

class MissedWrites {
 public:
  // `locks`: the node's session locks (may be null), to leave a session whose
  // request is still running to that request.
  MissedWrites(RemoteStore& remote, SessionCache* cache, SessionLocks* locks = nullptr)
      : remote_(remote), cache_(cache), locks_(locks) {}

  // The key retry() is writing right now (its writes may read a replica's
  // version: RemoteStore::store_copies); empty otherwise.
  std::string_view retrying() const { return retrying_; }

  // Leaves a forward to `target` under `old_key` on `store` and in the cache;
  // when the node does not take it, the cached forward stays unsynced, to retry.
  // With `expected_cas` (and `replica_read`, RemoteStore::write_forward), only
  // over that copy: kExists (another write came between) leaves nothing, here
  // or there.
  Result<WriteReport> leave_forward(std::string_view old_key, std::size_t store,
                                    std::string_view target, std::uint64_t version,
                                    std::uint32_t ttl_s, std::int64_t expires_at, std::int64_t now,
                                    std::uint64_t expected_cas = 0,
                                    std::optional<CopyToken> replica_read = std::nullopt,
                                    std::uint64_t read_version = 0);
  // An end of `key` (remote/session_end.h) that `store` did not take: kept as a
  // deleted entry with the copy it ends, to retry (and to keep this node from
  // serving or fetching the destroyed session meanwhile). With `replica_only`,
  // `store` took it (`read` is its tombstone) and a replica's node did not: the
  // retry writes the tombstone again over that one, which reaches the replicas.
  void remember_missed_end(std::string_view key, std::size_t store, CopyRead read,
                           std::int64_t expires_at, std::int64_t now, bool replica_only = false);
  // Retries up to kRetriesPerCheck missed writes on nodes believed up: forwards,
  // deletes, and sessions a restarted memcached lost (or never took).
  void retry(std::uint32_t ttl_s, std::int64_t now);

  // Enough to re-seed a full 64 MB cache (8,192 entries) within a minute of
  // checks, little enough to add a few ms to the one request that runs a check.
  static constexpr std::size_t kRetriesPerCheck = 256;
  // How long a change memcached did not take stays with its own request before
  // a check stores it, when no lock tells whether that request still runs
  // (locking off): its write (a few operations of io_timeout, 250 ms by
  // default) is normally over by then. With locks, a session whose lock is held
  // is left to its request however long it takes.
  static constexpr std::int64_t kKeptWriteSettleSeconds = 2;

 private:
  // A kept change whose key holds a copy: written over it when that copy is
  // older (conditional on its token), dropped when it was replaced.
  void store_over_older_copy(std::size_t store, const std::string& key, const CachedSession& kept,
                             std::uint32_t ttl_s, std::int64_t now);

  RemoteStore& remote_;
  SessionCache* cache_;
  SessionLocks* locks_;
  std::string retrying_;
};

}  // namespace clustered
