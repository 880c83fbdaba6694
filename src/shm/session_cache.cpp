// SPDX-License-Identifier: BSD-3-Clause
#include "shm/session_cache.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

#include "util/fnv1a.h"

namespace clustered {
namespace {

constexpr std::uint64_t kCacheMagic = 0x636c75737465723cULL;  // "clustr<"
// Bump when a field of Header, Entry or Chunk changes meaning without changing
// size (layout_version() adds the sizes by itself).
constexpr std::uint32_t kLayoutVersion = 7;  // 7: replica_cas
constexpr std::uint32_t kNone = 0;           // indexes are stored +1 so 0 means "none"
constexpr std::size_t kBytesPerEntry = 8192;
constexpr std::size_t kEvictionSample = 8;
constexpr std::uint32_t kEntryFree = 0;
constexpr std::uint32_t kEntryLive = 0x4c495645;  // "LIVE"
constexpr std::uint32_t kFlagUnsynced = 1;
constexpr std::uint32_t kFlagForward = 2;
constexpr std::uint32_t kFlagDeleted = 4;
constexpr std::uint32_t kFlagRemoteGone = 8;
constexpr std::uint32_t kFlagUntrusted = 16;
constexpr std::uint32_t kFlagRecheck = 32;
constexpr std::uint32_t kFlagsToCompare = kFlagUntrusted | kFlagRecheck;

std::uint64_t fnv1a(std::uint64_t hash, const void* data, std::size_t size) {
  return clustered::fnv1a(std::string_view(static_cast<const char*>(data), size), hash);
}

constexpr std::uint64_t kFnvBasis = 0xcbf29ce484222325ULL;

// Session data is checksummed a word at a time (a byte-wise FNV of a 4 KB session
// took most of a put); only crash repair and tests verify it.
std::uint64_t checksum_words(std::uint64_t hash, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::size_t offset = 0;
  for (; offset + sizeof(std::uint64_t) <= size; offset += sizeof(std::uint64_t)) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes + offset, sizeof word);
    hash = (hash ^ word) * 0x9e3779b97f4a7c15ULL;
    hash ^= hash >> 29;
  }
  return fnv1a(hash, bytes + offset, size - offset);
}

constexpr std::size_t kStoreBytes = 24;

// The bucket hash of a key; an entry's checksum starts from it too.
std::uint64_t key_hash(std::string_view key) { return fnv1a(kFnvBasis, key.data(), key.size()); }

// What an entry's checksum covers besides its data: key (by its hash), version,
// length, store (zero-padded to its field's size).
std::uint64_t checksum_head(std::uint64_t hashed_key, std::uint64_t version,
                            std::uint32_t data_length, const char (&store)[kStoreBytes]) {
  std::uint64_t sum = fnv1a(hashed_key, &version, sizeof version);
  sum = fnv1a(sum, &data_length, sizeof data_length);
  return fnv1a(sum, store, kStoreBytes);
}

// The checksum an entry holding this session will have. put() computes it before
// taking the lock, from the caller's copy: the data goes in chunk-sized parts, as
// checksum(Entry) reads it back from the chunks.
std::uint64_t checksum_of(std::uint64_t hashed_key, const CachedSession& session,
                          const char (&store)[kStoreBytes]) {
  const auto length = static_cast<std::uint32_t>(session.data.size());
  std::uint64_t sum = checksum_head(hashed_key, session.version, length, store);
  for (std::size_t offset = 0; offset < session.data.size(); offset += kChunkPayload) {
    sum = checksum_words(sum, session.data.data() + offset,
                         std::min(session.data.size() - offset, kChunkPayload));
  }
  return sum;
}

std::size_t align_up(std::size_t value, std::size_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

}  // namespace

