// SPDX-License-Identifier: BSD-3-Clause
#include "remote/session_end.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "store/memcached_node.h"
#include "support/memcached_server.h"
#include "util/clock.h"
#include "util/entropy.h"

namespace clustered {
namespace {

using clustered::testing::MemcachedServer;

// One store over one real memcached, and the copies a request reads from it.
class EndSessionTest : public ::testing::Test {
 protected:
  EndSessionTest() {
    Timeouts timeouts;
    timeouts.connect = std::chrono::milliseconds(100);
    timeouts.io = std::chrono::milliseconds(250);
    store_ = std::make_unique<RemoteStore>(memcached_nodes({server_.address("n1")}, timeouts),
                                           RemoteOptions{}, &health_, counters_, system_clock(),
                                           system_entropy());
  }

  // What a request read: the version and token of the copy under `key`.
  CopyRead read(const std::string& key) {
    auto found = store_->read(0, key);
    EXPECT_TRUE(found.ok() && found->has_value());
    if (!found.ok() || !found->has_value()) return {};
    return {(*found)->value.version, (*found)->cas};
  }
  Status end(const std::string& key, CopyRead copy) {
    return end_session(*store_, 0, key, copy, copy.version + 1, 60);
  }
  std::optional<StoredValue> there(const std::string& key) {
    const auto raw = server_.get(key);
    if (!raw) return std::nullopt;
    auto decoded = decode_value(*raw);
    if (!decoded) return std::nullopt;
    return *decoded;
  }
  bool tombstone_under(const std::string& key) {
    const auto value = there(key);
    return value && is_tombstone(*value);
  }

  MemcachedServer server_;
  NodeHealthTable health_;
  Counters counters_;
  std::unique_ptr<RemoteStore> store_;
};

TEST_F(EndSessionTest, TheCopyReadIsReplacedByATombstone) {
  ASSERT_TRUE(store_->write(0, "sess.a", 5, "n|i:1;", 60).ok());
  ASSERT_TRUE(end("sess.a", read("sess.a")).ok());
  EXPECT_TRUE(tombstone_under("sess.a"));
  // A request that read the copy before cannot store it again, not even as
  // "the copy is gone" (the tombstone occupies the key).
  const auto late = store_->write(0, "sess.a", 6, "n|i:2;", 60, 12345);
  EXPECT_EQ(late.cause(), Cause::kExists) << late.error();
  EXPECT_TRUE(tombstone_under("sess.a"));
}

TEST_F(EndSessionTest, ACopyWrittenSinceIsAConflictAndStays) {
  ASSERT_TRUE(store_->write(0, "sess.b", 5, "n|i:1;", 60).ok());
  const CopyRead first = read("sess.b");
  ASSERT_TRUE(store_->write(0, "sess.b", 9, "n|i:2;", 60, first.cas).ok());
  const Status ended = end("sess.b", first);
  EXPECT_EQ(ended.cause(), Cause::kConflict) << ended.error();
  EXPECT_NE(ended.error().find("another request changed it"), std::string::npos) << ended.error();
  EXPECT_EQ(there("sess.b")->payload, "n|i:2;");
}

TEST_F(EndSessionTest, AForwardWrittenSinceIsAConflictNamingTheNewId) {
  ASSERT_TRUE(store_->write(0, "sess.c", 5, "n|i:1;", 60).ok());
  const CopyRead first = read("sess.c");
  ASSERT_TRUE(store_->write_forward(0, "sess.c", "new-id", 6, 60, first.cas).ok());
  const Status ended = end("sess.c", first);
  EXPECT_EQ(ended.cause(), Cause::kConflict) << ended.error();
  EXPECT_NE(ended.error().find("it is now new-id"), std::string::npos) << ended.error();
  EXPECT_EQ(there("sess.c")->payload, "new-id");
}

TEST_F(EndSessionTest, AnEndedSessionEndsAgainWithoutComplaint) {
  ASSERT_TRUE(store_->write(0, "sess.d", 5, "n|i:1;", 60).ok());
  const CopyRead first = read("sess.d");
  ASSERT_TRUE(end("sess.d", first).ok());
  EXPECT_TRUE(end("sess.d", first).ok()) << "a second logout of one session failed";
}

TEST_F(EndSessionTest, ACopyReadWithoutTokenIsEndedWhenItIsStillTheOneRead) {
  ASSERT_TRUE(store_->write(0, "sess.e", 5, "n|i:1;", 60).ok());
  EXPECT_TRUE(end("sess.e", CopyRead{5, 0}).ok());
  EXPECT_TRUE(tombstone_under("sess.e"));
  // An older copy (replayed, written back) is the session's past: ended too.
  ASSERT_TRUE(store_->write(0, "sess.f", 3, "n|i:0;", 60).ok());
  EXPECT_TRUE(end("sess.f", CopyRead{5, 0}).ok());
  EXPECT_TRUE(tombstone_under("sess.f"));
}

TEST_F(EndSessionTest, NothingThereLeavesATombstoneAndTheInOneWriteRetryRefusesOtherCopies) {
  // Read nothing (a retry of an end whose copy expired meanwhile): a tombstone
  // takes the empty key.
  EXPECT_TRUE(end_session_in_one_write(*store_, 0, "sess.g", CopyRead{0, 0}, 7, 60).ok());
  EXPECT_TRUE(tombstone_under("sess.g"));
  ASSERT_TRUE(store_->write(0, "sess.h", 5, "n|i:1;", 60).ok());
  const Status refused = end_session_in_one_write(*store_, 0, "sess.h", CopyRead{5, 1}, 7, 60);
  EXPECT_EQ(refused.cause(), Cause::kConflict) << refused.error();
  EXPECT_EQ(there("sess.h")->payload, "n|i:1;");
}

TEST_F(EndSessionTest, ADeadNodeIsAStoreFailureForTheCallerToRetry) {
  ASSERT_TRUE(store_->write(0, "sess.i", 5, "n|i:1;", 60).ok());
  const CopyRead first = read("sess.i");
  server_.stop();
  const Status ended = end("sess.i", first);
  EXPECT_FALSE(ended.ok());
  EXPECT_TRUE(node_failed(ended.cause())) << ended.error();
}

}  // namespace
}  // namespace clustered
