// SPDX-License-Identifier: BSD-3-Clause
#include "store/memcached_node.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <string>
#include <thread>

#include "support/memcached_server.h"
#include "support/store_reply.h"

namespace clustered {
namespace {

using clustered::testing::cas_of;
using clustered::testing::value_of;

using namespace std::string_literals;
using clustered::testing::MemcachedServer;
using SteadyClock = std::chrono::steady_clock;

constexpr std::uint32_t kThirtyDays = 60 * 60 * 24 * 30;

Timeouts test_timeouts() {
  Timeouts timeouts;
  timeouts.connect = std::chrono::milliseconds(100);
  timeouts.io = std::chrono::milliseconds(250);
  return timeouts;
}

NodeAddress dead_address() {
  NodeAddress address;
  address.id = "dead";
  address.host = "127.0.0.1";
  address.port = clustered::testing::free_port();  // nothing listens there
  return address;
}

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

TEST(MemcachedExpiry, RelativeUpToThirtyDaysAbsoluteAbove) {
  const std::int64_t now = 1700000000;
  EXPECT_EQ(memcached_expiry(0, now), 0u);
  EXPECT_EQ(memcached_expiry(1, now), 1u);
  EXPECT_EQ(memcached_expiry(1440, now), 1440u);
  EXPECT_EQ(memcached_expiry(kThirtyDays, now), kThirtyDays);
  EXPECT_EQ(memcached_expiry(kThirtyDays + 1, now), now + kThirtyDays + 1);
  EXPECT_EQ(memcached_expiry(60 * 60 * 24 * 365, now), now + 60 * 60 * 24 * 365);
}

// memcached reads exptime as a signed 32-bit number: past 2038-01-19 it is
// negative, and a negative exptime expires the item at once.
TEST(MemcachedExpiry, LifetimesPastWhatMemcachedCanHoldAreClampedToItsLastSecond) {
  const std::int64_t now = 1700000000;
  EXPECT_EQ(memcached_expiry(1U << 31, now), 2147483647u);
  EXPECT_EQ(memcached_expiry(UINT32_MAX, now), 2147483647u);
  EXPECT_EQ(memcached_expiry(2147483647u - 1700000000u, now), 2147483647u);
}

class MemcachedNodeTest : public ::testing::Test {
 protected:
  MemcachedServer server_;
  MemcachedNode node_{server_.address("n1"), test_timeouts()};
};

TEST_F(MemcachedNodeTest, SetGetTouchRemove) {
  EXPECT_EQ(node_.address().id, "n1");
  StoreReply set = node_.set("k1", "hello", 60);
  ASSERT_EQ(set.cause(), Cause::kOk) << set.error();
  EXPECT_EQ(server_.get("k1"), "hello");

  StoreReply got = node_.get("k1");
  ASSERT_EQ(got.cause(), Cause::kOk) << got.error();
  ASSERT_TRUE((got.ok() && got->value.has_value()));
  EXPECT_EQ(*got->value, "hello");

  EXPECT_EQ(node_.touch("k1", 120).cause(), Cause::kOk);
  const auto ttl = server_.ttl_left("k1");
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, 100);
  EXPECT_LE(*ttl, 120);