struct SessionCache::Header {
  std::uint64_t magic;
  std::uint32_t layout_version;
  std::uint32_t bucket_count;
  RobustMutex mutex;
  std::uint64_t size;
  std::uint32_t entry_count;
  std::uint32_t chunk_count;
  std::uint32_t free_entry_head;
  std::uint32_t free_chunk_head;
  std::uint32_t free_chunks;  // on the free list and past chunks_touched
  // Entries and chunks from these indexes on have never been used: free, not on
  // any list, and their pages not yet touched (a php command line run that never
  // starts a session commits none of the cache).
  std::uint32_t entries_touched;
  std::uint32_t chunks_touched;
  std::uint32_t live_entries;
  std::uint32_t clock_hand;
  std::uint64_t tick;
  std::uint64_t evictions;
  std::uint64_t repairs;
  std::size_t buckets_offset;
  std::size_t entries_offset;
  std::size_t chunks_offset;
};

struct SessionCache::Entry {
  std::uint32_t state;
  std::uint32_t hash_next;  // next entry in the bucket, or next free entry
  std::uint64_t hash;
  std::uint64_t checksum;
  std::uint64_t version;
  std::uint64_t store_cas;
  std::uint64_t replica_cas[kCachedReplicaTokens];
  std::int64_t expires_at;
  std::int64_t remote_touched_at;
  std::uint64_t last_used;
  std::uint32_t data_length;
  std::uint32_t first_chunk;
  std::uint32_t key_length;
  std::uint32_t flags;
  std::uint32_t sealed_with;
  char store[kStoreBytes];
  char key[kMaxCacheKey];
};

struct SessionCache::Chunk {
  std::uint32_t next;
  std::uint32_t reserved;
  char data[kChunkPayload];
};

SessionCache::Header* SessionCache::header() { return reinterpret_cast<Header*>(this); }
std::uint32_t* SessionCache::buckets() {
  return reinterpret_cast<std::uint32_t*>(reinterpret_cast<char*>(this) + header()->buckets_offset);
}
SessionCache::Entry* SessionCache::entries() {
  return reinterpret_cast<Entry*>(reinterpret_cast<char*>(this) + header()->entries_offset);
}
SessionCache::Chunk* SessionCache::chunks() {
  return reinterpret_cast<Chunk*>(reinterpret_cast<char*>(this) + header()->chunks_offset);
}

std::size_t SessionCache::bytes_needed(std::size_t capacity) {
  return std::max<std::size_t>(capacity, std::size_t{64} * 1024);
}

std::uint32_t SessionCache::layout_version() {
  constexpr std::uint64_t parts[] = {
      kLayoutVersion, sizeof(Header), alignof(Header),     sizeof(Entry), alignof(Entry),
      sizeof(Chunk),  alignof(Chunk), sizeof(RobustMutex), kChunkPayload, kMaxCacheKey,
      kStoreBytes,    kBytesPerEntry, kCacheMagic};
  std::uint64_t hash = kFnvBasis;
  for (const std::uint64_t part : parts) hash = fnv1a(hash, &part, sizeof part);
  return static_cast<std::uint32_t>(hash ^ (hash >> 32));
}

std::size_t SessionCache::header_bytes() { return align_up(sizeof(Header), 64); }

SessionCache* SessionCache::create(void* memory, std::size_t size) {
  const std::size_t entry_count = std::max<std::size_t>(16, size / kBytesPerEntry);
  std::size_t bucket_count = 16;
  while (bucket_count < entry_count) bucket_count *= 2;
  const std::size_t buckets_offset = header_bytes();
  const std::size_t entries_offset =
      align_up(buckets_offset + bucket_count * sizeof(std::uint32_t), 64);
  const std::size_t chunks_offset = align_up(entries_offset + entry_count * sizeof(Entry), 64);
  // The index alone must fit, or the memsets below would write past the region.
  if (size < chunks_offset + sizeof(Chunk)) return nullptr;

  auto* cache = static_cast<SessionCache*>(memory);
  auto* h = new (memory) Header{};
  h->magic = kCacheMagic;
  h->layout_version = kLayoutVersion;
  h->size = size;
  h->mutex.init();
  h->entry_count = static_cast<std::uint32_t>(entry_count);
  h->bucket_count = static_cast<std::uint32_t>(bucket_count);
  h->buckets_offset = buckets_offset;
  h->entries_offset = entries_offset;
  h->chunks_offset = chunks_offset;
  const std::size_t chunk_bytes = size - h->chunks_offset;
  h->chunk_count = static_cast<std::uint32_t>(chunk_bytes / sizeof(Chunk));
  // Only the buckets are written: entries and chunks are handed out from the
  // untouched tail as they are needed (take_entry(), take_chunk()).
  std::memset(cache->buckets(), 0, bucket_count * sizeof(std::uint32_t));
  h->free_entry_head = kNone;
  h->free_chunk_head = kNone;
  h->free_chunks = h->chunk_count;
  return cache;
}

