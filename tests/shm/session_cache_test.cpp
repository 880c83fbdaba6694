// SPDX-License-Identifier: BSD-3-Clause
#include "shm/session_cache.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "shm/shm_test_util.h"
#include "support/session_data.h"

namespace clustered {
namespace {

using clustered::testing::make_data;
using clustered::testing::SharedMapping;
using clustered::testing::wait_for;
using namespace std::string_literals;

constexpr std::int64_t kNow = 1700000000;

bool intact(const CachedSession& session) {
  return session.data == make_data(session.version, session.data.size());
}

CachedSession session_of(std::uint64_t version, std::size_t size, std::int64_t expires_at,
                         bool unsynced = false, std::string store = "n1") {
  CachedSession session;
  session.data = make_data(version, size);
  session.version = version;
  session.expires_at = expires_at;
  session.remote_touched_at = kNow;
  session.unsynced = unsynced;
  session.store = std::move(store);
  return session;
}

class SessionCacheTest : public ::testing::Test {
 protected:
  explicit SessionCacheTest(std::size_t capacity = 1 << 20)
      : mapping_(SessionCache::bytes_needed(capacity)),
        cache_(SessionCache::create(mapping_.get(), mapping_.size())) {}

  void expect_consistent() {
    std::string problem;
    EXPECT_TRUE(cache_->check_consistency(&problem)) << problem;
  }

  SharedMapping mapping_;
  SessionCache* cache_;
};

TEST_F(SessionCacheTest, PutThenGetReturnsEveryField) {
  ASSERT_NE(cache_, nullptr);
  CachedSession session = session_of(17, 3000, kNow + 100, true, "store16charsxxx");
  session.remote_touched_at = kNow - 5;
  ASSERT_TRUE(cache_->put("sess.a", session, kNow));
  const auto got = cache_->get("sess.a", kNow);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->data, session.data);
  EXPECT_EQ(got->version, 17u);
  EXPECT_EQ(got->expires_at, kNow + 100);
  EXPECT_EQ(got->remote_touched_at, kNow - 5);
  EXPECT_TRUE(got->unsynced);
  EXPECT_EQ(got->store, "store16charsxxx");
  expect_consistent();
}

TEST_F(SessionCacheTest, MissingKey) {
  EXPECT_FALSE(cache_->get("sess.none", kNow).has_value());
  ASSERT_TRUE(cache_->put("sess.a", session_of(1, 10, kNow + 100), kNow));
  EXPECT_FALSE(cache_->get("sess.b", kNow).has_value());
  EXPECT_FALSE(cache_->get("sess.", kNow).has_value());
  EXPECT_FALSE(cache_->get("sess.aa", kNow).has_value());
}

TEST_F(SessionCacheTest, DataSizesAroundChunkBoundaries) {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, kChunkPayload - 1, kChunkPayload,
                           kChunkPayload + 1, 2 * kChunkPayload, std::size_t{100000}}) {
    SCOPED_TRACE(size);
    const std::string key = "sess.size" + std::to_string(size);
    ASSERT_TRUE(cache_->put(key, session_of(size + 1, size, kNow + 100), kNow));
    const auto got = cache_->get(key, kNow);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->data.size(), size);
    EXPECT_TRUE(intact(*got));
  }
  expect_consistent();
}

TEST_F(SessionCacheTest, BinaryDataAndBinaryKeys) {
  CachedSession session = session_of(1, 0, kNow + 100);
  session.data = "a\0b\xff\r\n"s;
  const std::string key = "sess.\0\x01\xff"s;
  ASSERT_TRUE(cache_->put(key, session, kNow));
  const auto got = cache_->get(key, kNow);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->data, session.data);
  EXPECT_FALSE(cache_->get("sess.", kNow).has_value());  // NUL is part of the key
}

TEST_F(SessionCacheTest, ReplaceKeepsOneEntry) {
  ASSERT_TRUE(cache_->put("sess.a", session_of(1, 5000, kNow + 100), kNow));
  const CacheStats before = cache_->stats();
  ASSERT_TRUE(cache_->put("sess.a", session_of(2, 100, kNow + 100), kNow));
  const auto got = cache_->get("sess.a", kNow);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->version, 2u);
  EXPECT_TRUE(intact(*got));
  const CacheStats after = cache_->stats();
  EXPECT_EQ(after.entries, 1u);
  EXPECT_LT(after.used_bytes, before.used_bytes);  // the old chunks were freed
  expect_consistent();
}

