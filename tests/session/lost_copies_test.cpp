// SPDX-License-Identifier: BSD-3-Clause
// Copies memcached lost or replaced behind an owner's back (session/lost_copies.h,
// docs/design.md "Lost copies"): an owner stores again what memcached evicted,
// whether or not anyone asks for it, never drops a copy memcached does not have,
// and drops one memcached replaced. On memcached models and a ManualClock.
#include <gtest/gtest.h>

#include <string>

#include "session/handler_rig.h"
#include "session/missed_writes.h"
#include "session/takeover_notices.h"

namespace clustered::testing {
namespace {

class LostCopiesTest : public ModelHandlerTest {
 protected:
  // A session of `node` whose change from `before` to `after` its store node
  // missed (the link cut off for that write): acknowledged, kept in the cache.
  std::string change_kept_while_cut_off(AppNode& node, const std::string& before,
                                        const std::string& after) {
    const std::string id = new_session(*node.handler, before);
    const std::size_t store = index_of(server_of(id));
    node.link(store).fail(StoreOp::kSet, "sess." + id, Failure::of(Cause::kDown, "cut off"));
    const Started changed = session_start(*node.handler, id);
    EXPECT_TRUE(changed.ok) << changed.error;
    EXPECT_TRUE(session_write_close(*node.handler, changed, after).ok());
    node.link(store).clear();
    return id;
  }
  // Lets a kept change settle, then one request of another session on `node`,
  // which runs its takeover check.
  void check_after_settling(AppNode& node) {
    clock_.advance_s(MissedWrites::kKeptWriteSettleSeconds + 1);
    (void)new_session(*node.handler, "other|i:1;");
  }
  // What another app node, which never held the session, reads under `id`.
  std::string read_on_another_node(const std::string& id) {
    AppNode web2 = make_node(config("web2"));
    const Started there = session_start(*web2.handler, id);
    EXPECT_TRUE(there.ok) << there.error;
    return there.data;
  }
};

// One request of `id` that changes nothing; returns what it read.
std::string read_once(SessionHandler& handler, const std::string& id) {
  const Started started = session_start(handler, id);
  EXPECT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.id, id) << "the session was not found";
  EXPECT_TRUE(session_write_close(handler, started, started.data).ok());
  return started.data;
}

TEST_F(LostCopiesTest, IdleOwnerPastTheNoticeGapServesWhatMemcachedEvictedAndStoresItAgain) {
  AppNode web1 = make_node(checking_config("web1"));
  const std::string a = new_session(*web1.handler, "a|i:1;");
  const std::string b = new_session(*web1.handler, "b|i:1;");
  ASSERT_TRUE(server_of(a).evict("sess." + a));
  ASSERT_TRUE(server_of(b).evict("sess." + b));
  clock_.advance_s(kNoticeGapSeconds + 10);  // no request: no takeover check either

  EXPECT_EQ(read_once(*web1.handler, a), "a|i:1;") << "the owner held it; memcached lost it";
  EXPECT_EQ(stored_payload(a), "a|i:1;");
  // b was not asked for: the check that ended the gap compared it and stored it.
  EXPECT_EQ(stored_payload(b), "b|i:1;");
  EXPECT_EQ(web1.handler->counters().copies_lost.load(), 2u);
}

TEST_F(LostCopiesTest, BusyOwnerStoresAgainWhatMemcachedEvictedSoItSurvivesTheOwner) {
  AppNode web1 = make_node(checking_config("web1"));
  const std::string busy = new_session(*web1.handler, "busy|i:1;");
  const std::string idle = new_session(*web1.handler, "idle|i:1;");
  ASSERT_TRUE(server_of(idle).evict("sess." + idle));
  for (int second = 0; second < 3; ++second) {  // a check each second, served locally
    clock_.advance_s(1);
    EXPECT_EQ(read_once(*web1.handler, busy), "busy|i:1;");
  }
  EXPECT_EQ(stored_payload(idle), "idle|i:1;") << "memcached's eviction count grew: compared";
  EXPECT_EQ(web1.handler->counters().copies_lost.load(), 1u);

  // The owner dies: another node finds the idle session in memcached.
  AppNode web2 = make_node(config("web2"));
  const Started moved = session_start(*web2.handler, idle);
  ASSERT_TRUE(moved.ok) << moved.error;
  EXPECT_EQ(moved.data, "idle|i:1;");
}

TEST_F(LostCopiesTest, OwnerPastTheNoticeGapDropsACopyMemcachedReplacedAndFollowsIt) {
  AppNode web1 = make_node(checking_config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = new_session(*web1.handler, "n|i:1;");
  // web2 takes it over; its notice to web1 expires unread during web1's gap.
  const Started taken = session_start(*web2.handler, id);
  ASSERT_TRUE(taken.ok) << taken.error;
  ASSERT_NE(taken.id, id);
  ASSERT_TRUE(session_write_close(*web2.handler, taken, "n|i:2;").ok());
  n1_.poke(notice_key("web1"), "", 1);
  n2_.poke(notice_key("web1"), "", 1);
  clock_.advance_s(kNoticeGapSeconds + 10);

  const Started again = session_start(*web1.handler, id);
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(again.data, "n|i:2;") << "web1's cached n=1 was served over the newer copy";
  EXPECT_FALSE(web1.cache().get("sess." + id, clock_.wall_s()).has_value());
}

TEST_F(LostCopiesTest, ACopyReplacedAfterAnEvictionIsDroppedNeverStoredOver) {
  AppNode web1 = make_node(checking_config("web1"));
  const std::string busy = new_session(*web1.handler, "busy|i:1;");
  const std::string id = new_session(*web1.handler, "old|i:1;");
  MemcachedModel& store = server_of(id);
  ASSERT_TRUE(store.evict("sess." + id));
  // Written under the key before web1 compares it (another node's forward).
  const std::string forward =
      encode_value(stored_version(busy) + 7, "x-n1.web2", kValueFlagForward);
  store.poke("sess." + id, forward, 100);
  for (int second = 0; second < 3; ++second) {
    clock_.advance_s(1);
    EXPECT_EQ(read_once(*web1.handler, busy), "busy|i:1;");
  }
  EXPECT_EQ(store.peek("sess." + id), forward) << "the restore wrote over a newer value";
  EXPECT_FALSE(web1.cache().get("sess." + id, clock_.wall_s()).has_value());
  EXPECT_EQ(web1.handler->counters().copies_lost.load(), 0u);
}

// No memcached node answered the session's first write: web1 kept it and told
// PHP it was saved. Once the nodes answer, web1's next check (another session's
// request) stores it where its key is still empty, so another app node finds it
// without the session being asked for on web1 first.
TEST_F(LostCopiesTest, ChangeKeptWhileNoNodeAnsweredIsStoredByTheNextCheck) {
  AppNode web1 = make_node(checking_config("web1"));
  n1_.stop();
  n2_.stop();
  const std::string id = new_session(*web1.handler, "kept|i:1;");
  EXPECT_EQ(web1.handler->counters().writes_kept.load(), 1u);
  n1_.start();
  n2_.start();
  check_after_settling(web1);
  EXPECT_EQ(stored_payload(id), "kept|i:1;");
  EXPECT_EQ(read_on_another_node(id), "kept|i:1;");
}

// A kept change whose key holds the copy it replaced (the node was cut off, not
// emptied): the next check writes it over exactly that copy, though nobody asks
// for the session again.
TEST_F(LostCopiesTest, ChangeKeptOverAnOlderCopyIsWrittenOverItByTheNextCheck) {
  AppNode web1 = make_node(checking_config("web1"));
  const std::string id = change_kept_while_cut_off(web1, "n|i:1;", "n|i:2;");
  ASSERT_EQ(stored_payload(id), "n|i:1;");
  check_after_settling(web1);
  EXPECT_EQ(stored_payload(id), "n|i:2;");
  EXPECT_EQ(read_on_another_node(id), "n|i:2;");
}

// The same, but another node wrote the session after the change was kept: its
// copy stands, and web1 drops its own rather than write over it.
TEST_F(LostCopiesTest, ChangeKeptWhileAnotherNodeWroteNeverOverwritesThatWrite) {
  AppNode web1 = make_node(checking_config("web1"));
  const std::string id = change_kept_while_cut_off(web1, "n|i:1;", "n|i:2;");
  clock_.advance_s(1);
  const std::string newer = encode_value(stored_version(id) + 1'000'000'000, "n|i:7;");
  server_of(id).poke("sess." + id, newer, 100);
  check_after_settling(web1);
  EXPECT_EQ(server_of(id).peek("sess." + id), newer) << "the check wrote over a newer copy";
  EXPECT_FALSE(web1.cache().get("sess." + id, clock_.wall_s()).has_value());
}

}  // namespace
}  // namespace clustered::testing
