// SPDX-License-Identifier: BSD-3-Clause
#include "node/shared_segment.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "shm/shm_test_util.h"

namespace clustered {
namespace {

using clustered::testing::wait_for;
using namespace std::chrono_literals;

constexpr std::int64_t kNow = 1700000000;

CachedSession session_with(const std::string& data) {
  CachedSession session;
  session.data = data;
  session.version = 1;
  session.expires_at = kNow + 3600;
  session.remote_touched_at = kNow;
  session.store = "n1";
  return session;
}

// Unmaps the segment at the end of a test, whatever happens in it.
struct Released {
  SharedSegment* segment;
  ~Released() { SharedSegment::release(segment, false); }
};

TEST(SharedSegment, EverySectionIsUsable) {
  auto created = SharedSegment::create_or_reattach(1 << 20);
  ASSERT_TRUE(created.ok()) << created.error();
  SharedSegment* segment = *created;
  Released release{segment};
  EXPECT_FALSE(segment->reattached());
  EXPECT_GE(segment->mapped_bytes(), SessionCache::bytes_needed(1 << 20) + sizeof(LockTable));

  Counters::add(segment->counters().local_hits, 3);
  EXPECT_EQ(segment->counters().local_hits.load(), 3u);
  EXPECT_EQ(segment->counters().errors.load(), 0u);

  NodeHealthSlot* slot = segment->health().slot_for("127.0.0.1:11211");
  ASSERT_NE(slot, nullptr);
  EXPECT_TRUE(NodeHealthTable::is_up(slot, 0));

  const LockTable::Held held = segment->locks().lock("sess.x", 100ms);
  EXPECT_EQ(held.result, SessionLockResult::kAcquired);
  segment->locks().unlock(held.slot);

  SessionCache* cache = segment->cache();
  ASSERT_NE(cache, nullptr);
  ASSERT_TRUE(cache->put("sess.x", session_with("data"), kNow));
  const auto got = cache->get("sess.x", kNow);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->data, "data");
  EXPECT_GE(cache->stats().capacity_bytes, 900u * 1024);
  std::string problem;
  EXPECT_TRUE(cache->check_consistency(&problem)) << problem;
}

TEST(SharedSegment, CacheSizeZeroMeansNoCache) {
  auto created = SharedSegment::create_or_reattach(0);
  ASSERT_TRUE(created.ok()) << created.error();
  Released release{*created};
  EXPECT_EQ((*created)->cache(), nullptr);
  Counters::add((*created)->counters().touches);
  EXPECT_EQ((*created)->counters().touches.load(), 1u);
  EXPECT_NE((*created)->health().slot_for("h:1"), nullptr);
  const LockTable::Held held = (*created)->locks().lock("sess.y", 100ms);
  EXPECT_EQ(held.result, SessionLockResult::kAcquired);
  (*created)->locks().unlock(held.slot);
}

TEST(SharedSegment, ForkedChildrenShareEverything) {
  auto created = SharedSegment::create_or_reattach(1 << 20);
  ASSERT_TRUE(created.ok()) << created.error();
  SharedSegment* segment = *created;
  Released release{segment};

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Counters::add(segment->counters().remote_writes, 7);
    NodeHealthTable::report_failure(segment->health().slot_for("127.0.0.1:1"), monotonic_ms(),
                                    60000);
    const bool put = segment->cache()->put("sess.child", session_with("from child"), kNow);
    _exit(put ? 0 : 1);
  }
  ASSERT_EQ(wait_for(child), 0);
  EXPECT_EQ(segment->counters().remote_writes.load(), 7u);
  EXPECT_FALSE(NodeHealthTable::is_up(segment->health().slot_for("127.0.0.1:1"), monotonic_ms()));
  const auto got = segment->cache()->get("sess.child", kNow);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->data, "from child");
}

// Apache's graceful restart: MSHUTDOWN keeps the segment, the next MINIT in the
// same process finds it again, with its cache and counters.
TEST(SharedSegment, ReattachesAfterAKeepingRelease) {
  auto first = SharedSegment::create_or_reattach(1 << 20);
  ASSERT_TRUE(first.ok()) << first.error();
  ASSERT_TRUE((*first)->cache()->put("sess.kept", session_with("survives"), kNow));
  Counters::add((*first)->counters().migrations, 2);
  SharedSegment::release(*first, /*keep_for_restart=*/true);

  auto second = SharedSegment::create_or_reattach(1 << 20);
  ASSERT_TRUE(second.ok()) << second.error();
  Released release{*second};
  EXPECT_EQ(*second, *first);
  EXPECT_TRUE((*second)->reattached());
  EXPECT_EQ((*second)->reattach_count(), 1u);
  EXPECT_EQ((*second)->counters().migrations.load(), 2u);
  const auto got = (*second)->cache()->get("sess.kept", kNow);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->data, "survives");
}

// After a reattach and a final release, a later start must not follow a stale
// record to memory that is no longer mapped.
TEST(SharedSegment, FreshSegmentAfterReattachAndFinalRelease) {
  auto first = SharedSegment::create_or_reattach(1 << 20);
  ASSERT_TRUE(first.ok());
  SharedSegment::release(*first, true);
  auto second = SharedSegment::create_or_reattach(1 << 20);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE((*second)->reattached());
  SharedSegment::release(*second, false);  // unmapped for good

  auto third = SharedSegment::create_or_reattach(1 << 20);
  ASSERT_TRUE(third.ok()) << third.error();
  Released release{*third};
  EXPECT_FALSE((*third)->reattached());
  EXPECT_EQ((*third)->counters().migrations.load(), 0u);
  EXPECT_FALSE((*third)->cache()->get("sess.kept", kNow).has_value());
}