TEST_F(SessionCacheTest, Remove) {
  ASSERT_TRUE(cache_->put("sess.a", session_of(1, 3000, kNow + 100), kNow));
  ASSERT_TRUE(cache_->put("sess.b", session_of(2, 3000, kNow + 100), kNow));
  cache_->remove("sess.a");
  EXPECT_FALSE(cache_->get("sess.a", kNow).has_value());
  EXPECT_TRUE(cache_->get("sess.b", kNow).has_value());
  cache_->remove("sess.a");     // twice is fine
  cache_->remove("sess.none");  // missing is fine
  EXPECT_EQ(cache_->stats().entries, 1u);
  cache_->remove("sess.b");
  EXPECT_EQ(cache_->stats().entries, 0u);
  EXPECT_EQ(cache_->stats().used_bytes, 0u);
  expect_consistent();
}

// Takeover notices name keys by this hash across nodes and builds: it must be
// FNV-1a 64 exactly (published test vectors).
TEST(SessionCacheHash, IsFnv1a64) {
  EXPECT_EQ(SessionCache::hash_of(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(SessionCache::hash_of("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(SessionCache::hash_of("foobar"), 0x85944171f73967e8ULL);
  // Longer than the unrolled loop's 8 bytes, and not a multiple of them: the same
  // as the byte-at-a-time definition.
  const std::string key = "PHPSESSID0123456789abcdef0123456789abcdef-n1.web1";
  std::uint64_t expected = 0xcbf29ce484222325ULL;
  for (const char c : key) expected = (expected ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  EXPECT_EQ(SessionCache::hash_of(key), expected);
}

// Room for thousands of small sessions, so none is evicted while the test fills it.
class RoomySessionCacheTest : public SessionCacheTest {
 protected:
  RoomySessionCacheTest() : SessionCacheTest(16 << 20) {}
};

TEST_F(RoomySessionCacheTest, RemoveHashedDropsThatKeyOnly) {
  for (int i = 0; i < 500; ++i) {  // enough for bucket chains
    ASSERT_TRUE(cache_->put("sess." + std::to_string(i), session_of(i + 1, 10, kNow + 100), kNow));
  }
  ASSERT_EQ(cache_->stats().entries, 500u);
  const std::uint64_t one[] = {SessionCache::hash_of("sess.123")};
  EXPECT_EQ(cache_->remove_hashed(one), 1u);
  EXPECT_EQ(cache_->remove_hashed(one), 0u);
  const std::uint64_t none[] = {SessionCache::hash_of("sess.none")};
  EXPECT_EQ(cache_->remove_hashed(none), 0u);
  EXPECT_FALSE(cache_->get("sess.123", kNow).has_value());
  for (int i = 0; i < 500; ++i) {
    if (i != 123) EXPECT_TRUE(cache_->get("sess." + std::to_string(i), kNow).has_value()) << i;
  }
  EXPECT_EQ(cache_->stats().entries, 499u);
  // Many at once, more than one slice of the lock: every third key, and unknown ones.
  std::vector<std::uint64_t> many;
  for (int i = 0; i < 500; i += 3) {
    many.push_back(SessionCache::hash_of("sess." + std::to_string(i)));
    many.push_back(SessionCache::hash_of("gone." + std::to_string(i)));
  }
  EXPECT_EQ(cache_->remove_hashed(many), 166u);  // 167 multiples of 3 below 500, minus 123
  EXPECT_EQ(cache_->stats().entries, 333u);
  EXPECT_FALSE(cache_->get("sess.3", kNow).has_value());
  EXPECT_TRUE(cache_->get("sess.4", kNow).has_value());
  expect_consistent();
}

TEST_F(RoomySessionCacheTest, DistrustSyncedKeepsEverySessionAndDropsSyncedForwards) {
  for (int i = 0; i < 2000; ++i) {  // more than one slice of the walk
    const bool unsynced = i % 100 == 0;
    ASSERT_TRUE(cache_->put("sess." + std::to_string(i),
                            session_of(i + 1, 10, kNow + 100, unsynced), kNow));
  }
  CachedSession forward = session_of(1, 0, kNow + 100, false);
  forward.forward = true;
  forward.data = "new-id";
  ASSERT_TRUE(cache_->put("moved", forward, kNow));
  EXPECT_EQ(cache_->distrust_synced(), 1981u);  // 1980 marked, 1 forward dropped
  EXPECT_EQ(cache_->stats().entries, 2000u) << "an owner never drops a copy memcached may lack";
  EXPECT_FALSE(cache_->get("moved", kNow).has_value());
  EXPECT_FALSE(cache_->get("sess.0", kNow)->untrusted) << "unsynced: the only copy, not compared";
  EXPECT_TRUE(cache_->get("sess.1", kNow)->untrusted);
  const auto wanted = [](std::string_view) { return true; };
  EXPECT_EQ(cache_->entries_to_compare(5000, wanted).size(), 1980u);
  EXPECT_EQ(cache_->entries_to_compare(64, wanted).size(), 64u);
  expect_consistent();
}

TEST_F(SessionCacheTest, SettleRecordsWhatMemcachedHolds) {
  for (const char* key : {"held", "lost", "replaced", "rewritten"}) {
    ASSERT_TRUE(cache_->put(key, session_of(7, 100, kNow + 100, false), kNow));
  }
  CachedSession forward = session_of(1, 0, kNow + 100, false);
  forward.forward = true;
  ASSERT_TRUE(cache_->put("forward", forward, kNow));
  EXPECT_EQ(cache_->recheck_on("n1"), 4u) << "sessions only, never forwards";
  // A write since the check read memcached: the newer entry is left alone.
  ASSERT_TRUE(cache_->put("rewritten", session_of(8, 100, kNow + 100, false), kNow));
  cache_->settle("held", 7, CopyInMemcached::kHeld);
  cache_->settle("lost", 7, CopyInMemcached::kLost);
  cache_->settle("replaced", 7, CopyInMemcached::kReplaced);
  cache_->settle("rewritten", 7, CopyInMemcached::kReplaced);
  const auto held = cache_->get("held", kNow);
  ASSERT_TRUE(held.has_value());
  EXPECT_FALSE(held->recheck || held->unsynced);
  const auto lost = cache_->get("lost", kNow);
  ASSERT_TRUE(lost.has_value()) << "memcached lost it: this is the only copy";
  EXPECT_TRUE(lost->unsynced && lost->remote_gone);
  EXPECT_FALSE(lost->recheck);
  EXPECT_FALSE(cache_->get("replaced", kNow).has_value());
  ASSERT_TRUE(cache_->get("rewritten", kNow).has_value());
  EXPECT_EQ(cache_->get("rewritten", kNow)->version, 8u);
  EXPECT_TRUE(cache_->entries_to_compare(10, [](std::string_view) { return true; }).empty());
  expect_consistent();
}

TEST_F(SessionCacheTest, RefreshUpdatesMetadataOnly) {
  ASSERT_TRUE(cache_->put("sess.a", session_of(5, 2000, kNow + 100, true), kNow));
  EXPECT_TRUE(cache_->refresh("sess.a", kNow + 500, kNow + 7));
  auto got = cache_->get("sess.a", kNow);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->expires_at, kNow + 500);
  EXPECT_EQ(got->remote_touched_at, kNow + 7);
  EXPECT_TRUE(got->unsynced);  // no synced version given
  EXPECT_TRUE(intact(*got));

  // Another version was synced (the entry changed since): still unsynced.
  EXPECT_TRUE(cache_->refresh("sess.a", kNow + 500, kNow + 7, 4));
  EXPECT_TRUE(cache_->get("sess.a", kNow)->unsynced);
  // This version was synced: the flag clears.
  EXPECT_TRUE(cache_->refresh("sess.a", kNow + 500, kNow + 7, 5));
  EXPECT_FALSE(cache_->get("sess.a", kNow)->unsynced);

  EXPECT_FALSE(cache_->refresh("sess.none", kNow + 500, kNow));
  expect_consistent();
}

TEST_F(SessionCacheTest, ExpiredEntriesAreNotServed) {
  ASSERT_TRUE(cache_->put("sess.a", session_of(1, 100, kNow + 10), kNow));
  EXPECT_TRUE(cache_->get("sess.a", kNow + 9).has_value());
  EXPECT_FALSE(cache_->get("sess.a", kNow + 10).has_value());
  EXPECT_EQ(cache_->stats().entries, 0u);  // dropped on the way
  EXPECT_FALSE(cache_->get("sess.a", kNow).has_value());
  // Refreshing extends the life.
  ASSERT_TRUE(cache_->put("sess.b", session_of(1, 100, kNow + 10), kNow));
  ASSERT_TRUE(cache_->refresh("sess.b", kNow + 60, kNow));
  EXPECT_TRUE(cache_->get("sess.b", kNow + 30).has_value());
  expect_consistent();
}

TEST_F(SessionCacheTest, UnsyncedEntriesOutliveExpiry) {
  // The only copy of a write memcached did not take: it is kept for the retry.
  ASSERT_TRUE(cache_->put("sess.u", session_of(1, 100, kNow + 10, true), kNow));
  EXPECT_TRUE(cache_->get("sess.u", kNow + 1000).has_value());
  EXPECT_EQ(cache_->sweep(kNow + 1000), 0u);
  EXPECT_TRUE(cache_->get("sess.u", kNow + 1000).has_value());
}

TEST_F(SessionCacheTest, SweepDropsExpiredSyncedEntries) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(cache_->put("sess.e" + std::to_string(i), session_of(i, 1500, kNow + i), kNow));
  }
  ASSERT_TRUE(cache_->put("sess.u", session_of(99, 1500, kNow, true), kNow));
  EXPECT_EQ(cache_->sweep(kNow + 5), 6u);  // expires_at <= now: e0..e5
  EXPECT_EQ(cache_->stats().entries, 5u);
  EXPECT_FALSE(cache_->get("sess.e5", kNow).has_value());
  EXPECT_TRUE(cache_->get("sess.e6", kNow).has_value());
  EXPECT_TRUE(cache_->get("sess.u", kNow).has_value());
  EXPECT_EQ(cache_->sweep(kNow + 5), 0u);
  EXPECT_EQ(cache_->sweep(kNow + 100), 4u);
  expect_consistent();
}

TEST_F(SessionCacheTest, KeyAndStoreLimits) {
  const CachedSession session = session_of(1, 10, kNow + 100);
  EXPECT_TRUE(cache_->put(std::string(kMaxCacheKey, 'k'), session, kNow));
  EXPECT_TRUE(cache_->get(std::string(kMaxCacheKey, 'k'), kNow).has_value());
  EXPECT_FALSE(cache_->put(std::string(kMaxCacheKey + 1, 'k'), session, kNow));
  EXPECT_FALSE(cache_->get(std::string(kMaxCacheKey + 1, 'k'), kNow).has_value());
  EXPECT_TRUE(
      cache_->put("sess.s", session_of(1, 10, kNow + 100, false, std::string(23, 's')), kNow));
  EXPECT_EQ(cache_->get("sess.s", kNow)->store, std::string(23, 's'));
  EXPECT_FALSE(
      cache_->put("sess.t", session_of(1, 10, kNow + 100, false, std::string(24, 's')), kNow));
  expect_consistent();
}

TEST_F(SessionCacheTest, Stats) {
  const CacheStats empty = cache_->stats();
  EXPECT_GT(empty.capacity_bytes, 900u * 1024);
  EXPECT_LE(empty.capacity_bytes, 1u << 20);
  EXPECT_EQ(empty.used_bytes, 0u);
  EXPECT_EQ(empty.entries, 0u);
  EXPECT_GT(empty.max_entries, 0u);
  EXPECT_EQ(empty.evictions, 0u);
  EXPECT_EQ(empty.repairs, 0u);
  ASSERT_TRUE(cache_->put("sess.a", session_of(1, 3 * kChunkPayload, kNow + 100), kNow));
  ASSERT_TRUE(cache_->put("sess.b", session_of(1, 1, kNow + 100), kNow));
  const CacheStats two = cache_->stats();
  EXPECT_EQ(two.entries, 2u);
  EXPECT_EQ(two.used_bytes, 4 * kChunkPayload);
}

// repair_after_crash() (used by tests/fuzz/fuzz_session_cache.cpp) runs the repair a
// locker runs after EOWNERDEAD: an intact cache keeps every session.
TEST_F(SessionCacheTest, RepairAfterCrashKeepsAnIntactCache) {
  ASSERT_TRUE(cache_->put("sess.a", session_of(1, 3 * kChunkPayload, kNow + 100), kNow));
  ASSERT_TRUE(cache_->put("sess.b", session_of(2, 0, kNow + 100, true), kNow));
  cache_->repair_after_crash();
  expect_consistent();
  EXPECT_EQ(cache_->stats().repairs, 1u);
  EXPECT_EQ(cache_->stats().entries, 2u);
  const auto a = cache_->get("sess.a", kNow);
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(intact(*a));
  const auto b = cache_->get("sess.b", kNow);
  ASSERT_TRUE(b.has_value());
  EXPECT_TRUE(b->unsynced);
}

// Everything past header_bytes() scribbled over: repair drops what no longer
// checks out, and the cache works again.
TEST_F(SessionCacheTest, RepairAfterCrashDropsScribbledEntries) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(cache_->put("sess." + std::to_string(i), session_of(i, 100 * i, kNow + 100), kNow));
  }
  auto* bytes = static_cast<unsigned char*>(mapping_.get());
  for (std::size_t at = SessionCache::header_bytes(); at < mapping_.size(); at += 7) {
    bytes[at] ^= 0x5a;
  }
  cache_->repair_after_crash();
  expect_consistent();
  for (int i = 0; i < 20; ++i) {
    if (const auto got = cache_->get("sess." + std::to_string(i), kNow)) EXPECT_TRUE(intact(*got));
  }
  ASSERT_TRUE(cache_->put("sess.new", session_of(99, 5000, kNow + 100), kNow));
  const auto got = cache_->get("sess.new", kNow);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(intact(*got));
  expect_consistent();
}

