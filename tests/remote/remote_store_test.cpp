// SPDX-License-Identifier: BSD-3-Clause
#include "remote/remote_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "store/memcached_node.h"
#include "support/memcached_server.h"
#include "util/clock.h"
#include "util/entropy.h"

namespace clustered {
namespace {

using clustered::testing::MemcachedServer;
using SteadyClock = std::chrono::steady_clock;

Timeouts test_timeouts() {
  Timeouts timeouts;
  timeouts.connect = std::chrono::milliseconds(100);
  timeouts.io = std::chrono::milliseconds(250);
  return timeouts;
}

NodeAddress dead_address(const std::string& id) {
  NodeAddress address;
  address.id = id;
  address.host = "127.0.0.1";
  address.port = clustered::testing::free_port();
  return address;
}

// The decoded copy that `server` holds for `key`, read over a raw socket.
std::optional<StoredValue> stored_on(const MemcachedServer& server, const std::string& key) {
  const auto raw = server.get(key);
  if (!raw) return std::nullopt;
  auto decoded = decode_value(*raw);
  EXPECT_TRUE(decoded.ok()) << "not a versioned value: " << decoded.error();
  if (!decoded.ok()) return std::nullopt;
  return *decoded;
}

std::string payload_on(const MemcachedServer& server, const std::string& key) {
  const auto copy = stored_on(server, key);
  return copy ? copy->payload : "<no copy>";
}

std::uint64_t version_on(const MemcachedServer& server, const std::string& key) {
  const auto copy = stored_on(server, key);
  return copy ? copy->version : 0;
}

using ReadResult = Result<std::optional<RemoteCopy>>;

// A read that found a copy; otherwise says what it got instead.
::testing::AssertionResult found(const ReadResult& read) {
  if (!read.ok()) return ::testing::AssertionFailure() << "failed: " << read.error();
  if (!read->has_value()) return ::testing::AssertionFailure() << "missing";
  return ::testing::AssertionSuccess();
}

// A read that answered "no copy anywhere" (not a failure).
::testing::AssertionResult missing(const ReadResult& read) {
  if (!read.ok()) return ::testing::AssertionFailure() << "failed: " << read.error();
  if (read->has_value()) return ::testing::AssertionFailure() << "found a copy";
  return ::testing::AssertionSuccess();
}

// A read that failed with `code`.
::testing::AssertionResult failed_with(const ReadResult& read, Cause code) {
  if (read.ok()) return ::testing::AssertionFailure() << (read->has_value() ? "found" : "missing");
  if (read.failure().cause != code) {
    return ::testing::AssertionFailure() << "failed with " << describe(read.failure().cause)
                                         << ", not " << describe(code) << ": " << read.error();
  }
  return ::testing::AssertionSuccess();
}

std::map<std::string, std::uint64_t> round_trips(const MemcachedServer& server) {
  std::map<std::string, std::uint64_t> counts;
  for (const char* name : {"cmd_get", "cmd_set", "cmd_touch", "delete_hits", "delete_misses"}) {
    counts[name] = server.stat(name);
  }
  return counts;
}

std::map<std::string, std::uint64_t> delta(const std::map<std::string, std::uint64_t>& before,
                                           const std::map<std::string, std::uint64_t>& after) {
  std::map<std::string, std::uint64_t> result;
  for (const auto& [name, value] : after) result[name] = value - before.at(name);
  return result;
}

class RemoteStoreTest : public ::testing::Test {
 protected:
  // A store over the first `count` servers (started on demand), named n1, n2, ...
  std::unique_ptr<RemoteStore> make_store(std::size_t count, unsigned replicas = 0,
                                          std::int64_t retry_ms = 2000,
                                          NodeHealthTable* health = nullptr) {
    while (servers_.size() < count) servers_.push_back(std::make_unique<MemcachedServer>());
    std::vector<NodeAddress> nodes;
    for (std::size_t i = 0; i < count; ++i) {
      nodes.push_back(servers_[i]->address("n" + std::to_string(i + 1)));
    }
    return make_store_for(std::move(nodes), replicas, retry_ms, health);
  }

  std::unique_ptr<RemoteStore> make_store_for(std::vector<NodeAddress> nodes, unsigned replicas,
                                              std::int64_t retry_ms,
                                              NodeHealthTable* health = nullptr) {
    RemoteOptions options;
    options.retry_interval_ms = retry_ms;
    options.replicas = replicas;
    return std::make_unique<RemoteStore>(memcached_nodes(std::move(nodes), test_timeouts()),
                                         options, health != nullptr ? health : health_.get(),
                                         counters_, system_clock(), system_entropy());
  }