template <class Body>
auto SessionCache::locked(Body body) {
  RobustGuard guard(header()->mutex, [this] { repair(); });
  // Unreachable in practice (a repairer that dies is repaired after in turn), but
  // the cache is never touched without its lock: act as an empty cache.
  if (!guard.held()) return decltype(body())();
  return body();
}

std::uint32_t SessionCache::find(std::string_view key, std::uint64_t hash,
                                 std::uint32_t* previous) {
  Header* h = header();
  std::uint32_t prior = kNone;
  std::uint32_t current = buckets()[hash & (h->bucket_count - 1)];
  for (std::uint32_t steps = 0; current != kNone && steps <= h->entry_count; ++steps) {
    const Entry& entry = entries()[current - 1];
    if (entry.hash == hash && entry.key_length == key.size() &&
        std::memcmp(entry.key, key.data(), key.size()) == 0) {
      if (previous != nullptr) *previous = prior;
      return current;
    }
    prior = current;
    current = entry.hash_next;
  }
  return kNone;
}

CachedSession SessionCache::metadata_of(const Entry& entry) {
  CachedSession session;
  session.version = entry.version;
  session.store_cas = entry.store_cas;
  std::copy(std::begin(entry.replica_cas), std::end(entry.replica_cas),
            session.replica_cas.begin());
  session.expires_at = entry.expires_at;
  session.remote_touched_at = entry.remote_touched_at;
  session.unsynced = (entry.flags & kFlagUnsynced) != 0;
  session.forward = (entry.flags & kFlagForward) != 0;
  session.deleted = (entry.flags & kFlagDeleted) != 0;
  session.remote_gone = (entry.flags & kFlagRemoteGone) != 0;
  session.untrusted = (entry.flags & kFlagUntrusted) != 0;
  session.recheck = (entry.flags & kFlagRecheck) != 0;
  session.sealed_with = entry.sealed_with;
  session.store = store_of(entry);
  return session;
}

std::string_view SessionCache::store_of(const Entry& entry) {
  return {entry.store, strnlen(entry.store, sizeof entry.store)};
}

void SessionCache::read_data(const Entry& entry, std::string& data) {
  data.resize(entry.data_length);
  std::uint32_t current = entry.first_chunk;
  for (std::size_t offset = 0; offset < entry.data_length; offset += kChunkPayload) {
    const std::size_t part = std::min<std::size_t>(entry.data_length - offset, kChunkPayload);
    std::memcpy(data.data() + offset, chunks()[current - 1].data, part);
    current = chunks()[current - 1].next;
  }
}

std::uint32_t SessionCache::take_entry() {
  Header* h = header();
  if (h->free_entry_head != kNone) {
    const std::uint32_t index = h->free_entry_head;
    h->free_entry_head = entries()[index - 1].hash_next;
    return index;
  }
  return ++h->entries_touched;  // make_room() made sure one is left
}

std::uint32_t SessionCache::take_chunk() {
  Header* h = header();
  --h->free_chunks;
  if (h->free_chunk_head != kNone) {
    const std::uint32_t chunk = h->free_chunk_head;
    h->free_chunk_head = chunks()[chunk - 1].next;
    return chunk;
  }
  return ++h->chunks_touched;
}