class SmallSessionCacheTest : public SessionCacheTest {
 protected:
  SmallSessionCacheTest() : SessionCacheTest(256 * 1024) {}
};

TEST_F(SmallSessionCacheTest, EvictionUnderPressureKeepsTheCacheBoundedAndSound) {
  const CacheStats empty = cache_->stats();
  for (int i = 0; i < 1000; ++i) {
    // One hot session, read before every put: sampled LRU must keep it.
    if (i > 0) ASSERT_TRUE(cache_->get("sess.hot", kNow).has_value()) << "hot evicted at " << i;
    if (i == 0) ASSERT_TRUE(cache_->put("sess.hot", session_of(7, 4096, kNow + 3600), kNow));
    ASSERT_TRUE(cache_->put("sess.k" + std::to_string(i), session_of(i, 4096, kNow + 3600), kNow))
        << i;
    const CacheStats now = cache_->stats();
    ASSERT_LE(now.entries, now.max_entries);
    ASSERT_LE(now.used_bytes, empty.capacity_bytes);
  }
  const CacheStats full = cache_->stats();
  EXPECT_GT(full.evictions, 900u);
  EXPECT_EQ(full.entries + full.evictions, 1001u);
  const auto last = cache_->get("sess.k999", kNow);
  ASSERT_TRUE(last.has_value());
  EXPECT_TRUE(intact(*last));
  EXPECT_TRUE(intact(*cache_->get("sess.hot", kNow)));
  EXPECT_FALSE(cache_->get("sess.k0", kNow).has_value());
  expect_consistent();
}