  EXPECT_EQ(node_.remove("k1").cause(), Cause::kOk);
  EXPECT_EQ(server_.get("k1"), std::nullopt);
  EXPECT_EQ(node_.get("k1").cause(), Cause::kNotFound);
}

TEST_F(MemcachedNodeTest, MissingKeyIsNotFoundForEveryOperation) {
  StoreReply got = node_.get("missing");
  EXPECT_EQ(got.cause(), Cause::kNotFound);
  EXPECT_FALSE((got.ok() && got->value.has_value()));
  EXPECT_EQ(node_.touch("missing", 60).cause(), Cause::kNotFound);
  EXPECT_EQ(node_.remove("missing").cause(), Cause::kNotFound);
  // A miss is an answer: the connection stays usable.
  ASSERT_EQ(node_.set("missing", "now here", 60).cause(), Cause::kOk);
  EXPECT_EQ(value_of(node_.get("missing")).value_or("<missing>"), "now here");
}

TEST_F(MemcachedNodeTest, BinaryValuesSurvive) {
  const std::string value = "\0\r\nEND\r\nVALUE x 0 1\r\n\xff\x80"s + std::string(100000, '\0');
  ASSERT_EQ(node_.set("bin", value, 60).cause(), Cause::kOk);
  EXPECT_EQ(server_.get("bin"), value);
  StoreReply got = node_.get("bin");
  ASSERT_EQ(got.cause(), Cause::kOk);
  EXPECT_EQ(*got->value, value);
}

// An item that exists with zero bytes is a hit, not a miss ("VA 0 ...").
TEST_F(MemcachedNodeTest, EmptyValueIsAHit) {
  ASSERT_TRUE(server_.set("empty", ""));
  StoreReply got = node_.get("empty");
  EXPECT_EQ(got.cause(), Cause::kOk) << got.error();
  ASSERT_TRUE((got.ok() && got->value.has_value()));
  EXPECT_EQ(*got->value, "");
}

TEST_F(MemcachedNodeTest, OverwriteReplacesValue) {
  ASSERT_EQ(node_.set("k", "one", 60).cause(), Cause::kOk);
  ASSERT_EQ(node_.set("k", "two", 60).cause(), Cause::kOk);
  EXPECT_EQ(value_of(node_.get("k")).value_or("<missing>"), "two");
}

TEST_F(MemcachedNodeTest, TtlIsSentAsGiven) {
  ASSERT_EQ(node_.set("ttl", "v", 100).cause(), Cause::kOk);
  const auto ttl = server_.ttl_left("ttl");
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GE(*ttl, 95);
  EXPECT_LE(*ttl, 100);
}

// memcached reads expiries over 30 days as Unix times: sent as-is, 40 days would be
// a date in 1970 and the item would vanish at once.
TEST_F(MemcachedNodeTest, TtlOverThirtyDaysIsConvertedToAbsolute) {
  const std::uint32_t forty_days = 60 * 60 * 24 * 40;
  ASSERT_EQ(node_.set("long", "v", forty_days).cause(), Cause::kOk);
  StoreReply got = node_.get("long");
  ASSERT_EQ(got.cause(), Cause::kOk) << "item expired at once: the TTL was sent as a 1970 date";
  auto ttl = server_.ttl_left("long");
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, forty_days - 10);
  EXPECT_LE(*ttl, forty_days + 1);

  ASSERT_EQ(node_.touch("long", forty_days + 100).cause(), Cause::kOk);
  ttl = server_.ttl_left("long");
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, forty_days + 90);
}

TEST_F(MemcachedNodeTest, EnsureConnectedCostsNoItemOperation) {
  const auto before = server_.stats();
  ASSERT_EQ(node_.ping().cause(), Cause::kOk);
  ASSERT_EQ(node_.ping().cause(), Cause::kOk);
  const auto after = server_.stats();
  for (const char* stat : {"cmd_get", "cmd_set", "cmd_touch", "delete_misses", "delete_hits"}) {
    EXPECT_EQ(before.at(stat), after.at(stat)) << stat;
  }
}

TEST_F(MemcachedNodeTest, OneGetIsOneRoundTrip) {
  ASSERT_EQ(node_.set("k", "v", 60).cause(), Cause::kOk);
  const std::uint64_t gets = server_.stat("cmd_get");
  const std::uint64_t sets = server_.stat("cmd_set");
  const std::uint64_t touches = server_.stat("cmd_touch");
  ASSERT_EQ(node_.get("k").cause(), Cause::kOk);
  ASSERT_EQ(node_.get("nope").cause(), Cause::kNotFound);
  ASSERT_EQ(node_.set("k", "w", 60).cause(), Cause::kOk);
  ASSERT_EQ(node_.touch("k", 60).cause(), Cause::kOk);
  EXPECT_EQ(server_.stat("cmd_get"), gets + 2);
  EXPECT_EQ(server_.stat("cmd_set"), sets + 1);
  EXPECT_EQ(server_.stat("cmd_touch"), touches + 1);
}