void SessionCache::free_chain(std::uint32_t first_chunk) {
  Header* h = header();
  std::uint32_t current = first_chunk;
  for (std::uint32_t steps = 0; current != kNone && steps < h->chunk_count; ++steps) {
    Chunk& chunk = chunks()[current - 1];
    const std::uint32_t next = chunk.next;
    chunk.next = h->free_chunk_head;
    h->free_chunk_head = current;
    ++h->free_chunks;
    current = next;
  }
}

void SessionCache::unlink_and_free(std::uint32_t index, std::uint32_t previous) {
  Header* h = header();
  Entry& entry = entries()[index - 1];
  if (previous == kNone) {
    buckets()[entry.hash & (h->bucket_count - 1)] = entry.hash_next;
  } else {
    entries()[previous - 1].hash_next = entry.hash_next;
  }
  entry.state = kEntryFree;
  free_chain(entry.first_chunk);
  entry.first_chunk = kNone;
  entry.hash_next = h->free_entry_head;
  h->free_entry_head = index;
  --h->live_entries;
}

bool SessionCache::evict_one(std::int64_t now) {
  // Sampled LRU from a moving hand: expired entries go first, unsynced ones never
  // (they are the only copy of a write that memcached refused).
  Header* h = header();
  std::uint32_t victim = kNone;
  std::uint64_t oldest = UINT64_MAX;
  std::size_t sampled = 0;
  for (std::uint32_t step = 0; step < h->entries_touched && sampled < kEvictionSample; ++step) {
    h->clock_hand = (h->clock_hand + 1) % h->entries_touched;
    const Entry& entry = entries()[h->clock_hand];
    if (entry.state != kEntryLive || (entry.flags & kFlagUnsynced) != 0) continue;
    ++sampled;
    if (entry.expires_at <= now) {
      victim = h->clock_hand + 1;
      break;
    }
    if (entry.last_used < oldest) {
      oldest = entry.last_used;
      victim = h->clock_hand + 1;
    }
  }
  if (victim == kNone) return false;
  const Entry& entry = entries()[victim - 1];
  std::uint32_t previous = kNone;
  const std::uint32_t found =
      find(std::string_view(entry.key, entry.key_length), entry.hash, &previous);
  if (found != victim) return false;
  unlink_and_free(victim, previous);
  ++h->evictions;
  return true;
}

bool SessionCache::make_room(std::size_t chunks_needed, std::int64_t now) {
  Header* h = header();
  while (h->free_chunks < chunks_needed ||
         (h->free_entry_head == kNone && h->entries_touched == h->entry_count)) {
    if (!evict_one(now)) return false;
  }
  return true;
}

std::uint64_t SessionCache::checksum(const Entry& entry) {
  // From the key's bytes, not entry.hash: repair must not trust what it verifies.
  std::uint64_t sum = checksum_head(key_hash(std::string_view(entry.key, entry.key_length)),
                                    entry.version, entry.data_length, entry.store);
  std::uint32_t current = entry.first_chunk;
  std::size_t left = entry.data_length;
  while (left > 0 && current != kNone && current <= header()->chunk_count) {
    const std::size_t part = std::min(left, kChunkPayload);
    sum = checksum_words(sum, chunks()[current - 1].data, part);
    left -= part;
    current = chunks()[current - 1].next;
  }
  return left == 0 ? sum : ~sum;
}

std::optional<CachedSession> SessionCache::get(std::string_view key, std::int64_t now,
                                               bool copy_data) {
  const std::uint64_t hash = key_hash(key);
  return locked([&]() -> std::optional<CachedSession> {
    std::uint32_t previous = kNone;
    const std::uint32_t index = find(key, hash, &previous);
    if (index == kNone) return std::nullopt;
    Entry& entry = entries()[index - 1];
    if (entry.expires_at <= now && (entry.flags & kFlagUnsynced) == 0) {
      unlink_and_free(index, previous);
      return std::nullopt;
    }
    entry.last_used = ++header()->tick;
    CachedSession session = metadata_of(entry);
    if (!copy_data && !session.forward) return session;
    read_data(entry, session.data);
    return session;
  });
}