  MemcachedServer& server(std::size_t index) { return *servers_[index]; }

  std::unique_ptr<NodeHealthTable> health_ = std::make_unique<NodeHealthTable>();
  Counters counters_;
  std::vector<std::unique_ptr<MemcachedServer>> servers_;
};

TEST_F(RemoteStoreTest, IndexAndAddresses) {
  auto store = make_store(2);
  EXPECT_EQ(store->node_count(), 2u);
  EXPECT_EQ(store->index_of("n1"), 0u);
  EXPECT_EQ(store->index_of("n2"), 1u);
  EXPECT_EQ(store->index_of("n3"), std::nullopt);
  EXPECT_EQ(store->index_of(""), std::nullopt);
  EXPECT_EQ(store->address(1).port, server(1).port());
  EXPECT_TRUE(store->is_up(0));
  EXPECT_EQ(store->failures(0), 0u);
}

TEST_F(RemoteStoreTest, WritePutsVersionedCopyOnExactlyTheNamedNode) {
  auto store = make_store(2);
  for (std::size_t primary : {0u, 1u}) {
    SCOPED_TRACE(primary);
    const std::string key = "sess.key" + std::to_string(primary);
    const std::string payload("pay\0load", 8);
    const auto written = store->write(primary, key, 7 + primary, payload, 60);
    ASSERT_TRUE(written.ok()) << written.error();
    EXPECT_EQ(written->replica_errors, "");
    const auto copy = stored_on(server(primary), key);
    ASSERT_TRUE(copy.has_value());
    EXPECT_EQ(copy->version, 7 + primary);
    EXPECT_EQ(copy->payload, payload);
    EXPECT_EQ(server(1 - primary).get(key), std::nullopt) << "copy on the other node";
  }
}

TEST_F(RemoteStoreTest, PayloadIsOpaqueBytes) {
  auto store = make_store(1);
  const std::string payload = std::string("a\0b\r\nEND\r\n", 10) + std::string(300000, '\xff');
  ASSERT_TRUE(store->write(0, "sess.bin", 1, payload, 60).ok());
  const auto read = store->read(0, "sess.bin");
  ASSERT_TRUE(found(read));
  EXPECT_EQ((*read)->value.payload, payload);
}

TEST_F(RemoteStoreTest, OneWriteIsOneSetPerCopy) {
  auto store = make_store(2);
  const auto before0 = round_trips(server(0));
  const auto before1 = round_trips(server(1));
  ASSERT_TRUE(store->write(1, "sess.k", 1, "v", 60).ok());
  EXPECT_EQ(delta(before0, round_trips(server(0)))["cmd_set"], 0u);
  const auto on_primary = delta(before1, round_trips(server(1)));
  EXPECT_EQ(on_primary.at("cmd_set"), 1u);
  EXPECT_EQ(on_primary.at("cmd_get"), 0u);
  EXPECT_EQ(counters_.remote_writes.load(), 1u);
}

TEST_F(RemoteStoreTest, ReplicaGoesToTheNextNodeInRingOrder) {
  auto store = make_store(3, /*replicas=*/1);
  EXPECT_EQ(store->copy_nodes(0), (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(store->copy_nodes(2), (std::vector<std::size_t>{2, 0}));

  ASSERT_TRUE(store->write(1, "sess.a", 5, "A", 60).ok());
  EXPECT_EQ(server(0).get("sess.a"), std::nullopt);
  EXPECT_EQ(payload_on(server(1), "sess.a"), "A");
  EXPECT_EQ(payload_on(server(2), "sess.a"), "A");
  EXPECT_EQ(version_on(server(2), "sess.a"), 5u);

  ASSERT_TRUE(store->write(2, "sess.b", 6, "B", 60).ok());  // wraps around
  EXPECT_EQ(payload_on(server(2), "sess.b"), "B");
  EXPECT_EQ(payload_on(server(0), "sess.b"), "B");
  EXPECT_EQ(server(1).get("sess.b"), std::nullopt);
}

// A node save_path dropped placed its replicas by a ring this app node no longer
// knows (the nodes listed around it then): a forward or tombstone under one of its
// keys also ends an older copy on any listed node, and leaves a newer one and an
// empty key alone (docs/design.md, "save_path roles").
TEST_F(RemoteStoreTest, ForwardOffADroppedNodeEndsOlderCopiesOnEveryListedNode) {
  auto plain = make_store(3);
  ASSERT_TRUE(plain->write(2, "sess.k", 5, "old", 60).ok());     // n3: the old ring's replica
  ASSERT_TRUE(plain->write(2, "sess.new", 50, "new", 60).ok());  // n3: newer than the forward
  std::vector<NodeAddress> nodes{server(0).address("n1"), server(2).address("n3"),
                                 server(1).address("n2")};
  nodes[2].role = NodeRole::kDraining;
  nodes[2].departed = true;
  auto store = make_store_for(nodes, /*replicas=*/1, 2000);
  EXPECT_EQ(store->copy_nodes(2), (std::vector<std::size_t>{2, 0}));  // reads: as before

  ASSERT_TRUE(store->write_forward(2, "sess.k", "target-id", 9, 60).ok());
  EXPECT_EQ(payload_on(server(2), "sess.k"), "target-id");
  EXPECT_EQ(version_on(server(2), "sess.k"), 9u);
  ASSERT_TRUE(store->write_forward(2, "sess.new", "target-id", 9, 60).ok());
  EXPECT_EQ(payload_on(server(2), "sess.new"), "new");
  EXPECT_EQ(version_on(server(2), "sess.new"), 50u);

  auto unreplicated = make_store_for(nodes, /*replicas=*/0, 2000);
  ASSERT_TRUE(plain->write(2, "sess.u", 5, "old", 60).ok());
  ASSERT_TRUE(unreplicated->write_forward(2, "sess.u", "target-id", 9, 60).ok());
  EXPECT_EQ(payload_on(server(2), "sess.u"), "old");  // no replicas: no old ring's copy
}

// Another app node's save_path (a rolling change) placed the key's replica by
// its ring, on a node this ring does not name: a forward or tombstone ends that
// older copy too, also when the store node is listed here (docs/design.md,
// "save_path roles").
TEST_F(RemoteStoreTest, ForwardEndsTheCopyAnotherSavePathsRingPlaced) {
  auto plain = make_store(3);
  ASSERT_TRUE(plain->write(2, "sess.k", 5, "old", 60).ok());  // n3: the other ring's replica
  auto store = make_store(3, /*replicas=*/1);
  const std::vector<std::size_t> ring = store->copy_nodes(0);
  ASSERT_EQ(ring.size(), 2u);
  ASSERT_EQ(std::count(ring.begin(), ring.end(), 2u), 0);  // this ring does not name n3

  ASSERT_TRUE(store->write_tombstone(0, "sess.k", 9, 60, 0, 0).ok());
  EXPECT_EQ(payload_on(server(2), "sess.k"), "");
  EXPECT_EQ(version_on(server(2), "sess.k"), 9u);
}

// The replica this save_path placed before it dropped its node: the node is
// still known (departed), and an end of the key reaches it there too.
TEST_F(RemoteStoreTest, TombstoneEndsTheCopyOnANodeThisSavePathDropped) {
  auto plain = make_store(3);
  ASSERT_TRUE(plain->write(2, "sess.k", 5, "old", 60).ok());  // n3: the old ring's replica
  std::vector<NodeAddress> nodes{server(0).address("n1"), server(1).address("n2"),
                                 server(2).address("n3")};
  nodes[2].role = NodeRole::kDraining;
  nodes[2].departed = true;
  auto store = make_store_for(nodes, /*replicas=*/1, 2000);

  ASSERT_TRUE(store->write_tombstone(0, "sess.k", 9, 60, 0, 0).ok());
  EXPECT_EQ(payload_on(server(2), "sess.k"), "");
  EXPECT_EQ(version_on(server(2), "sess.k"), 9u);
}

TEST_F(RemoteStoreTest, ReplicasAreCappedByTheNodeCount) {
  auto store = make_store(3, /*replicas=*/7);
  EXPECT_EQ(store->copy_nodes(1), (std::vector<std::size_t>{1, 2, 0}));
  auto single = make_store(1, /*replicas=*/2);
  EXPECT_EQ(single->copy_nodes(0), (std::vector<std::size_t>{0}));
}

TEST_F(RemoteStoreTest, OneReadIsExactlyOneGet) {
  auto store = make_store(2, /*replicas=*/1);
  ASSERT_TRUE(store->write(0, "sess.k", 42, "data", 60).ok());
  const auto before0 = round_trips(server(0));
  const auto before1 = round_trips(server(1));
  const std::uint64_t reads_before = counters_.remote_reads.load();

  const auto read = store->read(0, "sess.k");
  ASSERT_TRUE(found(read));
  EXPECT_EQ((*read)->value.version, 42u);
  EXPECT_EQ((*read)->value.payload, "data");
  EXPECT_EQ((*read)->node, 0u);
  // The primary's copy is enough: the replica is not asked.
  EXPECT_EQ(delta(before0, round_trips(server(0)))["cmd_get"], 1u);
  EXPECT_EQ(delta(before1, round_trips(server(1)))["cmd_get"], 0u);
  EXPECT_EQ(counters_.remote_reads.load(), reads_before + 1);
}

TEST_F(RemoteStoreTest, MissingEverywhereIsMissingNotFailed) {
  auto store = make_store(2, /*replicas=*/1);
  const auto read = store->read(1, "sess.none");
  EXPECT_TRUE(missing(read));
  auto plain = make_store(2);
  EXPECT_TRUE(missing(plain->read(0, "sess.none")));
}

TEST_F(RemoteStoreTest, ReadFallsBackToTheReplicaWhenThePrimaryIsStopped) {
  auto store = make_store(2, /*replicas=*/1);
  ASSERT_TRUE(store->write(0, "sess.k", 3, "safe", 60).ok());
  server(0).stop();
  const auto read = store->read(0, "sess.k");
  ASSERT_TRUE(found(read));
  EXPECT_EQ((*read)->value.payload, "safe");
  EXPECT_EQ((*read)->value.version, 3u);
  EXPECT_EQ((*read)->node, 1u);
  EXPECT_FALSE(store->is_up(0));
}

TEST_F(RemoteStoreTest, ReadFallsBackWhenThePrimaryWasRestartedEmpty) {
  auto store = make_store(2, /*replicas=*/1);
  ASSERT_TRUE(store->write(1, "sess.k", 3, "safe", 60).ok());
  server(1).restart();
  auto read = store->read(1, "sess.k");
  for (int attempt = 0; attempt < 30 && !read.ok(); ++attempt) {
    // The old connection died with the restart; the node is retried after 2 s at
    // most, and the replica already answers meanwhile.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    read = store->read(1, "sess.k");
  }
  ASSERT_TRUE(found(read));
  EXPECT_EQ((*read)->value.payload, "safe");
  EXPECT_EQ((*read)->node, 0u);
}

// Of two copies the higher version wins, whichever replica holds it. Regression:
// read() stopped at the first replica that had any copy.
TEST_F(RemoteStoreTest, HigherVersionWinsWhenThePrimaryIsDown) {
  auto store = make_store(3, /*replicas=*/2);
  ASSERT_TRUE(server(1).set("sess.k", encode_value(3, "older")));
  ASSERT_TRUE(server(2).set("sess.k", encode_value(9, "newer")));
  ASSERT_TRUE(server(1).set("sess.j", encode_value(12, "newer")));
  ASSERT_TRUE(server(2).set("sess.j", encode_value(4, "older")));
  server(0).stop();

  auto read = store->read(0, "sess.k");
  ASSERT_TRUE(found(read));
  EXPECT_EQ((*read)->value.version, 9u);
  EXPECT_EQ((*read)->value.payload, "newer");
  EXPECT_EQ((*read)->node, 2u);

  read = store->read(0, "sess.j");
  ASSERT_TRUE(found(read));
  EXPECT_EQ((*read)->value.version, 12u);
  EXPECT_EQ((*read)->value.payload, "newer");
  EXPECT_EQ((*read)->node, 1u);
}

TEST_F(RemoteStoreTest, HigherVersionWinsWhenThePrimaryHasNoCopy) {
  auto store = make_store(3, /*replicas=*/2);
  ASSERT_TRUE(server(1).set("sess.k", encode_value(3, "older")));
  ASSERT_TRUE(server(2).set("sess.k", encode_value(9, "newer")));
  const auto read = store->read(0, "sess.k");
  ASSERT_TRUE(found(read));
  EXPECT_EQ((*read)->value.version, 9u);
}

TEST_F(RemoteStoreTest, PrimaryDownAndNoCopyElsewhereIsAFailureNotAMiss) {
  auto store = make_store(2, /*replicas=*/1);
  server(0).stop();
  const auto read = store->read(0, "sess.none");
  // Stopped: the connection is refused, the node is down (not a timeout).
  ASSERT_TRUE(failed_with(read, Cause::kDown));
  EXPECT_NE(read.error().find("n1"), std::string::npos) << read.error();
  EXPECT_NE(read.error().find(server(0).endpoint()), std::string::npos) << read.error();

  auto plain = make_store(2);
  const auto alone = plain->read(0, "sess.none");
  ASSERT_TRUE(failed_with(alone, Cause::kDown));
  EXPECT_FALSE(alone.error().empty());
}

TEST_F(RemoteStoreTest, ForeignBytesOnThePrimaryAreNotASession) {
  auto store = make_store(1);
  ASSERT_TRUE(server(0).set("sess.k", "user|s:5:\"alice\";"));
  const auto read = store->read(0, "sess.k");
  // The node answered; the item is not ours to read: refused, not a node failure.
  ASSERT_TRUE(failed_with(read, Cause::kRefused));
  EXPECT_NE(read.error().find("header"), std::string::npos) << read.error();
  EXPECT_TRUE(store->is_up(0));
}

TEST_F(RemoteStoreTest, WriteWithThePrimaryDownIsNotStoredButReachesTheReplica) {
  auto store = make_store(2, /*replicas=*/1);
  server(0).stop();
  const auto written = store->write(0, "sess.k", 1, "v", 60);
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.failure().cause, Cause::kDown) << written.error();
  EXPECT_NE(written.error().find("n1"), std::string::npos) << written.error();
  EXPECT_EQ(payload_on(server(1), "sess.k"), "v");
}

TEST_F(RemoteStoreTest, RemoveDeletesEveryCopyAndAMissingKeyIsFine) {
  auto store = make_store(2, /*replicas=*/1);
  const Status none = store->remove(0, "sess.none");
  EXPECT_TRUE(none.ok()) << none.error();

  ASSERT_TRUE(store->write(1, "sess.k", 1, "v", 60).ok());
  ASSERT_TRUE(server(0).get("sess.k").has_value());
  const Status removed = store->remove(1, "sess.k");
  EXPECT_TRUE(removed.ok()) << removed.error();
  EXPECT_EQ(server(0).get("sess.k"), std::nullopt);
  EXPECT_EQ(server(1).get("sess.k"), std::nullopt);
}

TEST_F(RemoteStoreTest, RemoveOnADeadNodeFails) {
  auto store = make_store(1);
  server(0).stop();
  const Status removed = store->remove(0, "sess.k");
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.failure().cause, Cause::kDown) << removed.error();
  EXPECT_NE(removed.error().find("n1"), std::string::npos) << removed.error();
}

TEST_F(RemoteStoreTest, Touch) {
  auto store = make_store(2, /*replicas=*/1);
  ASSERT_TRUE(store->write(0, "sess.k", 1, "v", 60).ok());
  const auto before = round_trips(server(0));
  const auto touched = store->touch(0, "sess.k", 600);
  ASSERT_TRUE(touched.ok()) << touched.error();
  EXPECT_TRUE(*touched);
  EXPECT_EQ(delta(before, round_trips(server(0)))["cmd_touch"], 1u);
  EXPECT_GT(server(0).ttl_left("sess.k").value_or(-1), 500);
  EXPECT_GT(server(1).ttl_left("sess.k").value_or(-1), 500);

  // Gone: not a failure, the caller writes it in full.
  const auto gone = store->touch(0, "sess.none", 600);
  ASSERT_TRUE(gone.ok()) << gone.error();
  EXPECT_FALSE(*gone);

  // The replica lost its copy: the caller must write in full.
  ASSERT_TRUE(server(0).set("sess.only", encode_value(1, "v")));
  const auto replica_gone = store->touch(0, "sess.only", 600);
  ASSERT_TRUE(replica_gone.ok()) << replica_gone.error();
  EXPECT_FALSE(*replica_gone);

  server(0).stop();
  // The primary failed and the replica still had its copy: a failure, not "gone".
  const auto down = store->touch(0, "sess.k", 600);
  ASSERT_FALSE(down.ok());
  EXPECT_TRUE(node_failed(down.failure().cause));
  EXPECT_EQ(down.failure().cause, Cause::kDown) << down.error();
  EXPECT_NE(down.error().find("n1"), std::string::npos) << down.error();
}

TEST_F(RemoteStoreTest, FailedNodeIsSkippedUntilTheRetryIntervalPasses) {
  auto store = make_store(1, 0, /*retry_ms=*/400);
  ASSERT_TRUE(store->write(0, "sess.k", 1, "v", 60).ok());
  server(0).stop();
  EXPECT_TRUE(failed_with(store->read(0, "sess.k"), Cause::kDown));
  EXPECT_FALSE(store->is_up(0));
  EXPECT_EQ(store->failures(0), 1u);

  // The node is back, but this retry interval it is not even tried.
  server(0).restart();
  ASSERT_TRUE(server(0).set("sess.k", encode_value(2, "back")));
  const auto skipped = store->read(0, "sess.k");
  ASSERT_TRUE(failed_with(skipped, Cause::kDown));
  EXPECT_NE(skipped.error().find("marked down"), std::string::npos) << skipped.error();
  EXPECT_EQ(store->failures(0), 1u);

  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  EXPECT_TRUE(store->is_up(0));
  auto read = store->read(0, "sess.k");
  for (int attempt = 0; attempt < 20 && !read.ok(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(450));  // the node's retry interval
    read = store->read(0, "sess.k");
  }
  ASSERT_TRUE(found(read));
  EXPECT_EQ((*read)->value.payload, "back");
  EXPECT_TRUE(store->is_up(0));
}

// Two processes of one app node share the health table: when one has paid the
// timeout, the other skips the node without trying it.
TEST_F(RemoteStoreTest, HealthIsSharedBetweenStoresOfOneNode) {
  auto first = make_store(2, 0, /*retry_ms=*/60000);
  auto second = make_store(2, 0, /*retry_ms=*/60000);
  ASSERT_TRUE(second->write(0, "sess.k", 1, "v", 60).ok());
  server(0).stop();
  EXPECT_TRUE(failed_with(first->read(0, "sess.k"), Cause::kDown));
  server(0).restart();
  ASSERT_TRUE(server(0).set("sess.k", encode_value(1, "v")));

  EXPECT_FALSE(second->is_up(0));
  const auto before = round_trips(server(0));
  const auto read = second->read(0, "sess.k");
  ASSERT_TRUE(failed_with(read, Cause::kDown));
  EXPECT_NE(read.error().find("marked down"), std::string::npos) << read.error();
  EXPECT_EQ(delta(before, round_trips(server(0)))["cmd_get"], 0u);
  // The other node is unaffected.
  EXPECT_TRUE(second->is_up(1));
  EXPECT_TRUE(second->write(1, "sess.k", 1, "v", 60).ok());

  // A store with its own table (another app node) does try.
  NodeHealthTable other_table;
  auto other = make_store(2, 0, 60000, &other_table);
  EXPECT_TRUE(found(other->read(0, "sess.k")));
}

TEST_F(RemoteStoreTest, NothingListeningFailsAndIsMarkedDown) {
  std::vector<NodeAddress> nodes{dead_address("n1")};
  auto store = make_store_for(nodes, 0, 2000);
  const auto start = SteadyClock::now();
  EXPECT_TRUE(failed_with(store->read(0, "sess.k"), Cause::kDown));
  const auto written = store->write(0, "sess.k", 1, "v", 60);
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.failure().cause, Cause::kDown) << written.error();
  EXPECT_LT(std::chrono::duration<double>(SteadyClock::now() - start).count(), 3.0);
  EXPECT_FALSE(store->is_up(0));
  EXPECT_EQ(store->failures(0), 1u);  // the write was skipped, not tried again
}

TEST_F(RemoteStoreTest, FrozenNodeFailsWithinTheIoTimeout) {
  auto store = make_store(1);
  ASSERT_TRUE(store->write(0, "sess.k", 1, "v", 60).ok());
  server(0).freeze();
  const auto start = SteadyClock::now();
  const auto read = store->read(0, "sess.k");
  const double took = std::chrono::duration<double>(SteadyClock::now() - start).count();
  server(0).thaw();
  EXPECT_TRUE(failed_with(read, Cause::kTimeout));
  EXPECT_LT(took, 3.0);
  EXPECT_FALSE(store->is_up(0));
}

TEST_F(RemoteStoreTest, PickLiveNodeSkipsDeadNodes) {
  auto store = make_store(2);
  std::set<std::size_t> picked;
  for (int i = 0; i < 40; ++i) picked.insert(store->pick_live_node().value());
  EXPECT_EQ(picked, (std::set<std::size_t>{0, 1}));  // random among live nodes

  server(0).stop();
  // A process without an open connection to it finds out by connecting.
  NodeHealthTable fresh_table;
  auto fresh = make_store(2, 0, 2000, &fresh_table);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(fresh->pick_live_node(), 1u);
  EXPECT_FALSE(fresh->is_up(0));
  // One whose connection was open learns it from the first failure (shared).
  EXPECT_TRUE(failed_with(store->read(0, "sess.k"), Cause::kDown));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(store->pick_live_node(), 1u);
  server(1).stop();
  NodeHealthTable another_table;
  EXPECT_EQ(make_store(2, 0, 2000, &another_table)->pick_live_node(), std::nullopt);
}

TEST_F(RemoteStoreTest, PickLiveNodeCostsNoItemOperation) {
  auto store = make_store(1);
  const auto before = round_trips(server(0));
  ASSERT_EQ(store->pick_live_node(), 0u);
  const auto used = delta(before, round_trips(server(0)));
  EXPECT_EQ(used.at("cmd_get"), 0u);
  EXPECT_EQ(used.at("cmd_set"), 0u);
}

TEST_F(RemoteStoreTest, RendezvousIsStableAndSpreadsAndMovesLittle) {
  std::vector<NodeAddress> two{dead_address("a"), dead_address("b")};
  std::vector<NodeAddress> three{two[0], two[1], dead_address("c")};
  auto small = make_store_for(two, 0, 2000);
  auto large = make_store_for(three, 0, 2000);
  std::map<std::size_t, int> spread;
  int moved = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string id = "session" + std::to_string(i);
    const std::size_t before = small->rendezvous_node(id);
    EXPECT_EQ(small->rendezvous_node(id), before);
    ++spread[before];
    const std::size_t after = large->rendezvous_node(id);
    if (after != before) {
      EXPECT_EQ(after, 2u) << "an id moved between two old nodes";
      ++moved;
    }
  }
  EXPECT_GT(spread[0], 1200);
  EXPECT_GT(spread[1], 1200);
  EXPECT_GT(moved, 600);  // about a third goes to the new node
  EXPECT_LT(moved, 1400);
}

