// SPDX-License-Identifier: BSD-3-Clause
// The node-local session cache: lives in one shared mapping, used by every process
// of an app node. All structure is linked by index, never by pointer, so every
// process may map it at any address.
//
//   CacheHeader | bucket[bucket_count] (u32 entry index + 1, 0 = empty)
//               | Entry[entry_count]   (key, metadata, first chunk)
//               | Chunk[chunk_count]   (kChunkPayload bytes of data, next chunk)
//
// One robust mutex guards it all; operations are short (a memcpy of the session).
// An entry becomes visible only after its data and checksum are complete, so when
// a process dies holding the lock, the next locker rebuilds the index from the
// entries whose checksum is right and frees the rest (see repair()).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shm/robust_mutex.h"

namespace clustered {

inline constexpr std::size_t kMaxCacheKey = 320;
inline constexpr std::size_t kChunkPayload = 1016;
// The replica copies' tokens an entry keeps (clustered_session.replicas is at most 8).
inline constexpr std::size_t kCachedReplicaTokens = 8;
using CachedReplicaTokens = std::array<std::uint64_t, kCachedReplicaTokens>;

struct CachedSession {
  std::string data;
  std::uint64_t version = 0;
  std::int64_t expires_at = 0;         // unix seconds
  std::int64_t remote_touched_at = 0;  // unix seconds of the last remote set/touch
  bool unsynced = false;               // the remote write failed; retry and relocate
  std::string store;                   // node id holding the remote copy
  bool forward = false;                // the session moved: data is its new ID
  bool deleted = false;                // a tombstone: destroyed here, the remote delete pending
  bool remote_gone = false;            // unsynced because memcached restarted (empty) there
  // memcached's CAS token of the copy on `store` at this version (0: unknown):
  // the next write is conditional on it, so it never destroys what another node
  // wrote since (a forward, a newer copy).
  std::uint64_t store_cas = 0;
  // The tokens of the replica copies at this version, in ring order (0:
  // unknown), from this node's own writes: its next write is conditional on
  // them too, in the same one command per node.
  CachedReplicaTokens replica_cas{};
  // The key that sealed the remote copy (Sealer::sealing_key_id(); 0: plain). A
  // copy sealed otherwise than this node now seals is written again, not only
  // touched: after a key rotation or a switch-over, every session in use is
  // re-sealed at its next request.
  std::uint32_t sealed_with = 0;
  // Compared with memcached before it is served (docs/design.md, "Lost copies"):
  // takeover notices may have expired unread (a gap), so memcached may hold a
  // forward or a newer copy now. A read or the next check settles it.
  bool untrusted = false;
  // Served, but compared with memcached at the next checks: memcached dropped
  // items there (evictions), perhaps this one, which is then stored again.
  bool recheck = false;
};

// What comparing a cached copy with memcached found (SessionCache::settle()).
enum class CopyInMemcached {
  kHeld,      // the same version: the cached copy is current and trusted
  kLost,      // nothing there (evicted, restarted, flushed): stored again, unsynced
  kOlder,     // an older version (a replay, or a write this copy superseded): this
              // copy is served and written again over it
  kReplaced,  // a forward, a tombstone or a newer version: the cached copy goes
};

struct CacheStats {
  std::uint64_t capacity_bytes = 0;
  std::uint64_t used_bytes = 0;
  std::uint64_t entries = 0;
  std::uint64_t max_entries = 0;
  std::uint64_t evictions = 0;
  std::uint64_t repairs = 0;
};

class SessionCache {
 public:
  // Bytes a cache of this capacity needs (header, index, entries and chunks).
  static std::size_t bytes_needed(std::size_t capacity);
  // Lays out an empty cache in [memory, memory + size). Call once, before forking.
  // nullptr when the region is too small for the index (bytes_needed() always fits).
  static SessionCache* create(void* memory, std::size_t size);
  // The layout of every structure create() lays out, as one number: the cache's own
  // revision (bumped when a field's meaning changes) folded with the sizes of its
  // header, entries and chunks and the constants that place them. A build whose
  // cache is laid out differently has another number; SharedSegment folds it into
  // the segment's version, so a graceful restart never reattaches such a cache.
  static std::uint32_t layout_version();