TEST(SharedSegment, ChangedCacheSizeGetsANewSegment) {
  auto first = SharedSegment::create_or_reattach(1 << 20);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE((*first)->cache()->put("sess.old", session_with("old"), kNow));
  SharedSegment::release(*first, true);

  auto second = SharedSegment::create_or_reattach(2 << 20);
  ASSERT_TRUE(second.ok()) << second.error();
  Released release{*second};
  EXPECT_FALSE((*second)->reattached());
  ASSERT_NE((*second)->cache(), nullptr);
  EXPECT_FALSE((*second)->cache()->get("sess.old", kNow).has_value());
  EXPECT_GE((*second)->cache()->stats().capacity_bytes, 1900u * 1024);
}

// The version covers the cache: a build whose cache is laid out differently
// (another SessionCache::layout_version()) has another segment version.
TEST(SharedSegment, VersionCoversTheCacheLayout) {
  const std::uint32_t cache_layout = SessionCache::layout_version();
  EXPECT_EQ(SharedSegment::layout_version(), SharedSegment::layout_version(cache_layout));
  EXPECT_NE(SharedSegment::layout_version(cache_layout + 1),
            SharedSegment::layout_version(cache_layout));
  EXPECT_NE(SharedSegment::layout_version(cache_layout ^ 0x80000000u),
            SharedSegment::layout_version(cache_layout));
}

TEST(SharedSegment, MayReattachOnlyTheSameSegmentOfTheSameBuild) {
  const std::uint32_t version = SharedSegment::layout_version();
  auto created = SharedSegment::create_or_reattach(1 << 20);
  ASSERT_TRUE(created.ok()) << created.error();
  Released release{*created};
  const SegmentStamp stamp = *reinterpret_cast<const SegmentStamp*>(*created);
  const std::size_t bytes = (*created)->mapped_bytes();
  EXPECT_TRUE(SharedSegment::may_reattach(stamp, version, 1 << 20, bytes));

  EXPECT_FALSE(SharedSegment::may_reattach(
      stamp, SharedSegment::layout_version(SessionCache::layout_version() + 1), 1 << 20, bytes));
  EXPECT_FALSE(SharedSegment::may_reattach(stamp, version, 2 << 20, bytes));
  EXPECT_FALSE(SharedSegment::may_reattach(stamp, version, 1 << 20, bytes + 4096));
  SegmentStamp not_ours = stamp;
  not_ours.magic ^= 1;
  EXPECT_FALSE(SharedSegment::may_reattach(not_ours, version, 1 << 20, bytes));
}

// True while `address` is mapped in this process (mincore fails with ENOMEM on a
// hole).
bool is_mapped(const void* address) {
  unsigned char residency[1];
  return mincore(const_cast<void*>(address), 1, residency) == 0;
}

// Regression: the segment version ignored the cache's own layout, so a graceful
// restart into a build whose cache differs (Entry, Chunk or its header) reattached
// a cache it would misread. Here the old segment is made as such a build makes it.
TEST(SharedSegment, GracefulRestartIntoOtherCacheLayoutMakesANewSegment) {
  const std::uint32_t other_build =
      SharedSegment::layout_version(SessionCache::layout_version() + 1);
  ASSERT_NE(other_build, SharedSegment::layout_version());
  auto old = SharedSegment::create_or_reattach(1 << 20, other_build);
  ASSERT_TRUE(old.ok()) << old.error();
  ASSERT_TRUE((*old)->cache()->put("sess.old", session_with("old layout"), kNow));
  Counters::add((*old)->counters().migrations, 2);
  SharedSegment* const old_address = *old;
  SharedSegment::release(*old, /*keep_for_restart=*/true);

  auto next = SharedSegment::create_or_reattach(1 << 20);  // this build
  ASSERT_TRUE(next.ok()) << next.error();
  Released release{*next};
  EXPECT_FALSE((*next)->reattached());
  EXPECT_EQ((*next)->reattach_count(), 0u);
  EXPECT_EQ((*next)->counters().migrations.load(), 0u);
  ASSERT_NE((*next)->cache(), nullptr);
  EXPECT_FALSE((*next)->cache()->get("sess.old", kNow).has_value());
  std::string problem;
  EXPECT_TRUE((*next)->cache()->check_consistency(&problem)) << problem;
  // Not leaked: the old mapping is gone from this process (the kernel may have
  // handed its address to the new segment).
  if (*next != old_address) EXPECT_FALSE(is_mapped(old_address));
  // Nor recorded any more: a later start of this build does not find it.
  EXPECT_EQ(std::getenv("CLUSTERED_SESSION_SEGMENT"), nullptr);
}

// The same restart between two builds of one cache layout keeps the segment.
TEST(SharedSegment, GracefulRestartIntoTheSameCacheLayoutReattaches) {
  const std::uint32_t build = SharedSegment::layout_version(SessionCache::layout_version() + 1);
  auto old = SharedSegment::create_or_reattach(1 << 20, build);
  ASSERT_TRUE(old.ok()) << old.error();
  ASSERT_TRUE((*old)->cache()->put("sess.kept", session_with("same layout"), kNow));
  SharedSegment::release(*old, /*keep_for_restart=*/true);

  auto next = SharedSegment::create_or_reattach(1 << 20, build);
  ASSERT_TRUE(next.ok()) << next.error();
  Released release{*next};
  EXPECT_EQ(*next, *old);
  EXPECT_TRUE((*next)->reattached());
  const auto got = (*next)->cache()->get("sess.kept", kNow);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->data, "same layout");
}

}  // namespace
}  // namespace clustered