// ------------------------------------------------------------ plain items (takeover notices)

TEST_F(RemoteStoreTest, GetPlainReadsRawBytesAndAMissingKeyIsNullopt) {
  auto store = make_store(1);
  const auto none = store->get_plain(0, "notices");
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_EQ(*none, std::nullopt);
  ASSERT_TRUE(server(0).set("notices", "a\nb\n"));
  const auto got = store->get_plain(0, "notices");
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(*got, std::optional<std::string>("a\nb\n"));
  server(0).stop();
  const auto down = store->get_plain(0, "notices");
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.failure().cause, Cause::kDown) << down.error();
  EXPECT_NE(down.error().find("n1"), std::string::npos) << down.error();
}

// A notice list is created with its head and lives its TTL after its last line
// (docs/design.md, "Forwards and notices": a reader that checks within the gap has read every line
// before the list can expire, whatever the clocks say).
TEST_F(RemoteStoreTest, AppendLineCreatesWithTheHeadAndKeepsTheListAliveFromItsLastLine) {
  auto store = make_store(1);
  Status appended = store->append_line(0, "list", "a\n", "H\n", "H\n*\n", 100);
  ASSERT_TRUE(appended.ok()) << appended.error();
  appended = store->append_line(0, "list", "b\n", "H\n", "H\n*\n", 5000);
  ASSERT_TRUE(appended.ok()) << appended.error();
  EXPECT_EQ(server(0).get("list"), "H\na\nb\n");
  const auto ttl = server(0).ttl_left("list");
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, 4900) << "an append must extend the list's life";
  // An existing list: one append and one touch.
  const std::uint64_t sets = server(0).stat("cmd_set");
  const std::uint64_t touches = server(0).stat("cmd_touch");
  appended = store->append_line(0, "list", "c\n", "H\n", "H\n*\n", 100);
  ASSERT_TRUE(appended.ok()) << appended.error();
  EXPECT_EQ(server(0).stat("cmd_set") - sets, 1u);
  EXPECT_EQ(server(0).stat("cmd_touch") - touches, 1u);
  EXPECT_EQ(server(0).get("list"), "H\na\nb\nc\n");
}