  // copy_data = false: only the metadata (version, times, flags), no data copy.
  std::optional<CachedSession> get(std::string_view key, std::int64_t now, bool copy_data = true);
  // Replaces the entry. Evicts expired, then least recently used synced entries to
  // make room. False when the session cannot fit (then it bypasses the cache).
  bool put(std::string_view key, const CachedSession& session, std::int64_t now);
  // Updates metadata only (expiry, touch time) without copying data; clears the
  // unsynced flag when the entry still holds `synced_version`.
  // With `store_cas` (!= 0) the entry also takes that token when it holds
  // `synced_version`, and the replicas' `replica_cas` (when given).
  bool refresh(std::string_view key, std::int64_t expires_at, std::int64_t remote_touched_at,
               std::optional<std::uint64_t> synced_version = std::nullopt,
               std::uint64_t store_cas = 0, const CachedReplicaTokens* replica_cas = nullptr);
  void remove(std::string_view key);
  // Drops expired entries, 1024 entries per hold of the lock; returns how many.
  std::size_t sweep(std::int64_t now);
  // What a node does when it may have missed takeover notices: drops every synced
  // forward and marks every synced session untrusted (compared with memcached
  // before it is served again; an owner never drops a copy memcached may have
  // lost). Unsynced entries (the only copy of their data) stay as they are.
  // Returns how many entries were dropped or marked.
  std::size_t distrust_synced();
  // Marks every synced session whose remote copy is on `store` for a recheck
  // (memcached evicted items there). Returns how many.
  std::size_t recheck_on(std::string_view store);
  // Up to `limit` untrusted or rechecked sessions whose store `wanted` accepts,
  // metadata only, with their keys.
  std::vector<std::pair<std::string, CachedSession>> entries_to_compare(
      std::size_t limit, const std::function<bool(std::string_view store)>& wanted);
  // Records what memcached holds for the entry at `version` (a newer entry was
  // written since and is left alone): kHeld clears the marks, kLost makes it
  // unsynced (stored again where the key is still empty), kOlder unsynced (its
  // next request writes it over the older copy), kReplaced drops it.
  void settle(std::string_view key, std::uint64_t version, CopyInMemcached found);
  // Drops the entries whose key has one of these hashes (hash_of()): takeover
  // notices name keys by hash; another key with the same hash only costs a
  // remote read. Returns how many entries went.
  std::size_t remove_hashed(std::span<const std::uint64_t> hashes);
  // The key hash the index uses: the same on every node and build (FNV-1a 64).
  static std::uint64_t hash_of(std::string_view key);
  // Up to `limit` unsynced entries (sessions, forwards and tombstones a memcached
  // node did not take) whose store `wanted` accepts, with their keys, for a
  // retry; the touched entries are walked in slices.
  std::vector<std::pair<std::string, CachedSession>> unsynced_entries(
      std::size_t limit, const std::function<bool(std::string_view store)>& wanted);
  // Marks every entry whose remote copy is on `store` unsynced (memcached
  // restarted there, empty): they are kept, and written again. Returns how many.
  std::size_t mark_unsynced_on(std::string_view store);
  CacheStats stats();
  // Verifies every entry (checksums, chains, index). Used by tests after kills.
  bool check_consistency(std::string* problem);
  // For tests and tests/fuzz: takes the lock and runs the repair a locker runs when
  // the last holder died (EOWNERDEAD), as if a writer had crashed just now.
  void repair_after_crash();
  // Bytes at the start of the region (the header) that create() lays out and no
  // operation moves; what follows (index, entries, chunks) is what a writer that dies
  // mid-operation may leave half-written, and what repair() rebuilds.
  static std::size_t header_bytes();

 private:
  struct Header;
  struct Entry;
  struct Chunk;

  Header* header();
  std::uint32_t* buckets();
  Entry* entries();
  Chunk* chunks();
  template <class Body>
  auto locked(Body body);

  std::uint32_t find(std::string_view key, std::uint64_t hash, std::uint32_t* previous);
  template <class Visit>
  void for_each_live_entry(Visit visit);
  template <class Doomed>
  std::size_t remove_where(Doomed doomed);
  void unlink_and_free(std::uint32_t entry, std::uint32_t previous);
  bool make_room(std::size_t chunks_needed, std::int64_t now);
  bool evict_one(std::int64_t now);
  void free_chain(std::uint32_t first_chunk);
  // A free entry or chunk: from the free list, else the next never-used one
  // (the caller made room first).
  std::uint32_t take_entry();
  static CachedSession metadata_of(const Entry& entry);  // all but the data
  static std::string_view store_of(const Entry& entry);
  void read_data(const Entry& entry, std::string& data);
  std::uint32_t take_chunk();
  std::uint64_t checksum(const Entry& entry);
  void repair();
};

}  // namespace clustered