bool SessionCache::put(std::string_view key, const CachedSession& session, std::int64_t now) {
  if (key.size() > kMaxCacheKey || session.store.size() >= sizeof(Entry::store)) return false;
  if (session.data.size() > UINT32_MAX) return false;
  // Everything that needs only the caller's copy is done before taking the lock,
  // which every process of the node shares.
  const std::uint64_t hash = key_hash(key);
  char store[kStoreBytes] = {};
  session.store.copy(store, session.store.size());  // shorter than store: checked above
  const std::uint64_t sum = checksum_of(hash, session, store);
  return locked([&]() -> bool {
    Header* h = header();
    std::uint32_t previous = kNone;
    if (const std::uint32_t old = find(key, hash, &previous); old != kNone) {
      unlink_and_free(old, previous);
    }
    const std::size_t needed = (session.data.size() + kChunkPayload - 1) / kChunkPayload;
    if (needed > h->chunk_count / 2) return false;  // would flush half the cache: bypass
    if (!make_room(needed, now)) return false;

    // Data first, then the entry, then the bucket link: a crash before the link
    // only leaks chunks, which repair() returns to the free list.
    std::uint32_t first = kNone;
    std::uint32_t* link = &first;
    for (std::size_t i = 0; i < needed; ++i) {
      const std::uint32_t chunk = take_chunk();
      const std::size_t offset = i * kChunkPayload;
      const std::size_t part = std::min(session.data.size() - offset, kChunkPayload);
      std::memcpy(chunks()[chunk - 1].data, session.data.data() + offset, part);
      chunks()[chunk - 1].next = kNone;
      *link = chunk;
      link = &chunks()[chunk - 1].next;
    }
    const std::uint32_t index = take_entry();
    Entry& entry = entries()[index - 1];
    entry.hash = hash;
    entry.version = session.version;
    entry.store_cas = session.store_cas;
    std::copy(session.replica_cas.begin(), session.replica_cas.end(), entry.replica_cas);
    entry.expires_at = session.expires_at;
    entry.remote_touched_at = session.remote_touched_at;
    entry.sealed_with = session.sealed_with;
    entry.last_used = ++h->tick;
    entry.data_length = static_cast<std::uint32_t>(session.data.size());
    entry.first_chunk = first;
    entry.key_length = static_cast<std::uint32_t>(key.size());
    entry.flags = (session.unsynced ? kFlagUnsynced : 0) | (session.forward ? kFlagForward : 0) |
                  (session.deleted ? kFlagDeleted : 0) |
                  (session.remote_gone ? kFlagRemoteGone : 0) |
                  (session.untrusted ? kFlagUntrusted : 0) | (session.recheck ? kFlagRecheck : 0);
    std::memcpy(entry.store, store, sizeof store);
    std::memcpy(entry.key, key.data(), key.size());
    entry.checksum = sum;
    entry.state = kEntryLive;
    std::uint32_t& bucket = buckets()[hash & (h->bucket_count - 1)];
    entry.hash_next = bucket;
    bucket = index;
    ++h->live_entries;
    return true;
  });
}