// The item commands beyond set/get: add, cas, append (RemoteStore builds the
// takeover notices and conditional writes on them).
TEST_F(MemcachedNodeTest, GetBringsTheCasToken) {
  ASSERT_EQ(node_.set("k", "v", 60).cause(), Cause::kOk);
  StoreReply got = node_.get("k");
  ASSERT_EQ(got.cause(), Cause::kOk) << got.error();
  EXPECT_NE(got->cas, 0u);
  // The token changes with the item.
  ASSERT_EQ(node_.set("k", "w", 60).cause(), Cause::kOk);
  StoreReply again = node_.get("k");
  ASSERT_EQ(again.cause(), Cause::kOk) << again.error();
  EXPECT_NE(again->cas, 0u);
  EXPECT_NE(again->cas, got->cas);
}

TEST_F(MemcachedNodeTest, AddCreatesAMissingKeyAndIsNotStoredForAnExistingOne) {
  StoreReply added = node_.add("k", "first", 60);
  ASSERT_EQ(added.cause(), Cause::kOk) << added.error();
  EXPECT_EQ(server_.get("k"), "first");
  StoreReply again = node_.add("k", "second", 60);
  EXPECT_EQ(again.cause(), Cause::kNotStored) << again.error();
  EXPECT_FALSE(node_failed(again.cause()));
  EXPECT_EQ(server_.get("k"), "first");
  // An answer about the item: the connection stays usable.
  EXPECT_EQ(value_of(node_.get("k")).value_or("<missing>"), "first");
}

TEST_F(MemcachedNodeTest, CasStoresWithTheTokenFromGetAndRefusesAStaleOne) {
  ASSERT_EQ(node_.set("k", "one", 60).cause(), Cause::kOk);
  StoreReply read = node_.get("k");
  ASSERT_EQ(read.cause(), Cause::kOk) << read.error();
  const std::uint64_t token = read->cas;
  ASSERT_NE(token, 0u);

  // Someone else writes in between: the token read before is stale.
  ASSERT_TRUE(server_.set("k", "changed"));
  StoreReply stale = node_.cas("k", "two", 60, token);
  EXPECT_EQ(stale.cause(), Cause::kExists) << stale.error();
  EXPECT_FALSE(node_failed(stale.cause()));
  EXPECT_EQ(server_.get("k"), "changed");

  StoreReply fresh = node_.get("k");
  ASSERT_EQ(fresh.cause(), Cause::kOk) << fresh.error();
  StoreReply stored = node_.cas("k", "two", 60, fresh->cas);
  EXPECT_EQ(stored.cause(), Cause::kOk) << stored.error();
  EXPECT_EQ(server_.get("k"), "two");
  // The token is used up by the write.
  EXPECT_EQ(node_.cas("k", "three", 60, fresh->cas).cause(), Cause::kExists);
  EXPECT_EQ(server_.get("k"), "two");
}

// set_checked (memcached's meta "ms ... c"): the token of what was stored comes
// back with the store itself, so the next write can be conditional on it.
TEST_F(MemcachedNodeTest, CheckedSetAnswersTheNewTokenAndRefusesAStaleOne) {
  StoreReply first = node_.set_checked("k", "one", 60, 0);
  ASSERT_EQ(first.cause(), Cause::kOk) << first.error();
  ASSERT_NE(first->cas, 0u);
  EXPECT_EQ(cas_of(node_.get("k")), first->cas) << "ms and gets disagree on the token";

  StoreReply second = node_.set_checked("k", "two", 60, first->cas);
  ASSERT_EQ(second.cause(), Cause::kOk) << second.error();
  EXPECT_NE(second->cas, first->cas);
  EXPECT_EQ(server_.get("k"), "two");

  ASSERT_TRUE(server_.set("k", "someone else"));
  StoreReply stale = node_.set_checked("k", "three", 60, second->cas);
  EXPECT_EQ(stale.cause(), Cause::kExists) << stale.error();
  EXPECT_FALSE(node_failed(stale.cause()));
  EXPECT_EQ(server_.get("k"), "someone else");

  StoreReply gone = node_.set_checked("missing", "v", 60, 12345);
  EXPECT_EQ(gone.cause(), Cause::kNotFound) << gone.error();
  EXPECT_EQ(server_.get("missing"), std::nullopt);
  // The connection stays usable after refusals.
  EXPECT_EQ(node_.set_checked("k", "four", 60, cas_of(node_.get("k"))).cause(), Cause::kOk);
  EXPECT_EQ(server_.get("k"), "four");
}

