#include "store/memcached_node.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <string>
#include <thread>

#include "support/memcached_server.h"

namespace clustered {
namespace {

using namespace std::string_literals;
using clustered::testing::MemcachedServer;
using Clock = std::chrono::steady_clock;

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

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
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

class MemcachedNodeTest : public ::testing::Test {
 protected:
  MemcachedServer server_;
  MemcachedNode node_{server_.address("n1"), test_timeouts()};
};

TEST_F(MemcachedNodeTest, SetGetTouchRemove) {
  EXPECT_EQ(node_.address().id, "n1");
  NodeOutcome set = node_.set("k1", "hello", 60);
  ASSERT_EQ(set.reply, Reply::kOk) << set.message;
  EXPECT_EQ(server_.get("k1"), "hello");

  NodeOutcome got = node_.get("k1");
  ASSERT_EQ(got.reply, Reply::kOk) << got.message;
  ASSERT_TRUE(got.value.has_value());
  EXPECT_EQ(*got.value, "hello");

  EXPECT_EQ(node_.touch("k1", 120).reply, Reply::kOk);
  const auto ttl = server_.ttl_left("k1");
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, 100);
  EXPECT_LE(*ttl, 120);

  EXPECT_EQ(node_.remove("k1").reply, Reply::kOk);
  EXPECT_EQ(server_.get("k1"), std::nullopt);
  EXPECT_EQ(node_.get("k1").reply, Reply::kNotFound);
}

TEST_F(MemcachedNodeTest, MissingKeyIsNotFoundForEveryOperation) {
  NodeOutcome got = node_.get("missing");
  EXPECT_EQ(got.reply, Reply::kNotFound);
  EXPECT_FALSE(got.value.has_value());
  EXPECT_EQ(node_.touch("missing", 60).reply, Reply::kNotFound);
  EXPECT_EQ(node_.remove("missing").reply, Reply::kNotFound);
  // A miss is an answer: the connection stays usable.
  ASSERT_EQ(node_.set("missing", "now here", 60).reply, Reply::kOk);
  EXPECT_EQ(node_.get("missing").value.value_or("<missing>"), "now here");
}

TEST_F(MemcachedNodeTest, BinaryValuesSurvive) {
  const std::string value = "\0\r\nEND\r\nVALUE x 0 1\r\n\xff\x80"s + std::string(100000, '\0');
  ASSERT_EQ(node_.set("bin", value, 60).reply, Reply::kOk);
  EXPECT_EQ(server_.get("bin"), value);
  NodeOutcome got = node_.get("bin");
  ASSERT_EQ(got.reply, Reply::kOk);
  EXPECT_EQ(*got.value, value);
}

// An item that exists with zero bytes is a hit, not a miss (libmemcached returns a
// null pointer with MEMCACHED_SUCCESS for it).
TEST_F(MemcachedNodeTest, EmptyValueIsAHit) {
  ASSERT_TRUE(server_.set("empty", ""));
  NodeOutcome got = node_.get("empty");
  EXPECT_EQ(got.reply, Reply::kOk) << got.message;
  ASSERT_TRUE(got.value.has_value());
  EXPECT_EQ(*got.value, "");
}

TEST_F(MemcachedNodeTest, OverwriteReplacesValue) {
  ASSERT_EQ(node_.set("k", "one", 60).reply, Reply::kOk);
  ASSERT_EQ(node_.set("k", "two", 60).reply, Reply::kOk);
  EXPECT_EQ(node_.get("k").value.value_or("<missing>"), "two");
}

TEST_F(MemcachedNodeTest, TtlIsSentAsGiven) {
  ASSERT_EQ(node_.set("ttl", "v", 100).reply, Reply::kOk);
  const auto ttl = server_.ttl_left("ttl");
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GE(*ttl, 95);
  EXPECT_LE(*ttl, 100);
}

// memcached reads expiries over 30 days as Unix times: sent as-is, 40 days would be
// a date in 1970 and the item would vanish at once.
TEST_F(MemcachedNodeTest, TtlOverThirtyDaysIsConvertedToAbsolute) {
  const std::uint32_t forty_days = 60 * 60 * 24 * 40;
  ASSERT_EQ(node_.set("long", "v", forty_days).reply, Reply::kOk);
  NodeOutcome got = node_.get("long");
  ASSERT_EQ(got.reply, Reply::kOk) << "item expired at once: the TTL was sent as a 1970 date";
  auto ttl = server_.ttl_left("long");
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, forty_days - 10);
  EXPECT_LE(*ttl, forty_days + 1);