TEST_F(SmallSessionCacheTest, ExpiredEntriesAreEvictedFirst) {
  // Small sessions, so entries (not chunks) run out: half the table, of which
  // every other session expires soon.
  const auto max_entries = static_cast<int>(cache_->stats().max_entries);
  ASSERT_GE(max_entries, 16);
  const int old_count = max_entries / 2;
  for (int i = 0; i < old_count; ++i) {
    const std::int64_t expires = i % 2 == 0 ? kNow + 1 : kNow + 3600;
    ASSERT_TRUE(cache_->put("sess.old" + std::to_string(i), session_of(i, 100, expires), kNow));
  }
  // Later, new sessions fill the rest and then need room: the expired ones go,
  // although the long-lived old ones are less recently used than any new one.
  const std::int64_t later = kNow + 10;
  const int new_count = max_entries - old_count + old_count / 2 - 1;
  for (int i = 0; i < new_count; ++i) {
    ASSERT_TRUE(
        cache_->put("sess.new" + std::to_string(i), session_of(i, 100, later + 3600), later));
  }
  EXPECT_EQ(cache_->stats().evictions, static_cast<std::uint64_t>(old_count / 2 - 1));
  for (int i = 1; i < old_count; i += 2) {
    EXPECT_TRUE(cache_->get("sess.old" + std::to_string(i), later).has_value()) << i;
  }
  for (int i = 0; i < new_count; ++i) {
    EXPECT_TRUE(cache_->get("sess.new" + std::to_string(i), later).has_value()) << i;
  }
  expect_consistent();
}