// add_checked (meta "ms ... c ME"): stored only where the key is missing, with
// the new token in the same reply; NOT_STORED where anything is (a tombstone,
// another writer's copy).
TEST_F(MemcachedNodeTest, CheckedAddStoresOnlyWhereTheKeyIsMissing) {
  StoreReply added = node_.add_checked("k", "one", 60);
  ASSERT_EQ(added.cause(), Cause::kOk) << added.error();
  EXPECT_NE(added->cas, 0u);
  EXPECT_EQ(cas_of(node_.get("k")), added->cas) << "ms and get disagree on the token";
  EXPECT_EQ(server_.get("k"), "one");

  StoreReply again = node_.add_checked("k", "two", 60);
  EXPECT_EQ(again.cause(), Cause::kNotStored) << again.error();
  EXPECT_FALSE(node_failed(again.cause()));
  EXPECT_EQ(server_.get("k"), "one");
  // The connection stays usable after the refusal.
  EXPECT_EQ(node_.add_checked("other", "v", 60).cause(), Cause::kOk);
}

TEST_F(MemcachedNodeTest, CheckedSetTtlAndBinaryValues) {
  const std::string binary("a\0\r\nEND\r\nb", 11);
  ASSERT_EQ(node_.set_checked("bin", binary, 60, 0).cause(), Cause::kOk);
  EXPECT_EQ(value_of(node_.get("bin")), binary);
  ASSERT_EQ(node_.set_checked("short", "v", 1, 0).cause(), Cause::kOk);
  EXPECT_EQ(value_of(node_.get("short")), "v");
}

TEST_F(MemcachedNodeTest, CheckedSetReconnectsAfterARestart) {
  ASSERT_EQ(node_.set_checked("k", "v", 60, 0).cause(), Cause::kOk);
  server_.restart();
  StoreReply after = node_.set_checked("k", "w", 60, 0);
  EXPECT_EQ(after.cause(), Cause::kOk) << after.error();
  EXPECT_EQ(server_.get("k"), "w");
}

TEST_F(MemcachedNodeTest, CheckedSetOnAFrozenNodeTimesOutWithinIoTimeout) {
  ASSERT_EQ(node_.set_checked("k", "v", 60, 0).cause(), Cause::kOk);
  server_.freeze();
  const auto start = SteadyClock::now();
  StoreReply frozen = node_.set_checked("k", "w", 60, 0);
  const double took = seconds_since(start);
  server_.thaw();
  EXPECT_EQ(frozen.cause(), Cause::kTimeout) << frozen.error();
  EXPECT_EQ(frozen.error(), "no complete reply within clustered_session.io_timeout (250 ms)");
  EXPECT_LT(took, 3.0);
  // The late "HD" is never read as the answer to the next set.
  StoreReply next = node_.set_checked("k", "x", 60, 999999);
  EXPECT_EQ(next.cause(), Cause::kExists) << next.error();
}

TEST(MemcachedNodeFailure, CheckedSetToNothingListeningIsAConnectionFailure) {
  MemcachedNode node(dead_address(), test_timeouts());
  StoreReply set = node.set_checked("k", "v", 60, 0);
  EXPECT_EQ(set.cause(), Cause::kDown) << set.error();
  EXPECT_EQ(set.error(), "connection refused");
}

TEST_F(MemcachedNodeTest, CasOfAMissingKeyIsNotFound) {
  EXPECT_EQ(node_.cas("missing", "v", 60, 12345).cause(), Cause::kNotFound);
  EXPECT_EQ(server_.get("missing"), std::nullopt);
}

TEST_F(MemcachedNodeTest, AppendToAMissingKeyIsNotStoredAndToAnExistingOneAppends) {
  StoreReply missing = node_.append("list", "a\n");
  EXPECT_EQ(missing.cause(), Cause::kNotStored) << missing.error();
  EXPECT_FALSE(node_failed(missing.cause()));
  EXPECT_EQ(server_.get("list"), std::nullopt);

  ASSERT_EQ(node_.set("list", "a\n", 100).cause(), Cause::kOk);
  StoreReply appended = node_.append("list", "b\n");
  ASSERT_EQ(appended.cause(), Cause::kOk) << appended.error();
  EXPECT_EQ(server_.get("list"), "a\nb\n");
  // An append keeps the item's expiry.
  const auto ttl = server_.ttl_left("list");
  ASSERT_TRUE(ttl.has_value());
  EXPECT_LE(*ttl, 100);
  EXPECT_GT(*ttl, 90);
}