TEST_F(RemoteStoreTest, AppendLineOnADeadNodeFailsAndMarksItDown) {
  auto store = make_store(1);
  server(0).stop();
  const Status appended = store->append_line(0, "list", "a\n", "H\n", "H\n*\n", 100);
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.failure().cause, Cause::kDown) << appended.error();
  EXPECT_NE(appended.error().find("n1"), std::string::npos) << appended.error();
  EXPECT_FALSE(store->is_up(0));
}

// A write the primary refuses because another request wrote there since
// (EXISTS) is refused whole: the replica keeps the copy that other request
// wrote. Set there, the refused value would be served whenever the primary does
// not answer (a refused move's forward made cluster_sim --mix everything seed
// 5740 meet a forward cycle on the replica and start the session empty).
TEST_F(RemoteStoreTest, WriteThePrimaryRefusesLeavesTheReplicasAlone) {
  auto store = make_store(2, /*replicas=*/1);
  const auto first = store->write(0, "sess.r", 1, "read", 60);
  ASSERT_TRUE(first.ok()) << first.error();
  const auto since = store->write(0, "sess.r", 2, "written since", 60, first->cas);
  ASSERT_TRUE(since.ok()) << since.error();

  const auto refused = store->write(0, "sess.r", 3, "refused", 60, first->cas);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.failure().cause, Cause::kExists) << refused.error();
  const auto forward = store->write_forward(0, "sess.r", "new-id", 4, 60, first->cas);
  ASSERT_FALSE(forward.ok());
  EXPECT_EQ(forward.failure().cause, Cause::kExists) << forward.error();

  EXPECT_EQ(payload_on(server(0), "sess.r"), "written since");
  EXPECT_EQ(payload_on(server(1), "sess.r"), "written since");
  EXPECT_EQ(version_on(server(1), "sess.r"), 2u);
}

