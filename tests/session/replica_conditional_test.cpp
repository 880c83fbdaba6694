// SPDX-License-Identifier: BSD-3-Clause
// With replicas, a move that read the session from a replica (its store node
// frozen) replaces that replica copy only if nobody wrote there since
// (docs/design.md, "Conditional writes"): two concurrent takeovers of one
// session never leave two live sessions. On memcached models and a ManualClock.
#include <gtest/gtest.h>

#include <string>

#include "session/handler_rig.h"

namespace clustered::testing {
namespace {

class ReplicaConditionalTest : public ModelHandlerTest {
 protected:
  // An app node whose sessions have one replica (their store node's neighbour).
  AppNode node_with_replica(const std::string& route) {
    HandlerConfig with_replica = config(route);
    with_replica.replicas = 1;
    return make_node(with_replica);
  }
  // Cuts `node` off from one memcached node (0: n1, 1: n2): every call times out.
  static void cut(AppNode& node, std::size_t server) {
    for (StoreOp op : {StoreOp::kGet, StoreOp::kSet, StoreOp::kAdd, StoreOp::kCas, StoreOp::kAppend,
                       StoreOp::kTouch, StoreOp::kRemove, StoreOp::kPing, StoreOp::kStats}) {
      node.link(server).fail(op, "", Failure::of(Cause::kTimeout, "cut off"));
    }
  }
};

TEST_F(ReplicaConditionalTest, TwoTakeoversFromTheReplicaWhileTheStoreIsFrozenNeverFork) {
  AppNode web1 = node_with_replica("web1");
  const std::string id = new_session_on(*web1.handler, n1_, "n|i:1;");  // replica on n2
  AppNode web2 = node_with_replica("web2");
  AppNode web3 = node_with_replica("web3");
  n1_.freeze();

  // Both read the replica's copy before either writes.
  const Started first = session_start(*web2.handler, id);
  ASSERT_TRUE(first.ok) << first.error;
  const Started second = session_start(*web3.handler, id);
  ASSERT_TRUE(second.ok) << second.error;
  ASSERT_EQ(first.data, "n|i:1;");
  ASSERT_EQ(second.data, "n|i:1;");
  ASSERT_NE(first.id, id);
  ASSERT_NE(second.id, id);

  EXPECT_TRUE(session_write_close(*web2.handler, first, "n|i:2;").ok());
  const Status late = session_write_close(*web3.handler, second, "n|i:2;");
  EXPECT_FALSE(late.ok()) << "the second takeover overwrote the first one's forward";
  EXPECT_EQ(late.cause(), Cause::kConflict) << late.error();

  // Every cookie leads to the one session: the old ID, the first and the
  // second takeover's IDs.
  AppNode web4 = node_with_replica("web4");
  int n = 2;
  for (const std::string& cookie : {id, first.id, second.id}) {
    const Started opened = session_start(*web4.handler, cookie);
    ASSERT_TRUE(opened.ok) << opened.error;
    EXPECT_EQ(opened.data, "n|i:" + std::to_string(n) + ";") << cookie << " opened another copy";
    ++n;
    EXPECT_TRUE(session_write_close(*web4.handler, opened, "n|i:" + std::to_string(n) + ";").ok())
        << cookie;
  }
}

// The owner moves the session from its cache while its store node is down (a
// relocation), after another node took it over from the replica: the owner never
// read the replica, so it has no token there, but it knows the version it holds.
// Its forward replaces the replica's copy only if that holds this version or an
// older one; the takeover's forward is newer, so the relocation is refused (was:
// a plain set over the takeover's forward, and the session forked in two).
TEST_F(ReplicaConditionalTest, RelocationFromTheOwnersCacheNeverOverwritesATakeoversForward) {
  AppNode web1 = node_with_replica("web1");
  const std::string id = new_session_on(*web1.handler, n1_, "n|i:1;");  // replica on n2
  AppNode web2 = node_with_replica("web2");
  n1_.stop();

  const Started taken = session_start(*web2.handler, id);  // from the replica
  ASSERT_TRUE(taken.ok) << taken.error;
  ASSERT_NE(taken.id, id);
  ASSERT_TRUE(session_write_close(*web2.handler, taken, "n|i:2;").ok());

  const Started owner = session_start(*web1.handler, id);  // its cached copy
  ASSERT_TRUE(owner.ok) << owner.error;
  ASSERT_EQ(owner.data, "n|i:1;");
  const Status late = session_write_close(*web1.handler, owner, "n|i:5;");
  EXPECT_FALSE(late.ok()) << "the relocation overwrote the takeover's forward";
  EXPECT_EQ(late.cause(), Cause::kConflict) << late.error();

  // Every cookie leads to the takeover's session.
  AppNode web3 = node_with_replica("web3");
  for (const std::string& cookie : {id, taken.id, owner.id}) {
    const Started opened = session_start(*web3.handler, cookie);
    ASSERT_TRUE(opened.ok) << cookie << ": " << opened.error;
    EXPECT_EQ(opened.data, "n|i:2;") << cookie << " opened another copy";
    (void)web3.handler->close();
  }
}

// The owner writes a change while its store node is frozen, after another node
// took the session over from the replica. The primary does not answer, so the
// replica is all the write reaches: it replaces the replica's copy only if that
// holds the version the owner read or an older one. The takeover's forward is
// newer: the change is refused as a conflict and the forward stays (was: a
// plain set over it, and the old cookie opened the owner's copy from then on).
TEST_F(ReplicaConditionalTest, ChangeWrittenWhileTheStoreIsFrozenNeverOverwritesANewerReplicaCopy) {
  AppNode web1 = node_with_replica("web1");
  const std::string id = new_session_on(*web1.handler, n1_, "n|i:1;");  // replica on n2
  AppNode web2 = node_with_replica("web2");

  const Started owner = session_start(*web1.handler, id);  // its cached copy
  ASSERT_TRUE(owner.ok) << owner.error;
  n1_.freeze();
  const Started taken = session_start(*web2.handler, id);  // from the replica
  ASSERT_TRUE(taken.ok) << taken.error;
  ASSERT_NE(taken.id, id);
  ASSERT_TRUE(session_write_close(*web2.handler, taken, "n|i:2;").ok());

  const Status late = session_write_close(*web1.handler, owner, "n|i:5;");
  EXPECT_FALSE(late.ok()) << "the owner's change went over the takeover's forward";
  const auto replica = decode_value(*n2_.peek("sess." + id));
  ASSERT_TRUE(replica.ok());
  EXPECT_TRUE(replica->forward) << "the replica's forward was overwritten";
  EXPECT_EQ(replica->payload, taken.id);
}

// Another node takes the session over while the owner, cut off from the store
// node alone, writes a change to the replica (kept, and acknowledged). The
// takeover's forward reaches the store node, where the copy it read is still
// there, and the replica, where the owner's change is: it replaces the
// replica's copy only if that holds the version the takeover read or an older
// one. The change is newer, so the move is undone and the store node gets the
// change back (was: a plain set over it, and the change was lost).
TEST_F(ReplicaConditionalTest, TakeoversForwardNeverOverwritesAChangeTheReplicaAloneHolds) {
  AppNode web1 = node_with_replica("web1");
  const std::string id = new_session_on(*web1.handler, n1_, "n|i:1;");  // replica on n2
  AppNode web2 = node_with_replica("web2");

  const Started taken = session_start(*web2.handler, id);  // reads n1
  ASSERT_TRUE(taken.ok) << taken.error;
  ASSERT_EQ(taken.data, "n|i:1;");
  ASSERT_NE(taken.id, id);

  cut(web1, 0);
  const Started owner = session_start(*web1.handler, id);  // its cached copy
  ASSERT_TRUE(owner.ok) << owner.error;
  ASSERT_EQ(owner.data, "n|i:1;");
  ASSERT_TRUE(session_write_close(*web1.handler, owner, "n|i:2;").ok());  // n2 took it

  (void)session_write_close(*web2.handler, taken, taken.data);
  const auto replica = stored(id, &n2_);
  ASSERT_TRUE(replica.has_value());
  EXPECT_FALSE(replica->forward) << "the takeover's forward went over the owner's change";
  EXPECT_EQ(replica->payload, "n|i:2;");

  // Every cookie leads to the change.
  web1.link(0).clear();
  AppNode web3 = node_with_replica("web3");
  for (const std::string& cookie : {id, taken.id}) {
    const Started opened = session_start(*web3.handler, cookie);
    ASSERT_TRUE(opened.ok) << cookie << ": " << opened.error;
    EXPECT_EQ(opened.data, "n|i:2;") << cookie << " opened another copy";
    (void)web3.handler->close();
  }
}

// The owner's changed request stays one command per node with a replica: the
// replica's token comes back from the owner's own last write (kept in its
// cache), so the replica's copy is replaced over it, never blindly. A copy
// another node wrote there since makes the change a conflict.
TEST_F(ReplicaConditionalTest, OwnersChangeIsOneConditionalCommandPerNode) {
  AppNode web1 = node_with_replica("web1");
  const std::string id = new_session_on(*web1.handler, n1_, "n|i:1;");  // replica on n2

  const Trips store_before = trips(n1_);
  const Trips replica_before = trips(n2_);
  const Started first = session_start(*web1.handler, id);
  ASSERT_TRUE(first.ok) << first.error;
  ASSERT_TRUE(session_write_close(*web1.handler, first, "n|i:2;").ok());
  const Trips on_store = trips(n1_) - store_before;
  const Trips on_replica = trips(n2_) - replica_before;
  EXPECT_EQ(on_store.get + on_store.set + on_store.touch, 1u);
  EXPECT_EQ(on_replica.get + on_replica.set + on_replica.touch, 1u);

  // Another node's newer copy on the replica (its store node cut off from it).
  const std::string key = "sess." + id;
  const auto replica = stored(id, &n2_);
  ASSERT_TRUE(replica.has_value());
  n2_.poke(key, ValueCodec(sealer_).encode(key, replica->version + 1000, "n|i:7;"), 3600);
  const Started second = session_start(*web1.handler, id);
  ASSERT_TRUE(second.ok) << second.error;
  const Status late = session_write_close(*web1.handler, second, "n|i:3;");
  EXPECT_FALSE(late.ok()) << "the owner's change went over a newer replica copy";
  EXPECT_EQ(stored(id, &n2_)->payload, "n|i:7;");
  EXPECT_EQ(stored(id, &n1_)->payload, "n|i:7;") << "the store node did not get it back";
}

// The owner, cut off from the store node alone, writes a change that only the
// replica takes (kept, and acknowledged). Another node then takes the session
// over: it reads the replica too, and the newer copy there wins, so it serves
// and moves the change; its forward replaces the store node's older copy over
// that copy's token (was: it read the store node alone and served the older
// copy).
TEST_F(ReplicaConditionalTest, TakeoverServesAChangeOnlyTheReplicaTook) {
  AppNode web1 = node_with_replica("web1");
  const std::string id = new_session_on(*web1.handler, n1_, "n|i:1;");  // replica on n2
  cut(web1, 0);
  const Started owner = session_start(*web1.handler, id);
  ASSERT_TRUE(owner.ok) << owner.error;
  ASSERT_TRUE(session_write_close(*web1.handler, owner, "n|i:2;").ok());  // n2 took it
  ASSERT_EQ(stored(id, &n1_)->payload, "n|i:1;");

  AppNode web2 = node_with_replica("web2");
  const Started taken = session_start(*web2.handler, id);
  ASSERT_TRUE(taken.ok) << taken.error;
  EXPECT_EQ(taken.data, "n|i:2;") << "the takeover served the store node's older copy";
  ASSERT_NE(taken.id, id);
  ASSERT_TRUE(session_write_close(*web2.handler, taken, "n|i:3;").ok());
  EXPECT_TRUE(stored(id, &n1_)->forward);
  EXPECT_TRUE(stored(id, &n2_)->forward);

  web1.link(0).clear();
  AppNode web3 = node_with_replica("web3");
  for (const std::string& cookie : {id, taken.id}) {
    const Started opened = session_start(*web3.handler, cookie);
    ASSERT_TRUE(opened.ok) << cookie << ": " << opened.error;
    EXPECT_EQ(opened.data, "n|i:3;") << cookie << " opened another copy";
    (void)web3.handler->close();
  }
}

}  // namespace
}  // namespace clustered::testing