TEST(MemcachedNodeFailure, NothingListeningFailsQuickly) {
  MemcachedNode node(dead_address(), test_timeouts());
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto start = SteadyClock::now();
    StoreReply got = node.get("k");
    // Connection refused: down, not a timeout.
    EXPECT_EQ(got.cause(), Cause::kDown) << got.error();
    EXPECT_TRUE(node_failed(got.cause()));
    EXPECT_FALSE(got.error().empty());
    EXPECT_LT(seconds_since(start), 2.0);  // connect timeout is 100 ms; refused is instant
    EXPECT_EQ(node.set("k", "v", 60).cause(), Cause::kDown);
    EXPECT_EQ(node.add("k", "v", 60).cause(), Cause::kDown);
    EXPECT_EQ(node.cas("k", "v", 60, 1).cause(), Cause::kDown);
    EXPECT_EQ(node.append("k", "v").cause(), Cause::kDown);
    EXPECT_EQ(node.touch("k", 60).cause(), Cause::kDown);
    EXPECT_EQ(node.remove("k").cause(), Cause::kDown);
    EXPECT_EQ(node.ping().cause(), Cause::kDown);
  }
}

TEST_F(MemcachedNodeTest, FrozenNodeFailsWithinIoTimeout) {
  ASSERT_EQ(node_.set("k", "v", 60).cause(), Cause::kOk);  // connection is open
  server_.freeze();
  const auto start = SteadyClock::now();
  StoreReply got = node_.get("k");
  const double took = seconds_since(start);
  server_.thaw();
  EXPECT_EQ(got.cause(), Cause::kTimeout) << got.error();
  EXPECT_TRUE(node_failed(got.cause()));
  EXPECT_FALSE(got.error().empty());
  EXPECT_LT(took, 3.0);  // io timeout is 250 ms; generous for a noisy machine
}

TEST_F(MemcachedNodeTest, FrozenNodeFailsOnFreshConnectionToo) {
  server_.freeze();  // the kernel still accepts the TCP connection, nobody answers
  const auto start = SteadyClock::now();
  StoreReply set = node_.set("k", "v", 60);
  const double took = seconds_since(start);
  server_.thaw();
  EXPECT_EQ(set.cause(), Cause::kTimeout) << set.error();
  EXPECT_LT(took, 3.0);
}