TEST_F(SmallSessionCacheTest, SessionOverHalfTheCacheBypassesIt) {
  const CacheStats stats = cache_->stats();
  ASSERT_TRUE(cache_->put("sess.a", session_of(1, 1000, kNow + 100), kNow));
  ASSERT_TRUE(cache_->put("sess.big", session_of(1, 1000, kNow + 100), kNow));
  const std::size_t too_big = stats.capacity_bytes / 2 + kChunkPayload;
  EXPECT_FALSE(cache_->put("sess.big", session_of(2, too_big, kNow + 100), kNow));
  // The older copy of that session must not stay behind to be served.
  EXPECT_FALSE(cache_->get("sess.big", kNow).has_value());
  // Nothing else was flushed for it.
  EXPECT_TRUE(cache_->get("sess.a", kNow).has_value());
  EXPECT_EQ(cache_->stats().evictions, 0u);
  EXPECT_TRUE(cache_->put(
      "sess.half", session_of(3, stats.capacity_bytes / 2 - kChunkPayload, kNow + 100), kNow));
  expect_consistent();
}

TEST_F(SmallSessionCacheTest, UnsyncedEntriesAreNeverEvicted) {
  std::vector<std::string> unsynced;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "sess.u" + std::to_string(i);
    if (!cache_->put(key, session_of(i, 4096, kNow + 3600, true), kNow)) break;
    unsynced.push_back(key);
  }
  ASSERT_GT(unsynced.size(), 5u);
  ASSERT_LT(unsynced.size(), 1000u) << "a small cache took 1000 sessions of 4 KB";
  // Full of unsynced data: a synced session cannot push any of it out.
  EXPECT_FALSE(cache_->put("sess.synced", session_of(1, 4096, kNow + 3600), kNow));
  for (const std::string& key : unsynced) {
    const auto got = cache_->get(key, kNow);
    ASSERT_TRUE(got.has_value()) << key << " was evicted";
    EXPECT_TRUE(got->unsynced);
    EXPECT_TRUE(intact(*got));
  }
  EXPECT_EQ(cache_->stats().evictions, 0u);
  // Once synced, they may go.
  for (int i = 0; i < static_cast<int>(unsynced.size()); ++i) {
    ASSERT_TRUE(cache_->refresh(unsynced[i], kNow + 3600, kNow, static_cast<std::uint64_t>(i)));
  }
  EXPECT_TRUE(cache_->put("sess.synced", session_of(1, 4096, kNow + 3600), kNow));
  expect_consistent();
}

