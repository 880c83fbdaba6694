// SPDX-License-Identifier: BSD-3-Clause
// The memcached model (tests/support/memcached_model.h) against what memcached
// 1.6 does. The simulator and the handler tests trust it, so a model that is
// kinder than memcached (keeps what memcached drops, never times out, never
// reuses a CAS token) would hide the bugs they are there to find. Time moves
// only through ManualClock.
#include "support/memcached_model.h"
#include "support/store_reply.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "support/manual_clock.h"

namespace clustered::testing {
namespace {

using clustered::Cause;
using clustered::StoreNode;

constexpr std::uint32_t kThirtyDays = MemcachedModel::kMaxRelativeTtl;

NodeAddress node_address() {
  NodeAddress address;
  address.id = "m1";
  address.host = "10.0.0.1";
  address.port = 11211;
  return address;
}

class MemcachedModelTest : public ::testing::Test {
 protected:
  // Footprint of an item with a one-byte key and `value_size` bytes of value.
  static constexpr std::size_t one_byte_key_item(std::size_t value_size) {
    return 1 + value_size + MemcachedModel::kItemOverhead;
  }

  ManualClock clock_;
  MemcachedModel model_{node_address(), clock_};
  std::unique_ptr<StoreNode> node_ = model_.client();
};

// --- Commands ---

TEST_F(MemcachedModelTest, GetReturnsWhatSetStoredWithItsCas) {
  const auto stored = node_->set("k", "value", 0);
  ASSERT_TRUE(stored.ok());
  const auto got = node_->get("k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->value, "value");
  EXPECT_NE(got->cas, 0u);
  EXPECT_EQ(got->cas, stored->cas);
}

TEST_F(MemcachedModelTest, GetOfMissingKeyIsNotFound) {
  const auto got = node_->get("missing");
  EXPECT_EQ(got.cause(), Cause::kNotFound);
  EXPECT_FALSE((got.ok() && got->value.has_value()));
}

TEST_F(MemcachedModelTest, EveryStoreGetsANewCasButTouchKeepsIt) {
  const std::uint64_t first = cas_of(node_->set("k", "a", 0));
  const std::uint64_t second = cas_of(node_->set("k", "a", 0));
  EXPECT_GT(second, first);
  ASSERT_TRUE(node_->append("k", "b").ok());
  const std::uint64_t appended = cas_of(node_->get("k"));
  EXPECT_GT(appended, second);
  ASSERT_TRUE(node_->touch("k", 100).ok());
  EXPECT_EQ(cas_of(node_->get("k")), appended);
}

TEST_F(MemcachedModelTest, AddStoresOnlyWhenTheKeyIsMissing) {
  EXPECT_TRUE(node_->add("k", "first", 0).ok());
  EXPECT_EQ(node_->add("k", "second", 0).cause(), Cause::kNotStored);
  EXPECT_EQ(value_of(node_->get("k")), "first");
}

TEST_F(MemcachedModelTest, CheckedAddAnswersTheTokenAndRefusesAnExistingKey) {
  const auto added = node_->add_checked("k", "first", 0);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(cas_of(node_->get("k")), added->cas);
  EXPECT_EQ(node_->add_checked("k", "second", 0).cause(), Cause::kNotStored);
  EXPECT_EQ(value_of(node_->get("k")), "first");
  model_.set_cas_enabled(false);
  EXPECT_EQ(node_->add_checked("other", "v", 0).cause(), Cause::kNoCas);
}

TEST_F(MemcachedModelTest, AddSucceedsOverAnExpiredItem) {
  ASSERT_TRUE(node_->set("k", "old", 10).ok());
  clock_.advance_s(10);
  EXPECT_TRUE(node_->add("k", "new", 0).ok());
  EXPECT_EQ(value_of(node_->get("k")), "new");
}

TEST_F(MemcachedModelTest, CasStoresWhenTheTokenStillMatches) {
  ASSERT_TRUE(node_->set("k", "a", 0).ok());
  const auto read = node_->get("k");
  EXPECT_TRUE(node_->cas("k", "b", 0, read->cas).ok());
  EXPECT_EQ(value_of(node_->get("k")), "b");
}

TEST_F(MemcachedModelTest, CasFailsAfterAnotherWrite) {
  auto other_process = model_.client();
  ASSERT_TRUE(node_->set("k", "a", 0).ok());
  const auto read = node_->get("k");
  ASSERT_TRUE(other_process->set("k", "theirs", 0).ok());
  EXPECT_EQ(node_->cas("k", "mine", 0, read->cas).cause(), Cause::kExists);
  EXPECT_EQ(value_of(node_->get("k")), "theirs");
}

TEST_F(MemcachedModelTest, CasOfMissingKeyIsNotFound) {
  ASSERT_TRUE(node_->set("k", "a", 0).ok());
  const auto read = node_->get("k");
  ASSERT_TRUE(node_->remove("k").ok());
  EXPECT_EQ(node_->cas("k", "b", 0, read->cas).cause(), Cause::kNotFound);
  EXPECT_FALSE(model_.peek("k").has_value());
}

TEST_F(MemcachedModelTest, AppendToMissingKeyIsNotStored) {
  EXPECT_EQ(node_->append("k", "line").cause(), Cause::kNotStored);
  EXPECT_FALSE(model_.peek("k").has_value());
}

TEST_F(MemcachedModelTest, AppendAddsToTheEndAndKeepsTheExpiry) {
  ASSERT_TRUE(node_->set("k", "one;", 100).ok());
  clock_.advance_s(40);
  ASSERT_TRUE(node_->append("k", "two;").ok());
  EXPECT_EQ(value_of(node_->get("k")), "one;two;");
  EXPECT_EQ(model_.ttl_left("k"), 60);
  clock_.advance_s(60);
  EXPECT_EQ(node_->get("k").cause(), Cause::kNotFound);
}

TEST_F(MemcachedModelTest, TouchMovesTheExpiry) {
  ASSERT_TRUE(node_->set("k", "v", 10).ok());
  clock_.advance_s(9);
  ASSERT_TRUE(node_->touch("k", 10).ok());
  clock_.advance_s(9);
  EXPECT_TRUE(node_->get("k").ok());
  clock_.advance_s(1);
  EXPECT_EQ(node_->get("k").cause(), Cause::kNotFound);
}

TEST_F(MemcachedModelTest, TouchOfMissingKeyIsNotFound) {
  EXPECT_EQ(node_->touch("k", 10).cause(), Cause::kNotFound);
}

TEST_F(MemcachedModelTest, RemoveDeletesAndMissesWhenMissing) {
  ASSERT_TRUE(node_->set("k", "v", 0).ok());
  EXPECT_TRUE(node_->remove("k").ok());
  EXPECT_EQ(node_->get("k").cause(), Cause::kNotFound);
  EXPECT_EQ(node_->remove("k").cause(), Cause::kNotFound);
}

TEST_F(MemcachedModelTest, PingIsOkAndStoresNothing) {
  EXPECT_TRUE(node_->ping().ok());
  EXPECT_EQ(model_.item_count(), 0u);
}

// --- Keys ---

TEST_F(MemcachedModelTest, KeysOfUpTo250PrintableBytesAreAccepted) {
  EXPECT_TRUE(node_->set(std::string(250, 'k'), "v", 0).ok());
  EXPECT_TRUE(node_->set("sess:abc-DEF_123", "v", 0).ok());
}

TEST_F(MemcachedModelTest, KeyTooLongOrWithSpaceOrControlIsRefused) {
  for (const std::string& key :
       {std::string(251, 'k'), std::string("a b"), std::string("a\nb"), std::string("a\rb"),
        std::string("a\tb"), std::string("a\x7f"), std::string(1, '\0'), std::string()}) {
    const auto reply = node_->set(key, "v", 0);
    EXPECT_EQ(reply.cause(), Cause::kRefused) << "key of " << key.size() << " bytes";
    EXPECT_EQ(reply.error(), "CLIENT_ERROR bad command line format");
    EXPECT_EQ(node_->get(key).cause(), Cause::kRefused);
  }
  EXPECT_EQ(model_.item_count(), 0u);
}

// --- Expiry ---

TEST_F(MemcachedModelTest, ItemExpiresWhenItsTtlIsUp) {
  ASSERT_TRUE(node_->set("k", "v", 10).ok());
  clock_.advance_s(9);
  EXPECT_TRUE(node_->get("k").ok());
  EXPECT_EQ(model_.ttl_left("k"), 1);
  clock_.advance_s(1);
  EXPECT_EQ(node_->get("k").cause(), Cause::kNotFound);
  EXPECT_EQ(model_.item_count(), 0u);
}

// memcached's clock ticks in whole seconds since it started: a TTL of 1 set late
// in a second may be over in a few milliseconds.
TEST_F(MemcachedModelTest, TtlCountsWholeServerSeconds) {
  clock_.advance_ms(900);
  ASSERT_TRUE(node_->set("k", "v", 1).ok());
  clock_.advance_ms(100);
  EXPECT_EQ(node_->get("k").cause(), Cause::kNotFound);
}

TEST_F(MemcachedModelTest, TtlZeroNeverExpires) {
  ASSERT_TRUE(node_->set("k", "v", 0).ok());
  clock_.advance_s(10LL * 365 * 24 * 3600);
  EXPECT_TRUE(node_->get("k").ok());
  EXPECT_EQ(model_.ttl_left("k"), 0);
}

TEST_F(MemcachedModelTest, TtlOfExactlyThirtyDaysIsStillRelative) {
  ASSERT_TRUE(node_->set("k", "v", kThirtyDays).ok());
  EXPECT_EQ(model_.ttl_left("k"), kThirtyDays);
  clock_.advance_s(kThirtyDays - 1);
  EXPECT_TRUE(node_->get("k").ok());
  clock_.advance_s(1);
  EXPECT_EQ(node_->get("k").cause(), Cause::kNotFound);
}

TEST_F(MemcachedModelTest, TtlOverThirtyDaysIsReadAsAbsoluteTime) {
  // A relative 31 days on the wire is a Unix time in 1970: gone at once.
  ASSERT_TRUE(node_->set("relative", "v", kThirtyDays + 24 * 3600).ok());
  EXPECT_EQ(node_->get("relative").cause(), Cause::kNotFound);
  // A real absolute time lives until then.
  const auto in_an_hour = static_cast<std::uint32_t>(clock_.wall_s() + 3600);
  ASSERT_TRUE(node_->set("absolute", "v", in_an_hour).ok());
  EXPECT_EQ(model_.ttl_left("absolute"), 3600);
  clock_.advance_s(3599);
  EXPECT_TRUE(node_->get("absolute").ok());
  clock_.advance_s(1);
  EXPECT_EQ(node_->get("absolute").cause(), Cause::kNotFound);
}

// memcached parses exptime as a signed 32-bit number; a negative one (a wire
// value past 2^31 - 1) expires the item at once.
TEST_F(MemcachedModelTest, TtlPastTheSigned32BitRangeExpiresAtOnce) {
  ASSERT_TRUE(node_->set("k", "v", 1U << 31).ok());
  EXPECT_EQ(node_->get("k").cause(), Cause::kNotFound);
  ASSERT_TRUE(node_->set("last", "v", 2147483647u).ok());
  EXPECT_TRUE(node_->get("last").ok());
}

TEST_F(MemcachedModelTest, TouchWithTtlOverThirtyDaysIsReadAsAbsoluteTime) {
  ASSERT_TRUE(node_->set("k", "v", 0).ok());
  ASSERT_TRUE(node_->touch("k", kThirtyDays + 1).ok());
  EXPECT_EQ(node_->get("k").cause(), Cause::kNotFound);
}

TEST_F(MemcachedModelTest, ClientWithAppClockConvertsLongTtlsLikeMemcachedNode) {
  ManualClock app_clock;
  auto app_node = model_.client(app_clock);
  ASSERT_TRUE(app_node->set("k", "v", kThirtyDays + 100).ok());
  EXPECT_EQ(model_.ttl_left("k"), kThirtyDays + 100);
  // Short TTLs go through unchanged.
  ASSERT_TRUE(app_node->set("short", "v", 60).ok());
  EXPECT_EQ(model_.ttl_left("short"), 60);
}

TEST_F(MemcachedModelTest, AppClockBehindTheServerShortensLongTtls) {
  ManualClock app_clock;
  app_clock.step_wall_ms(-3600LL * 1000);  // the app's wall clock is an hour behind
  auto app_node = model_.client(app_clock);
  ASSERT_TRUE(app_node->set("k", "v", kThirtyDays + 100).ok());
  EXPECT_EQ(model_.ttl_left("k"), kThirtyDays + 100 - 3600);
}

TEST_F(MemcachedModelTest, ServerWallStepMovesNoExpiry) {
  ASSERT_TRUE(node_->set("k", "v", 10).ok());
  clock_.step_wall_ms(3600LL * 1000);
  EXPECT_TRUE(node_->get("k").ok());
  EXPECT_EQ(model_.ttl_left("k"), 10);
}

// --- Item size ---

TEST_F(MemcachedModelTest, ItemSizeCountsKeyValueAndOverhead) {
  model_.set_item_size_max(1000);
  const std::size_t fits = 1000 - 1 - MemcachedModel::kItemOverhead;
  EXPECT_TRUE(node_->set("k", std::string(fits, 'v'), 0).ok());
  const auto reply = node_->set("k", std::string(fits + 1, 'v'), 0);
  EXPECT_EQ(reply.cause(), Cause::kTooLarge);
  EXPECT_EQ(reply.error(), "SERVER_ERROR object too large for cache");
}

TEST_F(MemcachedModelTest, TooLargeSetUnlinksTheStoredItem) {
  model_.set_item_size_max(1000);
  ASSERT_TRUE(node_->set("k", "old", 0).ok());
  EXPECT_EQ(node_->set("k", std::string(1000, 'v'), 0).cause(), Cause::kTooLarge);
  EXPECT_EQ(node_->get("k").cause(), Cause::kNotFound);
}

TEST_F(MemcachedModelTest, TooLargeAddOrCasLeavesTheStoredItem) {
  model_.set_item_size_max(1000);
  ASSERT_TRUE(node_->set("k", "old", 0).ok());
  const std::uint64_t token = cas_of(node_->get("k"));
  const std::string big(1000, 'v');
  EXPECT_EQ(node_->add("k", big, 0).cause(), Cause::kTooLarge);
  EXPECT_EQ(node_->cas("k", big, 0, token).cause(), Cause::kTooLarge);
  // Size comes first: a cas with a wrong token still says "too large".
  EXPECT_EQ(node_->cas("k", big, 0, token + 1).cause(), Cause::kTooLarge);
  EXPECT_EQ(value_of(node_->get("k")), "old");
}

TEST_F(MemcachedModelTest, AppendBeyondItemSizeIsNotStoredAndKeepsTheItem) {
  model_.set_item_size_max(1000);
  ASSERT_TRUE(node_->set("k", std::string(500, 'a'), 0).ok());
  const auto reply = node_->append("k", std::string(500, 'b'));
  EXPECT_EQ(reply.cause(), Cause::kNotStored);  // what memcached 1.6.18 answers
  EXPECT_EQ(value_of(node_->get("k")), std::string(500, 'a'));
}

TEST_F(MemcachedModelTest, AppendOfDataTooLargeByItselfIsTooLarge) {
  model_.set_item_size_max(1000);
  ASSERT_TRUE(node_->set("k", "a", 0).ok());
  EXPECT_EQ(node_->append("k", std::string(1000, 'b')).cause(), Cause::kTooLarge);
  EXPECT_EQ(value_of(node_->get("k")), "a");
}

TEST_F(MemcachedModelTest, LoweringItemSizeMaxKeepsStoredItems) {
  ASSERT_TRUE(node_->set("k", std::string(2000, 'v'), 0).ok());
  model_.set_item_size_max(1000);
  EXPECT_TRUE(node_->get("k").ok());
  EXPECT_EQ(node_->set("k2", std::string(2000, 'v'), 0).cause(), Cause::kTooLarge);
}

// --- Memory and LRU ---

class MemcachedModelMemoryTest : public MemcachedModelTest {
 protected:
  // Room for exactly three 100-byte values under one-byte keys.
  static constexpr std::size_t kLimit = 3 * one_byte_key_item(100);
  void SetUp() override { model_.set_memory_limit(kLimit); }
  // NOLINTNEXTLINE(modernize-return-braced-init-list): {100, 'v'} would be two chars
  static std::string value() { return std::string(100, 'v'); }
};

TEST_F(MemcachedModelMemoryTest, LruEvictsLeastRecentlyUsedFirst) {
  ASSERT_TRUE(node_->set("a", value(), 0).ok());
  ASSERT_TRUE(node_->set("b", value(), 0).ok());
  ASSERT_TRUE(node_->set("c", value(), 0).ok());
  ASSERT_TRUE(node_->get("a").ok());  // b is now the least recently used
  ASSERT_TRUE(node_->set("d", value(), 0).ok());
  EXPECT_FALSE(model_.peek("b").has_value());
  EXPECT_TRUE(model_.peek("a").has_value());
  EXPECT_TRUE(model_.peek("c").has_value());
  EXPECT_TRUE(model_.peek("d").has_value());
  EXPECT_EQ(model_.evictions(), 1u);
}

TEST_F(MemcachedModelMemoryTest, TouchAndStoresCountAsUse) {
  ASSERT_TRUE(node_->set("a", value(), 0).ok());
  ASSERT_TRUE(node_->set("b", value(), 0).ok());
  ASSERT_TRUE(node_->set("c", value(), 0).ok());
  ASSERT_TRUE(node_->touch("a", 0).ok());
  ASSERT_TRUE(node_->set("b", value(), 0).ok());  // c is now the least recently used
  ASSERT_TRUE(node_->set("d", value(), 0).ok());
  EXPECT_FALSE(model_.peek("c").has_value());
  EXPECT_EQ(model_.item_count(), 3u);
}

TEST_F(MemcachedModelMemoryTest, ExpiredItemsAreReclaimedBeforeLiveOnesAreEvicted) {
  ASSERT_TRUE(node_->set("a", value(), 0).ok());
  ASSERT_TRUE(node_->set("b", value(), 0).ok());
  ASSERT_TRUE(node_->set("c", value(), 5).ok());  // the most recently used, but expiring
  clock_.advance_s(5);
  EXPECT_EQ(model_.bytes_used(), 2 * one_byte_key_item(100));
  ASSERT_TRUE(node_->set("d", value(), 0).ok());
  EXPECT_TRUE(model_.peek("a").has_value());
  EXPECT_TRUE(model_.peek("b").has_value());
  EXPECT_EQ(model_.evictions(), 0u);
}

TEST_F(MemcachedModelMemoryTest, ReplacingAnItemReusesItsMemory) {
  ASSERT_TRUE(node_->set("a", value(), 0).ok());
  ASSERT_TRUE(node_->set("b", value(), 0).ok());
  ASSERT_TRUE(node_->set("c", value(), 0).ok());
  ASSERT_TRUE(node_->set("a", value(), 0).ok());
  ASSERT_TRUE(node_->cas("b", value(), 0, cas_of(node_->get("b"))).ok());
  EXPECT_EQ(model_.item_count(), 3u);
  EXPECT_EQ(model_.evictions(), 0u);
}

TEST_F(MemcachedModelMemoryTest, MemoryNeverExceedsTheLimit) {
  for (int i = 0; i < 200; ++i) {
    const std::string key = "key" + std::to_string(i % 17);
    ASSERT_TRUE(node_->set(key, std::string(static_cast<std::size_t>(i % 150), 'v'), 0).ok());
    ASSERT_LE(model_.bytes_used(), kLimit);
  }
  EXPECT_GT(model_.evictions(), 0u);
}

TEST_F(MemcachedModelMemoryTest, OutOfMemoryUnlinksTheStoredItem) {
  ASSERT_TRUE(node_->set("a", "old", 0).ok());
  const auto reply = node_->set("a", std::string(kLimit, 'v'), 0);
  EXPECT_EQ(reply.cause(), Cause::kOutOfMemory);
  EXPECT_EQ(reply.error(), "SERVER_ERROR out of memory storing object");
  EXPECT_EQ(node_->get("a").cause(), Cause::kNotFound);
}

TEST_F(MemcachedModelMemoryTest, AppendBeyondMemoryIsNotStoredAndKeepsTheItem) {
  ASSERT_TRUE(node_->set("a", value(), 0).ok());
  // 400 bytes fit by themselves, not after the 100 already there.
  EXPECT_EQ(node_->append("a", std::string(400, 'v')).cause(), Cause::kNotStored);
  EXPECT_EQ(value_of(node_->get("a")), value());
}

TEST_F(MemcachedModelMemoryTest, ShrinkingTheMemoryLimitEvicts) {
  ASSERT_TRUE(node_->set("a", value(), 0).ok());
  ASSERT_TRUE(node_->set("b", value(), 0).ok());
  ASSERT_TRUE(node_->set("c", value(), 0).ok());
  model_.set_memory_limit(one_byte_key_item(100));
  EXPECT_EQ(model_.item_count(), 1u);
  EXPECT_TRUE(model_.peek("c").has_value());
  EXPECT_EQ(model_.evictions(), 2u);
}

// --- Faults ---

TEST_F(MemcachedModelTest, FrozenNodeTimesOutEveryCall) {
  ASSERT_TRUE(node_->set("k", "before", 0).ok());
  int timeouts = 0;
  model_.on_timeout = [&] { ++timeouts; };
  model_.freeze();
  const auto expect_timeout = [](const clustered::StoreReply& reply) {
    EXPECT_EQ(reply.cause(), Cause::kTimeout);
    EXPECT_EQ(reply.error(), "timed out (frozen)");
  };
  expect_timeout(node_->get("k"));
  expect_timeout(node_->set("k", "during", 0));
  expect_timeout(node_->add("new", "during", 0));
  expect_timeout(node_->cas("k", "during", 0, 1));
  expect_timeout(node_->append("k", "during"));
  expect_timeout(node_->touch("k", 1));
  expect_timeout(node_->remove("k"));
  expect_timeout(node_->ping());
  EXPECT_EQ(timeouts, 8);
  EXPECT_EQ(model_.stats().cmd_get, 0u);

  model_.thaw();
  EXPECT_EQ(value_of(node_->get("k")), "before");  // nothing sent while frozen was applied
  EXPECT_FALSE(model_.peek("new").has_value());
  EXPECT_EQ(timeouts, 8);
}

TEST_F(MemcachedModelTest, FrozenNodeKeepsItsItemsAndPid) {
  ASSERT_TRUE(node_->set("k", "v", 0).ok());
  const int pid = model_.pid();
  model_.freeze();
  EXPECT_EQ(model_.peek("k"), "v");
  model_.thaw();
  EXPECT_EQ(model_.pid(), pid);
}

TEST_F(MemcachedModelTest, StoppedNodeRefusesEveryCall) {
  ASSERT_TRUE(node_->set("k", "v", 0).ok());
  model_.stop();
  EXPECT_FALSE(model_.running());
  for (const auto& reply : {node_->get("k"), node_->set("k", "v", 0), node_->add("k", "v", 0),
                            node_->cas("k", "v", 0, 1), node_->append("k", "v"),
                            node_->touch("k", 1), node_->remove("k"), node_->ping()}) {
    EXPECT_EQ(reply.cause(), Cause::kDown);
    EXPECT_EQ(reply.error(), "connection refused");
  }
  EXPECT_FALSE(model_.peek("k").has_value());
}

TEST_F(MemcachedModelTest, StartedNodeIsEmptyWithANewPid) {
  ASSERT_TRUE(node_->set("k", "v", 0).ok());
  const int pid = model_.pid();
  model_.stop();
  model_.start();
  EXPECT_TRUE(node_->ping().ok());
  EXPECT_EQ(node_->get("k").cause(), Cause::kNotFound);
  EXPECT_NE(model_.pid(), pid);
}

TEST_F(MemcachedModelTest, RestartForgetsEverythingAndChangesPid) {
  ASSERT_TRUE(node_->set("k", "v", 0).ok());
  ASSERT_TRUE(node_->get("k").ok());
  clock_.advance_s(100);
  const int pid = model_.pid();
  EXPECT_EQ(model_.uptime_s(), 100);

  model_.restart();
  EXPECT_NE(model_.pid(), pid);
  EXPECT_EQ(model_.uptime_s(), 0);
  EXPECT_EQ(model_.item_count(), 0u);
  EXPECT_EQ(model_.bytes_used(), 0u);
  EXPECT_EQ(model_.stats().cmd_get, 0u);
  EXPECT_EQ(model_.stats().cmd_set, 0u);
  EXPECT_EQ(node_->get("k").cause(), Cause::kNotFound);
}

// A new memcached process counts CAS tokens from the start again: a token read
// before the restart can match an unrelated item stored after it.
TEST_F(MemcachedModelTest, RestartStartsCasTokensOver) {
  ASSERT_TRUE(node_->set("k", "before", 0).ok());
  const std::uint64_t before = cas_of(node_->get("k"));
  model_.restart();
  ASSERT_TRUE(node_->set("k", "after", 0).ok());
  EXPECT_EQ(cas_of(node_->get("k")), before);
  EXPECT_TRUE(node_->cas("k", "stale writer", 0, before).ok());
}

TEST_F(MemcachedModelTest, RestartUnfreezes) {
  model_.freeze();
  model_.restart();
  EXPECT_TRUE(node_->ping().ok());
}

// --- Stats and raw access ---

TEST_F(MemcachedModelTest, StatsCountCommandsLikeMemcached) {
  ASSERT_TRUE(node_->set("k", "v", 0).ok());
  ASSERT_EQ(node_->add("k", "v", 0).cause(), Cause::kNotStored);
  ASSERT_TRUE(node_->cas("k", "v", 0, cas_of(node_->get("k"))).ok());
  ASSERT_TRUE(node_->append("k", "v").ok());
  ASSERT_EQ(node_->get("missing").cause(), Cause::kNotFound);
  ASSERT_TRUE(node_->touch("k", 10).ok());
  ASSERT_TRUE(node_->remove("k").ok());
  ASSERT_EQ(node_->remove("k").cause(), Cause::kNotFound);

  const auto& stats = model_.stats();
  EXPECT_EQ(stats.cmd_set, 4u);
  EXPECT_EQ(stats.cmd_get, 2u);
  EXPECT_EQ(stats.get_hits, 1u);
  EXPECT_EQ(stats.get_misses, 1u);
  EXPECT_EQ(stats.cmd_touch, 1u);
  EXPECT_EQ(stats.delete_hits, 1u);
  EXPECT_EQ(stats.delete_misses, 1u);
  EXPECT_EQ(stats.evictions, 0u);
}

TEST_F(MemcachedModelTest, UptimeCountsServerSeconds) {
  EXPECT_EQ(model_.uptime_s(), 0);
  clock_.advance_ms(1999);
  EXPECT_EQ(model_.uptime_s(), 1);
  clock_.step_wall_ms(-3600LL * 1000);  // a wall step is not uptime
  EXPECT_EQ(model_.uptime_s(), 1);
}

TEST_F(MemcachedModelTest, RawAccessCountsNothing) {
  model_.poke("k", "outsider", 10);
  EXPECT_EQ(model_.peek("k"), "outsider");
  EXPECT_EQ(model_.ttl_left("k"), 10);
  EXPECT_FALSE(model_.peek("missing").has_value());
  EXPECT_FALSE(model_.ttl_left("missing").has_value());
  EXPECT_EQ(model_.stats().cmd_get, 0u);
  EXPECT_EQ(model_.stats().cmd_set, 0u);
  EXPECT_EQ(value_of(node_->get("k")), "outsider");
  EXPECT_EQ(model_.item_count(), 1u);
  EXPECT_EQ(model_.bytes_used(), one_byte_key_item(8));
}

TEST_F(MemcachedModelTest, PokeIsAWriteThatBreaksCas) {
  ASSERT_TRUE(node_->set("k", "mine", 0).ok());
  const std::uint64_t token = cas_of(node_->get("k"));
  model_.poke("k", "outsider", 0);
  EXPECT_EQ(node_->cas("k", "mine again", 0, token).cause(), Cause::kExists);
}

TEST_F(MemcachedModelTest, ClientsShareOneModelAndItsAddress) {
  auto other_process = model_.client();
  EXPECT_EQ(node_->address(), node_address());
  EXPECT_EQ(other_process->address(), node_address());
  ASSERT_TRUE(node_->set("k", "v", 0).ok());
  EXPECT_EQ(value_of(other_process->get("k")), "v");
  model_.freeze();
  EXPECT_EQ(other_process->get("k").cause(), Cause::kTimeout);
}

}  // namespace
}  // namespace clustered::testing
