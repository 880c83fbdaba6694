#include "node/shared_segment.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
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

  const std::size_t stripe = LockTable::stripe_for("sess.x");
  EXPECT_EQ(segment->locks().lock(stripe, 100ms), SessionLockResult::kAcquired);
  segment->locks().unlock(stripe);

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
  EXPECT_EQ((*created)->locks().lock(1, 100ms), SessionLockResult::kAcquired);
  (*created)->locks().unlock(1);
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

}  // namespace
}  // namespace clustered