TEST(SessionCacheCreate, BytesNeededHasAFloor) {
  EXPECT_GE(SessionCache::bytes_needed(0), 64u * 1024);
  EXPECT_EQ(SessionCache::bytes_needed(64u << 20), 64u << 20);
}

// Pages of [memory, memory + size) this process has resident (mincore).
std::size_t resident_bytes(void* memory, std::size_t size) {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> residency((size + page - 1) / page);
  if (mincore(memory, size, residency.data()) != 0) return SIZE_MAX;
  std::size_t pages = 0;
  for (const unsigned char flag : residency) pages += flag & 1;
  return pages * page;
}

// Every php command line run (cron, composer) paid for the whole cache at module
// start, because create() linked every chunk and entry into its free lists. Pages
// are touched only when they come into use (docs/design.md, "The shared segment";
// bench/startup.py measures it).
TEST(SessionCacheCreate, LargeCacheTouchesOnlyItsIndexUntilUsed) {
  const std::size_t cache_bytes = SessionCache::bytes_needed(64u << 20);
  SharedMapping mapping(cache_bytes);
  SessionCache* cache = SessionCache::create(mapping.get(), cache_bytes);
  ASSERT_NE(cache, nullptr);
  EXPECT_LT(resident_bytes(mapping.get(), cache_bytes), 256u << 10)
      << "creating a 64 MB cache committed its pages";

  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(cache->put("sess.k" + std::to_string(i), session_of(1, 3000, kNow + 1000), kNow));
  }
  EXPECT_LT(resident_bytes(mapping.get(), cache_bytes), 384u << 10)
      << "ten small sessions committed more than their own pages";
  EXPECT_EQ(cache->stats().capacity_bytes - cache->stats().used_bytes,
            cache->stats().capacity_bytes - 10 * 3 * kChunkPayload);
  std::string problem;
  EXPECT_TRUE(cache->check_consistency(&problem)) << problem;
}