class RemoteStoreSmallItemsTest : public ::testing::Test {
 protected:
  RemoteStore make_store() {
    return RemoteStore(memcached_nodes({server_.address("n1")}, test_timeouts()), RemoteOptions{},
                       &health_, counters_, system_clock(), system_entropy());
  }

  MemcachedServer server_{MemcachedServer::Options{"1m", {}}};
  NodeHealthTable health_;
  Counters counters_;
};

TEST_F(RemoteStoreSmallItemsTest, OversizeWriteIsRefusedAndTheStoredCopyStays) {
  RemoteStore store = make_store();
  ASSERT_TRUE(store.write(0, "sess.k", 1, "small", 60).ok());
  const auto big = store.write(0, "sess.k", 2, std::string(2 << 20, 'x'), 60);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.failure().cause, Cause::kTooLarge) << big.error();
  EXPECT_NE(big.error().find("n1"), std::string::npos) << big.error();
  // Refused is an answer, not a node failure.
  EXPECT_TRUE(store.is_up(0));
  EXPECT_EQ(store.failures(0), 0u);
  const auto raw = server_.get("sess.k");
  ASSERT_TRUE(raw.has_value()) << "memcached dropped the stored copy";
  EXPECT_EQ(decode_value(*raw)->payload, "small");
  const auto read = store.read(0, "sess.k");
  ASSERT_TRUE(found(read));
  EXPECT_EQ((*read)->value.version, 1u);
}

