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

}  // namespace
}  // namespace clustered::testing