bool SessionCache::refresh(std::string_view key, std::int64_t expires_at,
                           std::int64_t remote_touched_at,
                           std::optional<std::uint64_t> synced_version, std::uint64_t store_cas,
                           const CachedReplicaTokens* replica_cas) {
  const std::uint64_t hash = key_hash(key);
  return locked([&]() -> bool {
    const std::uint32_t index = find(key, hash, nullptr);
    if (index == kNone) return false;
    Entry& entry = entries()[index - 1];
    entry.expires_at = expires_at;
    entry.remote_touched_at = remote_touched_at;
    entry.last_used = ++header()->tick;
    if (synced_version && entry.version == *synced_version) {
      // Stored: memcached holds this version (no recheck needed). Untrusted stays:
      // a write proves nothing about notices this node may have missed.
      entry.flags &= ~(kFlagUnsynced | kFlagRemoteGone | kFlagRecheck);
      if (store_cas != 0) entry.store_cas = store_cas;
      if (replica_cas != nullptr) {
        std::copy(replica_cas->begin(), replica_cas->end(), entry.replica_cas);
      }
    }
    return true;
  });
}

void SessionCache::remove(std::string_view key) {
  const std::uint64_t hash = key_hash(key);
  locked([&] {
    std::uint32_t previous = kNone;
    if (const std::uint32_t index = find(key, hash, &previous); index != kNone) {
      unlink_and_free(index, previous);
    }
  });
}

template <class Visit>
void SessionCache::for_each_live_entry(Visit visit) {
  // Runs inside a request (gc, a takeover check): the used part of the table is
  // walked in slices with the lock released in between, so other processes never
  // wait for all of it. `visit(index, entry)` returns false to stop.
  constexpr std::uint32_t kSlice = 1024;
  bool more = true;
  for (std::uint32_t first = 0; more && first < header()->entries_touched; first += kSlice) {
    locked([&] {
      const std::uint32_t last = std::min(first + kSlice, header()->entries_touched);
      for (std::uint32_t i = first; more && i < last; ++i) {
        if (entries()[i].state == kEntryLive) more = visit(i, entries()[i]);
      }
      return 0;
    });
  }
}

template <class Doomed>
std::size_t SessionCache::remove_where(Doomed doomed) {
  std::size_t removed = 0;
  for_each_live_entry([&](std::uint32_t i, const Entry& entry) {
    if (!doomed(entry)) return true;
    std::uint32_t previous = kNone;
    const std::uint32_t found =
        find(std::string_view(entry.key, entry.key_length), entry.hash, &previous);
    if (found == i + 1) {
      unlink_and_free(found, previous);
      ++removed;
    }
    return true;
  });
  return removed;
}

std::size_t SessionCache::sweep(std::int64_t now) {
  return remove_where([now](const Entry& entry) {
    return entry.expires_at <= now && (entry.flags & kFlagUnsynced) == 0;
  });
}

std::size_t SessionCache::distrust_synced() {
  std::size_t dropped = remove_where([](const Entry& entry) {
    return (entry.flags & (kFlagUnsynced | kFlagForward)) == kFlagForward;
  });
  for_each_live_entry([&](std::uint32_t, Entry& entry) {
    if ((entry.flags & (kFlagUnsynced | kFlagForward | kFlagDeleted)) == 0) {
      entry.flags |= kFlagUntrusted;  // flags are outside the checksum
      ++dropped;
    }
    return true;
  });
  return dropped;
}

std::size_t SessionCache::recheck_on(std::string_view store) {
  std::size_t marked = 0;
  for_each_live_entry([&](std::uint32_t, Entry& entry) {
    if ((entry.flags & (kFlagUnsynced | kFlagForward | kFlagDeleted)) == 0 &&
        store_of(entry) == store) {
      entry.flags |= kFlagRecheck;
      ++marked;
    }
    return true;
  });
  return marked;
}

std::vector<std::pair<std::string, CachedSession>> SessionCache::entries_to_compare(
    std::size_t limit, const std::function<bool(std::string_view store)>& wanted) {
  std::vector<std::pair<std::string, CachedSession>> found;
  if (limit == 0) return found;
  for_each_live_entry([&](std::uint32_t, const Entry& entry) {
    if ((entry.flags & kFlagsToCompare) == 0 || (entry.flags & kFlagUnsynced) != 0 ||
        !wanted(store_of(entry))) {
      return true;
    }
    found.emplace_back(std::string(entry.key, entry.key_length), metadata_of(entry));
    return found.size() < limit;
  });
  return found;
}