// The untouched tail is used up before anything is evicted, and then the cache
// evicts and reuses freed entries and chunks as before.
TEST(SessionCacheCreate, LazilyUsedCacheFillsCompletelyThenEvicts) {
  const std::size_t cache_bytes = SessionCache::bytes_needed(1 << 20);
  SharedMapping mapping(cache_bytes);
  SessionCache* cache = SessionCache::create(mapping.get(), cache_bytes);
  ASSERT_NE(cache, nullptr);
  const std::uint64_t entries = cache->stats().max_entries;
  for (std::uint64_t i = 0; i < entries; ++i) {
    ASSERT_TRUE(cache->put("sess.k" + std::to_string(i), session_of(1, 1, kNow + 1000), kNow));
  }
  EXPECT_EQ(cache->stats().entries, entries);
  EXPECT_EQ(cache->stats().evictions, 0u) << "evicted while untouched entries were left";
  ASSERT_TRUE(cache->put("sess.one-more", session_of(1, 1, kNow + 1000), kNow));
  EXPECT_EQ(cache->stats().evictions, 1u);
  cache->repair_after_crash();
  EXPECT_EQ(cache->stats().entries, entries);
  std::string problem;
  EXPECT_TRUE(cache->check_consistency(&problem)) << problem;
}

// Regression: create() laid out its index past the end of a small region.
TEST(SessionCacheCreate, TooSmallRegionIsRefusedWithoutWritingPastIt) {
  const long page = sysconf(_SC_PAGESIZE);
  SharedMapping mapping(static_cast<std::size_t>(page) * 3);
  auto* base = static_cast<char*>(mapping.get());
  ASSERT_EQ(mprotect(base + page, static_cast<std::size_t>(page) * 2, PROT_NONE), 0);
  EXPECT_EQ(SessionCache::create(base, static_cast<std::size_t>(page)), nullptr);
  ASSERT_EQ(mprotect(base + page, static_cast<std::size_t>(page) * 2, PROT_READ | PROT_WRITE), 0);
}

// ---------------------------------------------------------------- across processes

struct Shared {
  std::atomic<std::uint64_t> operations{0};
  std::atomic<std::uint64_t> torn{0};
  std::atomic<bool> stop{false};
};

constexpr std::size_t kSharedHeader = 4096;

TEST(SessionCacheProcesses, ConcurrentChildrenShareOneCache) {
  const std::size_t cache_bytes = SessionCache::bytes_needed(2 << 20);
  SharedMapping mapping(kSharedHeader + cache_bytes);
  auto* shared = new (mapping.get()) Shared{};
  SessionCache* cache =
      SessionCache::create(static_cast<char*>(mapping.get()) + kSharedHeader, cache_bytes);
  ASSERT_NE(cache, nullptr);

  constexpr int kChildren = 4;
  constexpr int kOwnKeys = 8;
  constexpr int kRounds = 1500;
  std::vector<pid_t> children;
  for (int c = 0; c < kChildren; ++c) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::mt19937 random(static_cast<unsigned>(c + 1));
      for (int round = 0; round < kRounds; ++round) {
        // Own keys: this child is their only writer.
        const int own = round % kOwnKeys;
        const std::uint64_t version = static_cast<std::uint64_t>(c) << 32 | round;
        const std::string own_key = "child" + std::to_string(c) + ".k" + std::to_string(own);
        if (!cache->put(own_key, session_of(version, 500 + random() % 3000, kNow + 3600), kNow)) {
          _exit(2);
        }
        const auto mine = cache->get(own_key, kNow);
        if (!mine || mine->version != version || !intact(*mine)) _exit(3);
        // Shared keys: everyone writes and reads them.
        const std::string common = "common.k" + std::to_string(random() % 16);
        if (random() % 2 == 0) {
          cache->put(common, session_of(version, random() % 5000, kNow + 3600), kNow);
        } else if (const auto got = cache->get(common, kNow); got && !intact(*got)) {
          shared->torn.fetch_add(1);
        }
        shared->operations.fetch_add(1);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t child : children) EXPECT_EQ(wait_for(child), 0) << "child " << child;

  EXPECT_EQ(shared->operations.load(), static_cast<std::uint64_t>(kChildren * kRounds));
  EXPECT_EQ(shared->torn.load(), 0u);
  std::string problem;
  EXPECT_TRUE(cache->check_consistency(&problem)) << problem;
  // Every child's last write of each own key is what the parent sees.
  for (int c = 0; c < kChildren; ++c) {
    for (int own = 0; own < kOwnKeys; ++own) {
      const int last_round = (kRounds - 1) - ((kRounds - 1 - own) % kOwnKeys);
      const auto got = cache->get("child" + std::to_string(c) + ".k" + std::to_string(own), kNow);
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(got->version, static_cast<std::uint64_t>(c) << 32 | last_round);
      EXPECT_TRUE(intact(*got));
    }
  }
  EXPECT_EQ(cache->stats().repairs, 0u);
}

