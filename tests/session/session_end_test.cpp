// SPDX-License-Identifier: BSD-3-Clause
// Ending a session (session_destroy(), session_regenerate_id(true)) beside
// requests of the same session on other nodes: a logout leaves a tombstone over
// exactly the copy it read (remote/session_end.h), so no request that read the
// session before can store it again, and a destroy never ends a copy written
// after it read (docs/design.md, "Conditional writes").
#include <gtest/gtest.h>

#include <string>

#include "session/handler_rig.h"

namespace clustered::testing {
namespace {

using LogoutFlowTest = ModelHandlerTest;

// What PHP's session_regenerate_id(true) does after session_start(): destroy the
// old ID, close, open, a new ID, read it (empty), and at the end of the request
// write $_SESSION under it.
struct Regenerated {
  Status destroyed;
  std::string id;
  Status saved;
};
Regenerated regenerate_and_save(SessionHandler& handler, const Started& started,
                                const std::string& data) {
  Regenerated out;
  out.destroyed = handler.destroy(started.id);
  if (!out.destroyed) {
    // PHP returns false and keeps the old ID: the request ends writing it.
    out.id = started.id;
    out.saved = session_write_close(handler, started, data);
    return out;
  }
  EXPECT_TRUE(handler.close().ok());
  EXPECT_TRUE(handler.open().ok());
  auto created = handler.create_sid();
  EXPECT_TRUE(created.ok()) << created.error();
  out.id = *created;
  EXPECT_FALSE(handler.validate_sid(out.id));
  auto read = handler.read(out.id);
  EXPECT_TRUE(read.ok()) << read.error();
  out.saved = handler.write(out.id, data);
  EXPECT_TRUE(handler.close().ok());
  return out;
}

// A logout through another node (a takeover) while the owner runs a slow
// request of the same session: the owner's write met NOT_FOUND and stored the
// session in full, so the old cookie opened the logged-out session again.
TEST_F(LogoutFlowTest, LogoutOnAnotherNodeIsNotUndoneByTheOwnersSlowRequest) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = new_session_on(*web1.handler, n1_, "user|s:5:\"alice\";n|i:1;");

  const Started slow = session_start(*web1.handler, id);  // the owner's slow request
  ASSERT_TRUE(slow.ok) << slow.error;

  const Started logout = session_start(*web2.handler, id);
  ASSERT_TRUE(logout.ok) << logout.error;
  ASSERT_NE(logout.id, id) << "web2 did not take the session over";
  ASSERT_TRUE(web2.handler->destroy(logout.id).ok());
  ASSERT_TRUE(web2.handler->close().ok());
  EXPECT_TRUE(ended(id)) << "the logout left the session readable under its old ID";

  const Status late = session_write_close(*web1.handler, slow, "user|s:5:\"alice\";n|i:2;");
  EXPECT_FALSE(late.ok()) << "the owner's write brought the logged-out session back";
  EXPECT_EQ(late.cause(), Cause::kConflict) << late.error();
  EXPECT_NE(late.error().find("destroyed (a logout)"), std::string::npos) << late.error();
  EXPECT_TRUE(ended(id));

  clock_.advance_s(10);
  for (AppNode* node : {&web1, &web2}) {
    const Started again = session_start(*node->handler, id);
    ASSERT_TRUE(again.ok) << again.error;
    EXPECT_NE(again.id, id) << "the old cookie still names a session";
    EXPECT_EQ(again.data, "") << "the old cookie opened the logged-out session";
    (void)node->handler->close();
  }
}

// The same logout on the owner itself, with a request of the session still
// running on another node that took it over before: the destroy ends only the
// copy it read, so it is refused (the session moved on) instead of deleting
// the forward and leaving the other node's copy as a second session.
TEST_F(LogoutFlowTest, LogoutOfACopyTakenOverMeanwhileIsRefusedNotForked) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = new_session_on(*web1.handler, n1_, "n|i:1;");