void SessionCache::settle(std::string_view key, std::uint64_t version, CopyInMemcached found) {
  const std::uint64_t hash = key_hash(key);
  locked([&] {
    std::uint32_t previous = kNone;
    const std::uint32_t index = find(key, hash, &previous);
    if (index == kNone) return;
    Entry& entry = entries()[index - 1];
    if (entry.version != version || (entry.flags & (kFlagForward | kFlagDeleted)) != 0) return;
    switch (found) {
      case CopyInMemcached::kHeld:
        entry.flags &= ~kFlagsToCompare;
        break;
      case CopyInMemcached::kLost:
        // The token stays: a write conditional on it meets NOT_FOUND and stores
        // the copy only where nothing was written since (an add).
        entry.flags = (entry.flags & ~kFlagsToCompare) | kFlagUnsynced | kFlagRemoteGone;
        break;
      case CopyInMemcached::kOlder:
        entry.flags = (entry.flags & ~kFlagsToCompare) | kFlagUnsynced;
        break;
      case CopyInMemcached::kReplaced:
        unlink_and_free(index, previous);
        break;
    }
  });
}

std::size_t SessionCache::remove_hashed(std::span<const std::uint64_t> hashes) {
  // A takeover check may name thousands of keys: a slice of them per hold of the
  // lock, so other processes wait for one slice at most.
  constexpr std::size_t kSlice = 256;
  std::size_t removed = 0;
  for (std::size_t first = 0; first < hashes.size(); first += kSlice) {
    const auto slice = hashes.subspan(first, std::min(kSlice, hashes.size() - first));
    removed += locked([&]() -> std::size_t {
      Header* h = header();
      std::size_t removed_here = 0;
      for (const std::uint64_t hash : slice) {
        std::uint32_t prior = kNone;
        std::uint32_t current = buckets()[hash & (h->bucket_count - 1)];
        for (std::uint32_t steps = 0; current != kNone && steps <= h->entry_count; ++steps) {
          const std::uint32_t next = entries()[current - 1].hash_next;
          if (entries()[current - 1].hash == hash) {
            unlink_and_free(current, prior);
            ++removed_here;
          } else {
            prior = current;
          }
          current = next;
        }
      }
      return removed_here;
    });
  }
  return removed;
}

std::uint64_t SessionCache::hash_of(std::string_view key) { return key_hash(key); }

std::vector<std::pair<std::string, CachedSession>> SessionCache::unsynced_entries(
    std::size_t limit, const std::function<bool(std::string_view store)>& wanted) {
  std::vector<std::pair<std::string, CachedSession>> found;
  if (limit == 0) return found;
  for_each_live_entry([&](std::uint32_t, const Entry& entry) {
    if ((entry.flags & kFlagUnsynced) == 0 || !wanted(store_of(entry))) return true;
    CachedSession session = metadata_of(entry);
    read_data(entry, session.data);
    found.emplace_back(std::string(entry.key, entry.key_length), std::move(session));
    return found.size() < limit;
  });
  return found;
}

std::size_t SessionCache::mark_unsynced_on(std::string_view store) {
  std::size_t marked = 0;
  for_each_live_entry([&](std::uint32_t, Entry& entry) {
    if ((entry.flags & kFlagUnsynced) == 0 && store_of(entry) == store) {
      entry.flags |= kFlagUnsynced | kFlagRemoteGone;  // flags are outside the checksum
      entry.store_cas = 0;  // the copy it named is gone with the old process
      ++marked;
    }
    return true;
  });
  return marked;
}