// Workers that hammer the cache until stopped or killed.
[[noreturn]] void cache_worker(SessionCache* cache, Shared* shared, unsigned seed) {
  std::mt19937 random(seed);
  for (std::uint64_t n = 0; !shared->stop.load(); ++n) {
    const std::string key = "sess.k" + std::to_string(random() % 48);
    const std::uint64_t version = static_cast<std::uint64_t>(getpid()) << 32 | n;
    const unsigned action = random() % 16;
    if (action < 7) {
      const bool unsynced = random() % 16 == 0;
      const std::int64_t expires = random() % 8 == 0 ? kNow - 1 : kNow + 3600;
      cache->put(key, session_of(version, random() % 9000, expires, unsynced), kNow);
    } else if (action < 14) {
      if (const auto got = cache->get(key, kNow); got && !intact(*got)) shared->torn.fetch_add(1);
    } else if (action == 14) {
      cache->refresh(key, kNow + 3600, kNow, version - 1);
    } else {
      if (random() % 8 == 0) {
        cache->sweep(kNow);
      } else {
        cache->remove(key);
      }
    }
    shared->operations.fetch_add(1, std::memory_order_relaxed);
  }
  _exit(0);
}

// A child killed with SIGKILL at any point, even holding the cache's lock, must
// neither wedge nor corrupt the cache: the next locker repairs it.
TEST(SessionCacheProcesses, SurvivesChildrenKilledAtRandomMoments) {
  const std::size_t cache_bytes = SessionCache::bytes_needed(256 * 1024);
  SharedMapping mapping(kSharedHeader + cache_bytes);
  auto* shared = new (mapping.get()) Shared{};
  SessionCache* cache =
      SessionCache::create(static_cast<char*>(mapping.get()) + kSharedHeader, cache_bytes);
  ASSERT_NE(cache, nullptr);

  const unsigned seed = static_cast<unsigned>(std::random_device{}());
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  constexpr int kWorkers = 3;
  constexpr int kKills = 200;
  std::vector<pid_t> workers;
  auto spawn = [&]() -> pid_t {
    const unsigned child_seed = random();
    const pid_t pid = fork();
    if (pid == 0) cache_worker(cache, shared, child_seed);
    return pid;
  };
  for (int i = 0; i < kWorkers; ++i) {
    workers.push_back(spawn());
    ASSERT_GT(workers.back(), 0);
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int kills = 0;
  while (kills < kKills && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 15000));
    const std::size_t victim = random() % workers.size();
    kill(workers[victim], SIGKILL);
    EXPECT_EQ(wait_for(workers[victim]), 128 + SIGKILL);
    ++kills;
    workers[victim] = spawn();
    ASSERT_GT(workers[victim], 0);
  }
  EXPECT_EQ(kills, kKills) << "ran out of time";

  // Not wedged: the surviving workers still make progress.
  const std::uint64_t before = shared->operations.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_GT(shared->operations.load(), before) << "the cache is wedged";

  // Stop cleanly, so the check below runs on the structure as the workers left
  // it, not on a fresh repair.
  shared->stop.store(true);
  for (pid_t worker : workers) EXPECT_EQ(wait_for(worker), 0);

  EXPECT_EQ(shared->torn.load(), 0u) << "a reader saw a torn or freed session";
  const CacheStats stats = cache->stats();
  EXPECT_GT(stats.repairs, 0u) << "no kill landed inside the lock: repair never ran";
  std::string problem;
  EXPECT_TRUE(cache->check_consistency(&problem)) << problem;
  EXPECT_EQ(cache->stats().repairs, stats.repairs);
  for (int k = 0; k < 48; ++k) {
    if (const auto got = cache->get("sess.k" + std::to_string(k), kNow)) {
      EXPECT_TRUE(intact(*got)) << k;
    }
  }
  // Still works.
  ASSERT_TRUE(cache->put("sess.after", session_of(5, 4096, kNow + 3600), kNow));
  const auto after = cache->get("sess.after", kNow);
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(intact(*after));
  EXPECT_TRUE(cache->check_consistency(&problem)) << problem;
  std::printf("kills %d, repairs %llu, operations %llu\n", kills,
              static_cast<unsigned long long>(stats.repairs),
              static_cast<unsigned long long>(shared->operations.load()));
}

}  // namespace
}  // namespace clustered
