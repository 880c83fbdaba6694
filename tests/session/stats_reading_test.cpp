// SPDX-License-Identifier: BSD-3-Clause
// The stats snapshot as the handler reads it: counters in list order with their
// help, the mode, trust and compression from the config, the cache only when
// there is one.
#include "session/stats_reading.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "shm/shm_test_util.h"

namespace clustered {
namespace {

HandlerConfig owner_config() {
  HandlerConfig config;
  config.route = "web1";
  config.strict_mode = true;
  return config;
}

TEST(StatsCounterList, NamesAreUniqueAndEveryCounterHasHelp) {
  std::set<std::string> names;
  for (const CounterInfo& info : kCounterList) {
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_GT(std::string(info.help).size(), 10u) << info.name;
    EXPECT_EQ(std::string(info.help).find('\n'), std::string::npos) << info.name;
  }
  EXPECT_EQ(names.size(), kCounterCount);
}

TEST(StatsSnapshot, CountersInListOrderWithTheirValues) {
  Counters counters;
  Counters::add(counters.local_hits, 7);
  Counters::add(counters.errors, 2);
  Counters::add(counters.takeover_notices);
  const StatsSnapshot snapshot =
      take_stats_snapshot(counters, nullptr, std::nullopt, owner_config(), nullptr);
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    EXPECT_STREQ(snapshot.counters[i].name, kCounterList[i].name);
    EXPECT_STREQ(snapshot.counters[i].help, kCounterList[i].help);
    EXPECT_EQ(snapshot.counters[i].value, (counters.*kCounterList[i].member).load());
  }
  EXPECT_EQ(snapshot.counter("local_hits"), 7u);
  EXPECT_EQ(snapshot.counter("errors"), 2u);
  EXPECT_EQ(snapshot.counter("takeover_notices"), 1u);
  EXPECT_EQ(snapshot.counter("remote_reads"), 0u);
  EXPECT_EQ(snapshot.counter("no_such_counter"), 0u);
}

TEST(StatsSnapshot, WithoutCacheNothingIsTrustedAndNothingIsInvented) {
  const HandlerConfig config = owner_config();
  const StatsSnapshot snapshot =
      take_stats_snapshot(Counters{}, nullptr, std::nullopt, config, nullptr);
  EXPECT_EQ(snapshot.route, "web1");
  EXPECT_EQ(snapshot.mode, config.mode_description());
  EXPECT_FALSE(snapshot.trusted);
  EXPECT_FALSE(snapshot.cache.has_value());
  EXPECT_FALSE(snapshot.segment.has_value());
  EXPECT_TRUE(snapshot.nodes.empty());
  EXPECT_EQ(snapshot.compression, "off");
}

TEST(StatsSnapshot, CompressionSaysAlgorithmLevelAndThreshold) {
  HandlerConfig config = owner_config();
  config.compression = {Compression::kZstd, 4096, 5};
  EXPECT_EQ(take_stats_snapshot(Counters{}, nullptr, std::nullopt, config, nullptr).compression,
            "zstd level 5, sessions from 4096 bytes");
}

TEST(StatsSnapshot, CacheSegmentAndTrustWhenThereIsACache) {
  testing::SharedMapping mapping(SessionCache::bytes_needed(1 << 20));
  SessionCache* cache = SessionCache::create(mapping.get(), mapping.size());
  ASSERT_NE(cache, nullptr);
  CachedSession session;
  session.data = std::string(100, 'x');
  session.version = 1;
  session.expires_at = 2'000'000'000;
  ASSERT_TRUE(cache->put("sess.a", session, 1'000'000'000));

  const StatsSnapshot snapshot =
      take_stats_snapshot(Counters{}, cache, SegmentInfo{4096, 2}, owner_config(), nullptr);
  EXPECT_TRUE(snapshot.trusted);
  ASSERT_TRUE(snapshot.cache.has_value());
  const CacheStats expected = cache->stats();
  EXPECT_EQ(snapshot.cache->capacity_bytes, expected.capacity_bytes);
  EXPECT_EQ(snapshot.cache->entries, 1u);
  EXPECT_GT(snapshot.cache->used_bytes, 0u);
  ASSERT_TRUE(snapshot.segment.has_value());
  EXPECT_EQ(snapshot.segment->mapped_bytes, 4096u);
  EXPECT_EQ(snapshot.segment->reattach_count, 2u);

  HandlerConfig lax = owner_config();
  lax.strict_mode = false;
  EXPECT_FALSE(take_stats_snapshot(Counters{}, cache, std::nullopt, lax, nullptr).trusted);
}

}  // namespace
}  // namespace clustered