  ASSERT_EQ(node_.touch("long", forty_days + 100).reply, Reply::kOk);
  ttl = server_.ttl_left("long");
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, forty_days + 90);
}

TEST_F(MemcachedNodeTest, EnsureConnectedCostsNoItemOperation) {
  const auto before = server_.stats();
  ASSERT_EQ(node_.ensure_connected().reply, Reply::kOk);
  ASSERT_EQ(node_.ensure_connected().reply, Reply::kOk);
  const auto after = server_.stats();
  for (const char* stat : {"cmd_get", "cmd_set", "cmd_touch", "delete_misses", "delete_hits"}) {
    EXPECT_EQ(before.at(stat), after.at(stat)) << stat;
  }
}

TEST_F(MemcachedNodeTest, OneGetIsOneRoundTrip) {
  ASSERT_EQ(node_.set("k", "v", 60).reply, Reply::kOk);
  const std::uint64_t gets = server_.stat("cmd_get");
  const std::uint64_t sets = server_.stat("cmd_set");
  const std::uint64_t touches = server_.stat("cmd_touch");
  ASSERT_EQ(node_.get("k").reply, Reply::kOk);
  ASSERT_EQ(node_.get("nope").reply, Reply::kNotFound);
  ASSERT_EQ(node_.set("k", "w", 60).reply, Reply::kOk);
  ASSERT_EQ(node_.touch("k", 60).reply, Reply::kOk);
  EXPECT_EQ(server_.stat("cmd_get"), gets + 2);
  EXPECT_EQ(server_.stat("cmd_set"), sets + 1);
  EXPECT_EQ(server_.stat("cmd_touch"), touches + 1);
}

TEST_F(MemcachedNodeTest, AppendLineCreatesThenAppendsKeepingTheFirstTtl) {
  ASSERT_EQ(node_.append_line("list", "a\n", "*\n", 100).reply, Reply::kOk);
  ASSERT_EQ(node_.append_line("list", "b\n", "*\n", 5000).reply, Reply::kOk);
  EXPECT_EQ(server_.get("list"), "a\nb\n");
  const auto ttl = server_.ttl_left("list");
  ASSERT_TRUE(ttl.has_value());
  EXPECT_LE(*ttl, 100) << "an append must not extend the list's life";
  EXPECT_GT(*ttl, 90);
  // Two round trips only when the list is new (append misses, add creates).
  const std::uint64_t sets = server_.stat("cmd_set");
  ASSERT_EQ(node_.append_line("list", "c\n", "*\n", 100).reply, Reply::kOk);
  EXPECT_EQ(server_.stat("cmd_set") - sets, 1u);
}

TEST(MemcachedNodeFailure, NothingListeningFailsQuickly) {
  MemcachedNode node(dead_address(), test_timeouts());
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto start = Clock::now();
    NodeOutcome got = node.get("k");
    EXPECT_EQ(got.reply, Reply::kNodeFailed);
    EXPECT_FALSE(got.message.empty());
    EXPECT_LT(seconds_since(start), 2.0);  // connect timeout is 100 ms; refused is instant
    EXPECT_EQ(node.set("k", "v", 60).reply, Reply::kNodeFailed);
    EXPECT_EQ(node.touch("k", 60).reply, Reply::kNodeFailed);
    EXPECT_EQ(node.remove("k").reply, Reply::kNodeFailed);
    EXPECT_EQ(node.ensure_connected().reply, Reply::kNodeFailed);
  }
}

TEST_F(MemcachedNodeTest, FrozenNodeFailsWithinIoTimeout) {
  ASSERT_EQ(node_.set("k", "v", 60).reply, Reply::kOk);  // connection is open
  server_.freeze();
  const auto start = Clock::now();
  NodeOutcome got = node_.get("k");
  const double took = seconds_since(start);
  server_.thaw();
  EXPECT_EQ(got.reply, Reply::kNodeFailed) << got.message;
  EXPECT_FALSE(got.message.empty());
  EXPECT_LT(took, 3.0);  // io timeout is 250 ms; generous for a noisy machine
}

TEST_F(MemcachedNodeTest, FrozenNodeFailsOnFreshConnectionToo) {
  server_.freeze();  // the kernel still accepts the TCP connection, nobody answers
  const auto start = Clock::now();
  NodeOutcome set = node_.set("k", "v", 60);
  const double took = seconds_since(start);
  server_.thaw();
  EXPECT_EQ(set.reply, Reply::kNodeFailed) << set.message;
  EXPECT_LT(took, 3.0);
}

