// SPDX-License-Identifier: BSD-3-Clause
// What a read of every copy tells its caller beside "missing" (RemoteStore::
// read_with_unopened, Found::unanswered), and when the server started as an app
// node's first look records it (restart_seen_at_ms): a store node's NOT_FOUND
// next to a replica that did not answer may be a copy that node lost in a
// restart (docs/design.md, section 8). On memcached models and a ManualClock.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "remote/remote_store.h"
#include "support/manual_clock.h"
#include "support/memcached_model.h"
#include "support/seeded_entropy.h"

namespace clustered::testing {
namespace {

NodeAddress model_address(const std::string& id, std::uint16_t port) {
  NodeAddress address;
  address.id = id;
  address.host = "model";
  address.port = port;
  return address;
}

class RemoteStoreUnansweredTest : public ::testing::Test {
 protected:
  static constexpr std::size_t kN1 = 0;
  static constexpr std::size_t kN2 = 1;

  RemoteStoreUnansweredTest() {
    n1_.on_timeout = [this] { clock_.advance_ms(250); };
    n2_.on_timeout = [this] { clock_.advance_ms(250); };
    std::vector<std::unique_ptr<StoreNode>> nodes;
    nodes.push_back(n1_.client(clock_));
    nodes.push_back(n2_.client(clock_));
    RemoteOptions options;
    options.retry_interval_ms = 500;
    options.replicas = 1;
    store_ = std::make_unique<RemoteStore>(std::move(nodes), options, health_.get(), counters_,
                                           clock_, entropy_);
  }

  // A read of every copy of `key`, whose primary is n2 (its replica is n1).
  Result<RemoteStore::Found> read_on_n2(const std::string& key) {
    return store_->read_with_unopened(kN2, key, /*every_copy=*/true);
  }

  ManualClock clock_;
  SeededEntropy entropy_;
  Counters counters_;
  std::unique_ptr<NodeHealthTable> health_ = std::make_unique<NodeHealthTable>();
  MemcachedModel n1_{model_address("n1", 11211), clock_};
  MemcachedModel n2_{model_address("n2", 11212), clock_};
  std::unique_ptr<RemoteStore> store_;
};

TEST_F(RemoteStoreUnansweredTest, MissBesideAReplicaThatTimesOutSaysWhichDidNotAnswer) {
  n1_.freeze();
  const auto found = read_on_n2("sess.a");
  ASSERT_TRUE(found.ok()) << found.error();
  EXPECT_FALSE(found->copy.has_value());
  ASSERT_TRUE(found->unanswered.has_value()) << "the replica may hold the session";
  EXPECT_EQ(found->unanswered->cause, Cause::kTimeout);
  EXPECT_NE(found->unanswered->message.find("memcached node n1"), std::string::npos)
      << found->unanswered->message;

  // Marked down now: skipped without a call, and still a replica that may hold it.
  const auto skipped = read_on_n2("sess.a");
  ASSERT_TRUE(skipped.ok()) << skipped.error();
  EXPECT_TRUE(skipped->unanswered.has_value()) << "a replica marked down after a timeout";
}

TEST_F(RemoteStoreUnansweredTest, NothingUnansweredWhenTheReplicaAnswersOrIsStopped) {
  const auto answered = read_on_n2("sess.a");
  ASSERT_TRUE(answered.ok()) << answered.error();
  EXPECT_FALSE(answered->copy.has_value());
  EXPECT_FALSE(answered->unanswered.has_value()) << "both said NOT_FOUND: missing";

  // A stopped memcached (connection refused) kept nothing.
  n1_.stop();
  const auto stopped = read_on_n2("sess.a");
  ASSERT_TRUE(stopped.ok()) << stopped.error();
  EXPECT_FALSE(stopped->copy.has_value());
  EXPECT_FALSE(stopped->unanswered.has_value()) << "a stopped replica holds nothing";
  EXPECT_TRUE(store_->stopped(kN1));
}

TEST_F(RemoteStoreUnansweredTest, NothingUnansweredWhenTheStoreNodeHasACopy) {
  ASSERT_TRUE(store_->write(kN2, "sess.a", 5, "v|i:1;", 1500).ok());
  n1_.freeze();
  const auto found = read_on_n2("sess.a");
  ASSERT_TRUE(found.ok()) << found.error();
  ASSERT_TRUE(found->copy.has_value());
  EXPECT_EQ(found->copy->value.payload, "v|i:1;");
  EXPECT_FALSE(found->unanswered.has_value());
}

TEST_F(RemoteStoreUnansweredTest, StoreNodeThatDoesNotAnswerIsAFailureAsBefore) {
  n2_.freeze();
  n1_.freeze();
  const auto found = read_on_n2("sess.a");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.failure().cause, Cause::kTimeout);
}

// The first look at a server cannot see a restart, so it records when the
// server started, by its uptime: also when that was before this app node's
// monotonic clock began (its machine booted later), as a time below 0, so how
// long ago it started can still be told.
TEST_F(RemoteStoreUnansweredTest, FirstLookRecordsTheServersStartEvenBeforeThisClocksZero) {
  ManualClock server_clock;
  MemcachedModel old_server{model_address("n3", 11213), server_clock};
  server_clock.advance_s(100000);  // up for more than a day
  std::vector<std::unique_ptr<StoreNode>> nodes;
  nodes.push_back(old_server.client(clock_));
  RemoteStore store(std::move(nodes), RemoteOptions{}, nullptr, counters_, clock_, entropy_);
  EXPECT_EQ(store.restart_seen_at_ms(0), 0) << "never looked";

  ASSERT_TRUE(store.read(0, "sess.a").ok());
  EXPECT_EQ(store.restart_seen_at_ms(0), clock_.monotonic_ms() - 100000 * 1000);

  // A server that started just now is recorded at this clock's now.
  const auto fresh = read_on_n2("sess.a");
  ASSERT_TRUE(fresh.ok()) << fresh.error();
  EXPECT_EQ(store_->restart_seen_at_ms(kN2), clock_.monotonic_ms());
}

}  // namespace
}  // namespace clustered::testing