// After a timeout the late reply must never be read as the answer to the next
// request (the connection is dropped and reopened).
TEST_F(MemcachedNodeTest, LateReplyIsNeverTakenForTheNextAnswer) {
  ASSERT_EQ(node_.set("first", "value of first", 60).cause(), Cause::kOk);
  ASSERT_EQ(node_.set("second", "value of second", 60).cause(), Cause::kOk);
  server_.freeze();
  EXPECT_EQ(node_.get("first").cause(), Cause::kTimeout);
  server_.thaw();
  // memcached now answers the queued "get first"; our next question is "second".
  StoreReply got;
  for (int attempt = 0; attempt < 30; ++attempt) {  // the thawed server may be slow at first
    got = node_.get("second");
    if (!node_failed(got.cause())) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(got.cause(), Cause::kOk) << got.error();
  EXPECT_EQ(*got->value, "value of second");
}

TEST_F(MemcachedNodeTest, ReconnectsAfterServerRestart) {
  ASSERT_EQ(node_.set("k", "v", 60).cause(), Cause::kOk);
  server_.restart();  // same port, empty
  StoreReply set = Failure::of(Cause::kDown);
  for (int attempt = 0; attempt < 30 && node_failed(set.cause()); ++attempt) {
    set = node_.set("k", "after restart", 60);
    if (node_failed(set.cause())) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(set.cause(), Cause::kOk) << set.error();
  EXPECT_EQ(server_.get("k"), "after restart");
}

class MemcachedNodeSmallItemsTest : public ::testing::Test {
 protected:
  MemcachedServer server_{MemcachedServer::Options{"1m", {}}};
  MemcachedNode node_{server_.address("n1"), test_timeouts()};
};

TEST_F(MemcachedNodeSmallItemsTest, OversizeValueIsRefusedAndOldValueStays) {
  ASSERT_EQ(node_.set("k", "small and valid", 60).cause(), Cause::kOk);
  const std::string big(2 * 1024 * 1024, 'x');
  StoreReply set = node_.set("k", big, 60);
  EXPECT_EQ(set.cause(), Cause::kTooLarge) << set.error();
  EXPECT_FALSE(node_failed(set.cause()));
  EXPECT_FALSE(set.error().empty());
  // The stored copy is intact, and the node is fine for the next request.
  EXPECT_EQ(server_.get("k"), "small and valid");
  StoreReply got = node_.get("k");
  ASSERT_EQ(got.cause(), Cause::kOk) << got.error();
  EXPECT_EQ(*got->value, "small and valid");
  EXPECT_EQ(node_.set("other", "fits", 60).cause(), Cause::kOk);
}

// The node's own limit (memcached -I, read from "stats settings") decides, with
// memcached's per-item overhead accounted for: the largest value we send is stored.
TEST_F(MemcachedNodeSmallItemsTest, LimitIsTheNodesOwn) {
  const std::string key = "k";
  const std::size_t largest = 1024 * 1024 - 64 - key.size();
  ASSERT_EQ(node_.set(key, "previous", 60).cause(), Cause::kOk);
  StoreReply over = node_.set(key, std::string(largest + 1, 'o'), 60);
  EXPECT_EQ(over.cause(), Cause::kTooLarge) << over.error();
  EXPECT_NE(over.error().find("limit"), std::string::npos) << over.error();
  EXPECT_EQ(server_.get(key), "previous");
  StoreReply fits = node_.set(key, std::string(largest, 'f'), 60);
  ASSERT_EQ(fits.cause(), Cause::kOk) << fits.error();
  EXPECT_EQ(server_.get(key).value_or("").size(), largest);
}

TEST_F(MemcachedNodeSmallItemsTest, JustUnderTheLimitIsStored) {
  const std::string value(900 * 1024, 'y');
  ASSERT_EQ(node_.set("k", value, 60).cause(), Cause::kOk);
  EXPECT_EQ(server_.get("k"), value);
}

// An add or cas over the limit is refused before it is sent, like a set.
TEST_F(MemcachedNodeSmallItemsTest, OversizeAddAndCasAreTooLarge) {
  const std::string big(2 * 1024 * 1024, 'x');
  EXPECT_EQ(node_.add("new", big, 60).cause(), Cause::kTooLarge);
  EXPECT_EQ(server_.get("new"), std::nullopt);
  ASSERT_EQ(node_.set("k", "small", 60).cause(), Cause::kOk);
  StoreReply got = node_.get("k");
  ASSERT_EQ(got.cause(), Cause::kOk) << got.error();
  EXPECT_EQ(node_.cas("k", big, 60, got->cas).cause(), Cause::kTooLarge);
  EXPECT_EQ(server_.get("k"), "small");
}

// ------------------------------------------------------------ connections

// Every connection the node opens is counted: the layer above reads the server's
// identity again whenever the count changes, so a restart is seen at the first
// contact after it.
TEST_F(MemcachedNodeTest, ConnectionsCountsEachOneOpened) {
  EXPECT_EQ(node_.connections(), 0u);  // nothing opened before the first use
  EXPECT_EQ(node_.cas_supported(), std::nullopt);
  ASSERT_EQ(node_.set("k", "v", 60).cause(), Cause::kOk);
  ASSERT_EQ(node_.get("k").cause(), Cause::kOk);
  ASSERT_EQ(node_.touch("k", 60).cause(), Cause::kOk);
  ASSERT_EQ(node_.ping().cause(), Cause::kOk);
  EXPECT_EQ(node_.connections(), 1u);  // kept across calls
  EXPECT_EQ(node_.cas_supported(), true);

  server_.restart();
  StoreReply after = node_.get("k");
  EXPECT_EQ(after.cause(), Cause::kNotFound) << after.error();  // empty, and no failure
  EXPECT_EQ(node_.connections(), 2u);
  ServerStats stats;
  ASSERT_EQ(node_.stats(stats).cause(), Cause::kOk);
  EXPECT_EQ(stats.pid, server_.pid());
  EXPECT_EQ(node_.connections(), 2u);

  server_.restart();
  ASSERT_EQ(node_.ping().cause(), Cause::kOk);  // a ping reconnects too
  EXPECT_EQ(node_.connections(), 3u);

  // A timeout drops the connection: the next call opens a new one.
  server_.freeze();
  EXPECT_EQ(node_.get("k").cause(), Cause::kTimeout);
  server_.thaw();
  ASSERT_EQ(node_.set("k", "v", 60).cause(), Cause::kOk);
  EXPECT_EQ(node_.connections(), 4u);
}

// A kept-alive connection that the server closed (a restart) is found closed
// before anything is sent, so even a conditional write -- never sent twice, it
// may have stored -- goes out once, on a fresh connection, instead of failing.
TEST_F(MemcachedNodeTest, ConditionalWriteAfterARestartGoesOutOnce) {
  ASSERT_EQ(node_.set("k", "v", 60).cause(), Cause::kOk);
  server_.restart();
  ASSERT_TRUE(server_.set("k", "after restart"));
  const StoreReply read = node_.get("k");
  ASSERT_EQ(read.cause(), Cause::kOk) << read.error();
  server_.restart();
  ASSERT_TRUE(server_.set("k", "after the second restart"));  // the same first token again
  const std::uint64_t before = server_.stat("cmd_set");
  StoreReply conditional = node_.set_checked("k", "mine", 60, read->cas);
  EXPECT_EQ(conditional.cause(), Cause::kOk) << conditional.error();
  EXPECT_EQ(server_.stat("cmd_set"), before + 1);
  EXPECT_EQ(node_.connections(), 3u);
}

// ------------------------------------------------------------ memcached -C

// A memcached started with -C gives no CAS tokens ("stats settings":
// cas_enabled no; "mg ... c" answers c0, "ms ... c" HD c0, "ms ... C<token>"
// EX c0). A conditional write cannot be made there: set_checked and cas answer
// kNoCas without sending anything, so nothing is ever stored unconditionally by a
// write that asked for a token. Reads and plain writes work.
class MemcachedNodeWithoutCasTest : public ::testing::Test {
 protected:
  MemcachedServer server_{MemcachedServer::Options{{}, {"-C"}}};
  MemcachedNode node_{server_.address("n1"), test_timeouts()};
};

TEST_F(MemcachedNodeWithoutCasTest, ConditionalWritesAreRefusedUnsent) {
  ASSERT_EQ(node_.ping().cause(), Cause::kOk);
  EXPECT_EQ(node_.cas_supported(), false);
  const std::uint64_t sets = server_.stat("cmd_set");

  StoreReply checked = node_.set_checked("k", "v", 60, 0);
  EXPECT_EQ(checked.cause(), Cause::kNoCas) << checked.error();
  EXPECT_FALSE(node_failed(checked.cause()));
  EXPECT_NE(checked.error().find("-C"), std::string::npos) << checked.error();
  EXPECT_EQ(server_.get("k"), std::nullopt);

  ASSERT_TRUE(server_.set("k", "stored by someone"));
  EXPECT_EQ(node_.set_checked("k", "v", 60, 1).cause(), Cause::kNoCas);
  EXPECT_EQ(node_.cas("k", "v", 60, 1).cause(), Cause::kNoCas);
  EXPECT_EQ(node_.add_checked("new", "v", 60).cause(), Cause::kNoCas);
  EXPECT_EQ(server_.get("k"), "stored by someone");
  EXPECT_EQ(server_.stat("cmd_set"), sets + 1);  // only the test's own set reached it
}

TEST_F(MemcachedNodeWithoutCasTest, ReadsAndPlainWritesWork) {
  ASSERT_EQ(node_.set("k", "value", 60).cause(), Cause::kOk);
  StoreReply got = node_.get("k");
  ASSERT_EQ(got.cause(), Cause::kOk) << got.error();
  EXPECT_EQ(*got->value, "value");
  EXPECT_EQ(got->cas, 0u);
  EXPECT_EQ(node_.cas_supported(), false);
  EXPECT_EQ(node_.add("k", "other", 60).cause(), Cause::kNotStored);
  EXPECT_EQ(node_.append("k", "+more").cause(), Cause::kOk);
  EXPECT_EQ(node_.touch("k", 60).cause(), Cause::kOk);
  EXPECT_EQ(server_.get("k"), "value+more");
  EXPECT_EQ(node_.remove("k").cause(), Cause::kOk);
}

}  // namespace
}  // namespace clustered