// After a timeout the late reply must never be read as the answer to the next
// request (the connection is dropped and reopened).
TEST_F(MemcachedNodeTest, LateReplyIsNeverTakenForTheNextAnswer) {
  ASSERT_EQ(node_.set("first", "value of first", 60).reply, Reply::kOk);
  ASSERT_EQ(node_.set("second", "value of second", 60).reply, Reply::kOk);
  server_.freeze();
  EXPECT_EQ(node_.get("first").reply, Reply::kNodeFailed);
  server_.thaw();
  // memcached now answers the queued "get first"; our next question is "second".
  NodeOutcome got;
  for (int attempt = 0; attempt < 30; ++attempt) {  // libmemcached may hold off ~1 s
    got = node_.get("second");
    if (got.reply != Reply::kNodeFailed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(got.reply, Reply::kOk) << got.message;
  EXPECT_EQ(*got.value, "value of second");
}

TEST_F(MemcachedNodeTest, ReconnectsAfterServerRestart) {
  ASSERT_EQ(node_.set("k", "v", 60).reply, Reply::kOk);
  server_.restart();  // same port, empty
  Reply reply = Reply::kNodeFailed;
  for (int attempt = 0; attempt < 30 && reply == Reply::kNodeFailed; ++attempt) {
    reply = node_.set("k", "after restart", 60).reply;
    if (reply == Reply::kNodeFailed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(reply, Reply::kOk);
  EXPECT_EQ(server_.get("k"), "after restart");
}

class MemcachedNodeSmallItemsTest : public ::testing::Test {
 protected:
  MemcachedServer server_{MemcachedServer::Options{"1m", {}}};
  MemcachedNode node_{server_.address("n1"), test_timeouts()};
};

TEST_F(MemcachedNodeSmallItemsTest, OversizeValueIsRefusedAndOldValueStays) {
  ASSERT_EQ(node_.set("k", "small and valid", 60).reply, Reply::kOk);
  const std::string big(2 * 1024 * 1024, 'x');
  NodeOutcome set = node_.set("k", big, 60);
  EXPECT_EQ(set.reply, Reply::kRefused) << set.message;
  EXPECT_FALSE(set.message.empty());
  // The stored copy is intact, and the node is fine for the next request.
  EXPECT_EQ(server_.get("k"), "small and valid");
  NodeOutcome got = node_.get("k");
  ASSERT_EQ(got.reply, Reply::kOk) << got.message;
  EXPECT_EQ(*got.value, "small and valid");
  EXPECT_EQ(node_.set("other", "fits", 60).reply, Reply::kOk);
}

// The node's own limit (memcached -I, read from "stats settings") decides, with
// memcached's per-item overhead accounted for: the largest value we send is stored.
TEST_F(MemcachedNodeSmallItemsTest, LimitIsTheNodesOwn) {
  const std::string key = "k";
  const std::size_t largest = 1024 * 1024 - 64 - key.size();
  ASSERT_EQ(node_.set(key, "previous", 60).reply, Reply::kOk);
  NodeOutcome over = node_.set(key, std::string(largest + 1, 'o'), 60);
  EXPECT_EQ(over.reply, Reply::kRefused) << over.message;
  EXPECT_NE(over.message.find("limit"), std::string::npos) << over.message;
  EXPECT_EQ(server_.get(key), "previous");
  NodeOutcome fits = node_.set(key, std::string(largest, 'f'), 60);
  ASSERT_EQ(fits.reply, Reply::kOk) << fits.message;
  EXPECT_EQ(server_.get(key).value_or("").size(), largest);
}

TEST_F(MemcachedNodeSmallItemsTest, JustUnderTheLimitIsStored) {
  const std::string value(900 * 1024, 'y');
  ASSERT_EQ(node_.set("k", value, 60).reply, Reply::kOk);
  EXPECT_EQ(server_.get("k"), value);
}

// A list that would outgrow the node's item size limit is replaced by the line
// that stands for everything, never left short of what was appended.
TEST_F(MemcachedNodeSmallItemsTest, AppendLineThatCannotFitLeavesTheEverythingLine) {
  const std::string key = "list";
  const std::string almost_full(1024 * 1024 - 64 - key.size() - 4, 'x');
  ASSERT_EQ(node_.set(key, almost_full, 60).reply, Reply::kOk);
  NodeOutcome appended = node_.append_line(key, "0123456789abcdef\n", "*\n", 60);
  ASSERT_EQ(appended.reply, Reply::kOk) << appended.message;
  EXPECT_EQ(server_.get(key), "*\n");
  ASSERT_EQ(node_.append_line(key, "0123456789abcdef\n", "*\n", 60).reply, Reply::kOk);
  EXPECT_EQ(server_.get(key), "*\n0123456789abcdef\n");
}

}  // namespace
}  // namespace clustered