CacheStats SessionCache::stats() {
  return locked([&] {
    const Header* h = header();
    CacheStats stats;
    stats.capacity_bytes = static_cast<std::uint64_t>(h->chunk_count) * kChunkPayload;
    stats.used_bytes = static_cast<std::uint64_t>(h->chunk_count - h->free_chunks) * kChunkPayload;
    stats.entries = h->live_entries;
    stats.max_entries = h->entry_count;
    stats.evictions = h->evictions;
    stats.repairs = h->repairs;
    return stats;
  });
}

void SessionCache::repair_after_crash() {
  locked([this] { repair(); });
}

void SessionCache::repair() {
  // Rebuilds every index and free list from the entries alone, keeping exactly
  // those whose chunk chain is sound and whose checksum matches.
  Header* h = header();
  // Only the touched part: past it nothing was ever written (and the frontiers
  // themselves are kept in bounds, whatever a dying process left).
  h->entries_touched = std::min(h->entries_touched, h->entry_count);
  h->chunks_touched = std::min(h->chunks_touched, h->chunk_count);
  std::vector<bool> chunk_used(h->chunks_touched, false);
  std::memset(buckets(), 0, h->bucket_count * sizeof(std::uint32_t));
  h->live_entries = 0;
  h->free_entry_head = kNone;
  for (std::uint32_t i = h->entries_touched; i-- > 0;) {
    Entry& entry = entries()[i];
    bool keep = entry.state == kEntryLive && entry.key_length <= kMaxCacheKey;
    std::vector<std::uint32_t> chain;
    if (keep) {
      const std::size_t expected = (entry.data_length + kChunkPayload - 1) / kChunkPayload;
      std::uint32_t current = entry.first_chunk;
      while (keep && chain.size() < expected) {
        keep = current != kNone && current <= h->chunks_touched && !chunk_used[current - 1];
        if (keep) {
          chain.push_back(current);
          chunk_used[current - 1] = true;
          current = chunks()[current - 1].next;
        }
      }
      keep = keep && current == kNone && checksum(entry) == entry.checksum;
      if (!keep) {
        for (std::uint32_t c : chain) chunk_used[c - 1] = false;
      }
    }
    if (keep) {
      std::uint32_t& bucket = buckets()[entry.hash & (h->bucket_count - 1)];
      entry.hash_next = bucket;
      bucket = i + 1;
      ++h->live_entries;
    } else {
      entry.state = kEntryFree;
      entry.first_chunk = kNone;
      entry.hash_next = h->free_entry_head;
      h->free_entry_head = i + 1;
    }
  }
  h->free_chunk_head = kNone;
  h->free_chunks = h->chunk_count - h->chunks_touched;
  for (std::uint32_t i = h->chunks_touched; i-- > 0;) {
    if (chunk_used[i]) continue;
    chunks()[i].next = h->free_chunk_head;
    h->free_chunk_head = i + 1;
    ++h->free_chunks;
  }
  ++h->repairs;
}

bool SessionCache::check_consistency(std::string* problem) {
  return locked([&]() -> bool {
    Header* h = header();
    std::uint32_t linked = 0;
    std::uint64_t chunks_in_use = 0;
    for (std::uint32_t b = 0; b < h->bucket_count; ++b) {
      std::uint32_t current = buckets()[b];
      for (std::uint32_t steps = 0; current != kNone; ++steps) {
        if (steps > h->entry_count || current > h->entry_count) {
          *problem = "bucket chain loops or leaves the entry table";
          return false;
        }
        const Entry& entry = entries()[current - 1];
        if (entry.state != kEntryLive || checksum(entry) != entry.checksum) {
          *problem = "linked entry is not live or fails its checksum";
          return false;
        }
        chunks_in_use += (entry.data_length + kChunkPayload - 1) / kChunkPayload;
        ++linked;
        current = entry.hash_next;
      }
    }
    if (linked != h->live_entries) {
      *problem = "live entry count differs from the index";
      return false;
    }
    if (chunks_in_use + h->free_chunks != h->chunk_count) {
      *problem = "chunks are leaked or double-counted";
      return false;
    }
    return true;
  });
}

}  // namespace clustered