// A list that would outgrow the node's item size limit is replaced by the line
// that stands for everything, never left short of what was appended.
TEST_F(RemoteStoreSmallItemsTest, AppendLineThatCannotFitLeavesTheEverythingLine) {
  RemoteStore store = make_store();
  const std::string key = "list";
  const std::string almost_full(1024 * 1024 - 64 - key.size() - 4, 'x');
  ASSERT_TRUE(server_.set(key, almost_full, 60));
  Status appended = store.append_line(0, key, "0123456789abcdef\n", "H\n", "H\n*\n", 60);
  ASSERT_TRUE(appended.ok()) << appended.error();
  EXPECT_EQ(server_.get(key), "H\n*\n0123456789abcdef\n");
  appended = store.append_line(0, key, "0123456789abcdef\n", "H\n", "H\n*\n", 60);
  ASSERT_TRUE(appended.ok()) << appended.error();
  EXPECT_EQ(server_.get(key), "H\n*\n0123456789abcdef\n0123456789abcdef\n");
  // The item's refusal to grow is an answer: the node stays up.
  EXPECT_TRUE(store.is_up(0));
  EXPECT_EQ(store.failures(0), 0u);
}

// The nodes a ring already read are not asked again: the newest copy among the
// other nodes is found, and the skipped node's newer copy is not.
TEST_F(RemoteStoreTest, ReadAnywhereSkipsTheNodesAlreadyRead) {
  auto store = make_store(3);
  const std::string key = "sess.skipped";
  ASSERT_TRUE(store->write(0, key, 9, "on n1", 60).ok());
  ASSERT_TRUE(store->write(2, key, 5, "on n3", 60).ok());
  const std::uint64_t gets_before = server(0).stat("cmd_get") + server(1).stat("cmd_get");
  const RemoteStore::Scan scan = store->read_anywhere(key, {0});
  ASSERT_TRUE(scan.copy.has_value());
  EXPECT_EQ(scan.copy->node, 2u);
  EXPECT_EQ(scan.copy->value.payload, "on n3");
  EXPECT_EQ(server(0).stat("cmd_get") + server(1).stat("cmd_get"), gets_before + 1)
      << "n1 was asked again";
  EXPECT_EQ(store->read_anywhere(key).copy->node, 0u);
}

}  // namespace
}  // namespace clustered
