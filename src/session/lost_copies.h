// SPDX-License-Identifier: BSD-3-Clause
// Cached sessions memcached may no longer hold as this node cached them
// (docs/design.md, "Lost copies"): after a gap in the takeover checks (a notice
// may have expired unread) and after memcached evicted items on their node. Each
// is compared with memcached, a slice per takeover check: a copy memcached lost
// is stored again (MissedWrites::retry(), only where the key is still empty), one
// it replaced (a forward, a tombstone, another version) leaves the cache. An owner
// never drops a copy memcached does not have.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "remote/remote_store.h"
#include "shm/session_cache.h"
#include "stats/counters.h"

namespace clustered {

// What memcached holds under a cached session's key, compared with the cached
// copy (`found` is RemoteStore::read()'s answer for the key's primary).
CopyInMemcached compare_with_memcached(const std::optional<RemoteCopy>& found, std::size_t primary,
                                       const CachedSession& cached);

// Whether the cached copy is served (and written again) rather than memcached's:
// memcached lost it or holds an older one, or it holds this version while the
// cached copy's write is still pending.
inline bool cached_copy_wins(CopyInMemcached found, const CachedSession& cached) {
  return found == CopyInMemcached::kLost || found == CopyInMemcached::kOlder ||
         (found == CopyInMemcached::kHeld && cached.unsynced);
}

class LostCopies {
 public:
  LostCopies(RemoteStore& remote, SessionCache* cache, Counters& counters)
      : remote_(remote), cache_(cache), counters_(counters) {}

  // Marks for a recheck what this node holds on nodes whose eviction count grew.
  void notice_evictions();
  // Compares up to kComparesPerCheck marked sessions on nodes believed up
  // (`now_s`: wall clock, for the cache's expiry).
  void compare(std::int64_t now_s);

  // Each compare is one get: enough to go through a full 64 MB cache (8,192
  // entries) within two minutes of checks, little enough for the one request
  // that runs a check.
  static constexpr std::size_t kComparesPerCheck = 64;

  // The key compare() is reading from memcached right now (empty otherwise): a
  // read of a session no request asked for, which the simulator tells apart.
  std::string_view comparing() const { return comparing_; }

 private:
  RemoteStore& remote_;
  SessionCache* cache_;
  Counters& counters_;
  std::string comparing_;
};

}  // namespace clustered