  const Started on_owner = session_start(*web1.handler, id);
  ASSERT_TRUE(on_owner.ok) << on_owner.error;
  const Started moved = session_start(*web2.handler, id);
  ASSERT_TRUE(moved.ok) << moved.error;
  ASSERT_NE(moved.id, id);
  ASSERT_TRUE(session_write_close(*web2.handler, moved, "n|i:2;").ok());

  const Status destroyed = web1.handler->destroy(id);
  EXPECT_FALSE(destroyed.ok()) << "the destroy replaced the takeover's forward";
  EXPECT_EQ(destroyed.cause(), Cause::kConflict) << destroyed.error();
  EXPECT_NE(destroyed.error().find("another node took it over"), std::string::npos)
      << destroyed.error();
  (void)web1.handler->close();
  EXPECT_EQ(stored_payload(moved.id), "n|i:2;");
  EXPECT_EQ(stored_payload(id), moved.id) << "the old ID no longer forwards to the session";
}

// session_regenerate_id(true) on the owner (a login) while a request with the
// old ID takes the session over on another node. The destroy comes first: the
// takeover's forward finds the tombstone, and its new ID leads nowhere; the
// session lives on under the login's ID only. (Before, the old key was deleted,
// the forward was written in full, and two sessions lived on.)
TEST_F(LogoutFlowTest, RegenerateBeforeATakeoverCompletesLeavesOneSession) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = new_session_on(*web1.handler, n1_, "n|i:1;");

  const Started login = session_start(*web1.handler, id);
  ASSERT_TRUE(login.ok) << login.error;
  const Started takeover = session_start(*web2.handler, id);  // reads the copy
  ASSERT_TRUE(takeover.ok) << takeover.error;
  ASSERT_NE(takeover.id, id);

  const Regenerated regenerated = regenerate_and_save(*web1.handler, login, "n|i:1;user|i:7;");
  ASSERT_TRUE(regenerated.destroyed.ok()) << regenerated.destroyed.error();
  ASSERT_TRUE(regenerated.saved.ok()) << regenerated.saved.error();

  const Status moved = session_write_close(*web2.handler, takeover, "n|i:2;");
  EXPECT_FALSE(moved.ok()) << "the takeover's change was acknowledged beside the login's";
  EXPECT_EQ(moved.cause(), Cause::kConflict) << moved.error();

  // Every cookie leads to one session at most: the login's.
  const Started old_cookie = session_start(*web2.handler, id);
  ASSERT_TRUE(old_cookie.ok) << old_cookie.error;
  EXPECT_EQ(old_cookie.data, "") << "the old cookie opened a second session";
  (void)web2.handler->close();
  const Started takeover_cookie = session_start(*web2.handler, takeover.id);
  ASSERT_TRUE(takeover_cookie.ok) << takeover_cookie.error;
  EXPECT_EQ(takeover_cookie.data, "") << "the takeover's cookie opened a second session";
  (void)web2.handler->close();
  const Started login_cookie = session_start(*web1.handler, regenerated.id);
  ASSERT_TRUE(login_cookie.ok) << login_cookie.error;
  EXPECT_EQ(login_cookie.data, "n|i:1;user|i:7;");
  (void)web1.handler->close();
}

// The other order: the takeover completes first (within the owner's notice
// window, so the owner still serves its copy). The login's destroy finds the
// forward and is refused: PHP's session_regenerate_id() returns false, the
// request keeps the old ID, and its write is refused too. One session remains,
// the one the takeover holds, and nothing acknowledged is given twice.
TEST_F(LogoutFlowTest, RegenerateAfterATakeoverIsRefusedInsteadOfForking) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = new_session_on(*web1.handler, n1_, "n|i:1;");

  const Started takeover = session_start(*web2.handler, id);
  ASSERT_TRUE(takeover.ok) << takeover.error;
  ASSERT_NE(takeover.id, id);
  ASSERT_TRUE(session_write_close(*web2.handler, takeover, "n|i:2;").ok());

  const Started login = session_start(*web1.handler, id);  // served from web1's cache
  ASSERT_TRUE(login.ok) << login.error;
  ASSERT_EQ(login.id, id);
  const Regenerated regenerated = regenerate_and_save(*web1.handler, login, "n|i:2;user|i:7;");
  EXPECT_FALSE(regenerated.destroyed.ok()) << "the login destroyed the takeover's forward";
  EXPECT_EQ(regenerated.destroyed.cause(), Cause::kConflict);
  EXPECT_FALSE(regenerated.saved.ok()) << "the login's change was acknowledged beside it";

  EXPECT_EQ(stored_payload(takeover.id), "n|i:2;");
  EXPECT_EQ(stored_payload(id), takeover.id) << "the old ID no longer forwards to the session";
  const Started old_cookie = session_start(*web2.handler, id);
  ASSERT_TRUE(old_cookie.ok) << old_cookie.error;
  EXPECT_EQ(old_cookie.data, "n|i:2;");
  (void)web2.handler->close();
}

// A destroy that could not reach the store node is retried over the copy it
// read only: a copy written after the node answered again (another node's
// takeover) is not ended by the retry.
TEST_F(LogoutFlowTest, MissedLogoutRetriedLaterEndsOnlyTheCopyItRead) {
  AppNode web1 = make_node(checking_config("web1"));
  const std::string id = new_session_on(*web1.handler, n1_, "n|i:1;");
  const Started logout = session_start(*web1.handler, id);
  ASSERT_TRUE(logout.ok) << logout.error;
  n1_.freeze();
  EXPECT_FALSE(web1.handler->destroy(id).ok());
  (void)web1.handler->close();
  n1_.thaw();
  // Another writer replaces the copy before web1's retry (as a takeover would).
  n1_.poke("sess." + id, encode_value(stored_version(id) + 1, "n|i:5;"), 0);
  clock_.advance_ms(1600);
  const Started other = session_start(*web1.handler, new_session(*web1.handler, "x|i:1;"));
  ASSERT_TRUE(other.ok) << other.error;  // a request on web1 runs its takeover check
  (void)web1.handler->close();
  EXPECT_EQ(stored_payload(id), "n|i:5;") << "the retried logout ended a copy it never read";
}

// A logout that reached the store node but not the replica's node (cut off
// from this app node) is kept and retried like one the store node missed: the
// replica's copy, served whenever the store node does not answer, is ended
// once its node answers (cluster_sim --mix everything seed 3624 read it again).
TEST_F(LogoutFlowTest, LogoutTheReplicaMissedEndsTheReplicaOnceItAnswers) {
  HandlerConfig with_replica = checking_config("web1");
  with_replica.replicas = 1;
  AppNode web1 = make_node(with_replica);
  const std::string id = new_session_on(*web1.handler, n1_, "n|i:1;");  // replica on n2
  const Started logout = session_start(*web1.handler, id);
  ASSERT_TRUE(logout.ok) << logout.error;
  web1.link(1).fail(StoreOp::kSet, "sess.", Failure::of(Cause::kTimeout, "cut off"), 1);
  EXPECT_TRUE(web1.handler->destroy(id).ok());
  (void)web1.handler->close();
  ASSERT_TRUE(ended(id, &n1_));
  ASSERT_FALSE(ended(id, &n2_)) << "the replica's node took the logout after all";

  clock_.advance_ms(1600);
  const Started other = session_start(*web1.handler, new_session(*web1.handler, "x|i:1;"));
  ASSERT_TRUE(other.ok) << other.error;  // a request on web1 runs its takeover check
  (void)web1.handler->close();
  EXPECT_TRUE(ended(id, &n2_)) << "the replica still opens the ended session";
  EXPECT_TRUE(ended(id, &n1_));
}

}  // namespace
}  // namespace clustered::testing
