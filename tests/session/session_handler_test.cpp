// SPDX-License-Identifier: BSD-3-Clause
// The handler's request flows against memcached models on a ManualClock
// (session/handler_rig.h): no sockets, no sleeps. What needs real processes or
// a real memcached is in session_handler_processes_test.cpp; failure branches
// (store errors, lock failures, forwards, notices) are in handler_failures_test.cpp.
#include "session/session_handler.h"
#include "session/takeover_notices.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "session/handler_rig.h"

namespace clustered::testing {
namespace {

using SessionHandlerTest = ModelHandlerTest;

TEST_F(SessionHandlerTest, CreateSidNamesAStoreNodeAndThisRoute) {
  AppNode web1 = make_node(config("web1"));
  std::set<std::string> stores;
  for (int i = 0; i < 30; ++i) {
    auto created = web1.handler->create_sid();
    ASSERT_TRUE(created.ok()) << created.error();
    const auto id = parse_session_id(*created);
    ASSERT_TRUE(id.has_value()) << *created;
    EXPECT_EQ(id->route, "web1");
    EXPECT_EQ(id->random.size(), 32u);
    EXPECT_EQ(id->random.find_first_not_of("0123456789abcdef"), std::string::npos);
    stores.insert(id->store);
    // A fresh ID is not a session yet: strict mode must not accept it.
    EXPECT_FALSE(web1.handler->validate_sid(*created));
  }
  EXPECT_EQ(stores, (std::set<std::string>{"n1", "n2"}));
  (void)web1.handler->close();
}

TEST_F(SessionHandlerTest, CreateSidFollowsSidSettings) {
  HandlerConfig settings = config("web1");
  settings.sid_length = 48;
  settings.sid_bits_per_character = 6;
  AppNode web1 = make_node(settings);
  auto created = web1.handler->create_sid();
  ASSERT_TRUE(created.ok());
  const auto id = parse_session_id(*created);
  ASSERT_TRUE(id.has_value()) << *created;
  EXPECT_EQ(id->random.size(), 48u);
}

TEST_F(SessionHandlerTest, NewSessionIsWrittenOnceToItsStoreNodeOnly) {
  AppNode web1 = make_node(config("web1"));
  const Trips before = trips();
  const std::string id = new_session(*web1.handler, "count|i:1;");
  // 0 round trips to create, 1 set at the end (docs/design.md, "Request flows and
  // their round trips").
  EXPECT_EQ((trips() - before).set, 1u);
  EXPECT_EQ((trips() - before).get, 0u);

  const auto copy = stored(id);
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(copy->payload, "count|i:1;");
  EXPECT_GT(copy->version, 0u);
  EXPECT_FALSE(copy->forward);
  EXPECT_EQ(other_server_of(id).peek("sess." + id), std::nullopt);
  // The remote TTL is gc_maxlifetime + touch_interval.
  EXPECT_EQ(server_of(id).ttl_left("sess." + id), 1440 + 60);
}

TEST_F(SessionHandlerTest, OwnedSessionIsReadLocally) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "count|i:1;");
  const Trips before = trips(server_of(id));
  const Started next = session_start(*web1.handler, id);
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.id, id);  // no new cookie
  EXPECT_EQ(next.data, "count|i:1;");
  ASSERT_TRUE(session_write_close(*web1.handler, next, "count|i:2;").ok());
  EXPECT_EQ((trips(server_of(id)) - before).get, 0u);
  EXPECT_EQ((trips(server_of(id)) - before).set, 1u);
  EXPECT_EQ(stored_payload(id), "count|i:2;");
  EXPECT_GE(web1.handler->counters().local_hits.load(), 1u);
}

// 1000 unchanged requests 100 ms apart (100 s): no get, no set, and the remote
// TTL refreshed exactly once, when touch_interval (60 s) had passed.
TEST_F(SessionHandlerTest, OwnedHitUnchangedCostsNoGetAndAtMostOneTouch) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "user|s:5:\"alice\";");
  const Trips before = trips();
  for (int i = 0; i < 1000; ++i) {
    clock_.advance_ms(100);
    const Started started = session_start(*web1.handler, id);
    ASSERT_TRUE(started.ok) << started.error;
    ASSERT_EQ(started.id, id);
    ASSERT_EQ(started.data, "user|s:5:\"alice\";");
    ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  }
  EXPECT_EQ((trips() - before).get, 0u);
  EXPECT_EQ((trips() - before).touch, 1u);
  EXPECT_EQ((trips() - before).set, 0u);
  EXPECT_EQ(web1.handler->counters().touches_skipped.load(), 999u);
  EXPECT_EQ(server_of(id).ttl_left("sess." + id), 1440 + 60 - 40) << "touched at 60 s of 100";
}

TEST_F(SessionHandlerTest, SkippedTouchesStillKeepTheSessionGcMaxlifetimeAfterItsLastRequest) {
  // Unchanged requests within touch_interval touch neither memcached nor the local
  // entry; the expiry set at the last write must still reach past
  // last request + gc_maxlifetime, or an active user's session would expire.
  HandlerConfig short_life = config("web1");
  short_life.gc_maxlifetime_s = 2;
  short_life.touch_interval_s = 3;
  AppNode web1 = make_node(short_life);
  const std::string id = new_session(*web1.handler, "n|i:1;");
  clock_.advance_ms(1200);
  const Started unchanged = session_start(*web1.handler, id);
  ASSERT_TRUE(unchanged.ok) << unchanged.error;
  ASSERT_TRUE(session_write_close(*web1.handler, unchanged, unchanged.data).ok());
  EXPECT_GE(web1.handler->counters().touches_skipped.load(), 1u);
  const Trips before = trips(server_of(id));
  clock_.advance_ms(1500);  // 1.5 s after the last request, 2.7 s after the write
  const Started later = session_start(*web1.handler, id);
  ASSERT_TRUE(later.ok) << later.error;
  EXPECT_EQ(later.id, id);
  EXPECT_EQ(later.data, "n|i:1;");
  EXPECT_EQ((trips(server_of(id)) - before).get, 0u) << "the local copy had expired";
  (void)web1.handler->close();
}

TEST_F(SessionHandlerTest, OwnedHitChangedCostsExactlyOneSetEach) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "n|i:0;");
  const Trips before = trips();
  std::string expected = "n|i:0;";
  for (int i = 1; i <= 1000; ++i) {
    clock_.advance_ms(100);
    const Started started = session_start(*web1.handler, id);
    ASSERT_TRUE(started.ok) << started.error;
    ASSERT_EQ(started.data, expected);
    expected = "n|i:" + std::to_string(i) + ";";
    ASSERT_TRUE(session_write_close(*web1.handler, started, expected).ok());
  }
  EXPECT_EQ((trips() - before).set, 1000u);
  EXPECT_EQ((trips() - before).get, 0u);
  EXPECT_EQ((trips() - before).touch, 0u) << "a write refreshes the TTL already";
  EXPECT_EQ(stored_payload(id), "n|i:1000;");
}

TEST_F(SessionHandlerTest, VersionsGrowWithEveryWrite) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "a");
  std::uint64_t last = stored_version(id);
  for (const char* data : {"b", "c", "d"}) {
    const Started started = session_start(*web1.handler, id);
    ASSERT_TRUE(session_write_close(*web1.handler, started, data).ok());
    const std::uint64_t now = stored_version(id);
    EXPECT_GT(now, last);
    last = now;
  }
}

// Of two copies the higher version wins (replicas), so a write after an NTP step
// back must still get a higher version than the one before it.
TEST_F(SessionHandlerTest, VersionsGrowEvenWhenTheWallClockStepsBack) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "a");
  const std::uint64_t first = stored_version(id);
  EXPECT_EQ(first, static_cast<std::uint64_t>(clock_.wall_us())) << "versions follow wall time";
  clock_.step_wall_ms(-60 * 60 * 1000);
  const Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_TRUE(session_write_close(*web1.handler, started, "b").ok());
  EXPECT_GT(stored_version(id), first);
}

// The user moves from web1 to web2 (web1 died, or the balancer chose so): web2
// takes the session over under an ID with its own route, carrying the data.
TEST_F(SessionHandlerTest, ForeignSessionIsTakenOverUnderANewId) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));  // shares nothing with web1
  const std::string old_id = new_session(*web1.handler, "user|s:5:\"alice\";");
  const auto old_parsed = parse_session_id(old_id);

  SessionHandler& handler = *web2.handler;
  ASSERT_TRUE(handler.open().ok());
  EXPECT_FALSE(handler.validate_sid(old_id)) << "a foreign ID must be rewritten";
  auto created = handler.create_sid();
  ASSERT_TRUE(created.ok()) << created.error();
  const std::string new_id = *created;
  const auto parsed = parse_session_id(new_id);
  ASSERT_TRUE(parsed.has_value()) << new_id;
  EXPECT_EQ(parsed->route, "web2");
  EXPECT_EQ(parsed->store, old_parsed->store);  // the copy already sits there
  EXPECT_NE(parsed->random, old_parsed->random);
  auto read = handler.read(new_id);
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(*read, "user|s:5:\"alice\";");
  ASSERT_TRUE(handler.write(new_id, "user|s:5:\"alice\";seen|b:1;").ok());
  ASSERT_TRUE(handler.close().ok());

  const auto moved = stored(new_id);
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->payload, "user|s:5:\"alice\";seen|b:1;");
  EXPECT_FALSE(moved->forward);
  // The old key no longer holds the session: it is a forward to the new ID.
  const auto old_copy = stored(old_id);
  ASSERT_TRUE(old_copy.has_value());
  EXPECT_TRUE(old_copy->forward) << "old key still holds session data";
  EXPECT_EQ(old_copy->payload, new_id);
  EXPECT_GT(old_copy->version, moved->version) << "of a forward and the copy, the forward wins";
  EXPECT_EQ(handler.counters().migrations.load(), 1u);
  EXPECT_EQ(web1.handler->counters().migrations.load(), 0u);
  // web1 is told (a notice on every live node), whatever it still has cached.
  const std::string notice = notice_key("web1");
  EXPECT_TRUE(n1_.peek(notice).has_value());
  EXPECT_TRUE(n2_.peek(notice).has_value());

  // From now on web2 owns it: served locally, no round trip.
  const Trips before = trips(server_of(new_id));
  const Started next = session_start(handler, new_id);
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.id, new_id);
  EXPECT_EQ(next.data, "user|s:5:\"alice\";seen|b:1;");
  ASSERT_TRUE(session_write_close(handler, next, next.data).ok());
  EXPECT_EQ((trips(server_of(new_id)) - before).get, 0u);
}

// PHP 8.2 calls update_timestamp (lazy_write) when the data did not change after
// the rewrite: the session must still be written in full under the new ID.
TEST_F(SessionHandlerTest, TakeOverWithUnchangedDataStillWritesTheNewId) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string old_id = new_session(*web1.handler, "cart|i:3;");
  const Started started = session_start(*web2.handler, old_id);
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_NE(started.id, old_id);
  EXPECT_EQ(started.data, "cart|i:3;");
  ASSERT_TRUE(session_write_close(*web2.handler, started, started.data).ok());
  ASSERT_TRUE(stored(started.id).has_value());
  EXPECT_EQ(stored_payload(started.id), "cart|i:3;");
}

// session_start(['read_and_close' => true]) calls nothing after read but close.
TEST_F(SessionHandlerTest, TakeOverWithReadAndCloseStillWritesTheNewId) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string old_id = new_session(*web1.handler, "cart|i:4;");
  const Started started = session_start(*web2.handler, old_id);
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_NE(started.id, old_id);
  ASSERT_TRUE(web2.handler->close().ok());
  ASSERT_TRUE(stored(started.id).has_value());
  EXPECT_EQ(stored_payload(started.id), "cart|i:4;");
  // And the next request with the new cookie finds it.
  const Started next = session_start(*web2.handler, started.id);
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.id, started.id);
  EXPECT_EQ(next.data, "cart|i:4;");
  (void)web2.handler->close();
}

// Failover and failback: web1's old local copy is never served for the session
// that web2 changed meanwhile.
TEST_F(SessionHandlerTest, FailbackNeverServesTheOldOwnersStaleCopy) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id1 = new_session(*web1.handler, "v|i:1;");

  const Started on_web2 = session_start(*web2.handler, id1);
  ASSERT_TRUE(on_web2.ok) << on_web2.error;
  ASSERT_TRUE(session_write_close(*web2.handler, on_web2, "v|i:2;").ok());

  const Started back_on_web1 = session_start(*web1.handler, on_web2.id);
  ASSERT_TRUE(back_on_web1.ok) << back_on_web1.error;
  EXPECT_EQ(back_on_web1.data, "v|i:2;");
  EXPECT_EQ(parse_session_id(back_on_web1.id)->route, "web1");
  ASSERT_TRUE(session_write_close(*web1.handler, back_on_web1, "v|i:3;").ok());
  EXPECT_EQ(stored_payload(back_on_web1.id), "v|i:3;");
}

// A late or parallel request that still carries the old cookie, on the old owner,
// after the session moved on: the old owner's cache must not answer with its copy.
// web1 served the session (so its first takeover check is behind it), web2 took it
// over, and web1's next check, at most takeover_check_interval later, drops its copy:
// the request follows the forward to the new ID.
TEST_F(SessionHandlerTest, OldOwnerDoesNotServeAMovedSessionFromItsCache) {
  AppNode web1 = make_node(checking_config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id1 = served_session(*web1.handler, "v|i:1;");

  const Started on_web2 = session_start(*web2.handler, id1);
  ASSERT_TRUE(on_web2.ok) << on_web2.error;
  ASSERT_TRUE(session_write_close(*web2.handler, on_web2, "v|i:2;").ok());

  clock_.advance_ms(1100);  // past web1's next check
  const Started late = session_start(*web1.handler, id1);
  ASSERT_TRUE(late.ok) << late.error;
  EXPECT_EQ(late.data, "v|i:2;") << "web1 served its stale copy of a session web2 changed";
  // It followed the forward to web2's ID and, being on web1, took it back over.
  EXPECT_NE(late.id, id1);
  EXPECT_EQ(parse_session_id(late.id)->route, "web1");
  EXPECT_EQ(web1.handler->counters().takeover_notices.load(), 1u);
  (void)web1.handler->close();
}

// The same request within the interval: web1 has not checked yet and may still
// serve its copy (the window the design allows, at most takeover_check_interval).
TEST_F(SessionHandlerTest, OldOwnerServesItsCopyOnlyUntilItsNextCheck) {
  AppNode web1 = make_node(checking_config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id1 = served_session(*web1.handler, "v|i:1;");
  const Started on_web2 = session_start(*web2.handler, id1);
  ASSERT_TRUE(on_web2.ok) << on_web2.error;
  ASSERT_TRUE(session_write_close(*web2.handler, on_web2, "v|i:2;").ok());

  clock_.advance_ms(500);
  Started early = session_start(*web1.handler, id1);
  ASSERT_TRUE(early.ok) << early.error;
  EXPECT_EQ(early.id, id1);
  EXPECT_EQ(early.data, "v|i:1;") << "within the window, from web1's cache";
  (void)web1.handler->close();
  EXPECT_EQ(web1.handler->counters().takeover_checks.load(), 0u);

  clock_.advance_ms(500);  // one interval after web1's segment was made
  const Started later = session_start(*web1.handler, id1);
  ASSERT_TRUE(later.ok) << later.error;
  EXPECT_EQ(later.data, "v|i:2;");
  EXPECT_EQ(web1.handler->counters().takeover_checks.load(), 1u);
  (void)web1.handler->close();
}

// Logout on the node that took the session over: the old cookie, replayed to the
// old owner, must not bring the logged-in session back from its cache.
TEST_F(SessionHandlerTest, LogoutAfterTakeoverAlsoEndsTheOldOwnersCachedCopy) {
  AppNode web1 = make_node(checking_config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id1 = served_session(*web1.handler, "user|s:5:\"alice\";");

  const Started on_web2 = session_start(*web2.handler, id1);
  ASSERT_TRUE(on_web2.ok) << on_web2.error;
  ASSERT_TRUE(web2.handler->destroy(on_web2.id).ok());
  ASSERT_TRUE(web2.handler->close().ok());

  clock_.advance_ms(1100);
  const Started replayed = session_start(*web1.handler, id1);
  ASSERT_TRUE(replayed.ok) << replayed.error;
  EXPECT_EQ(replayed.data, "") << "the old cookie still opens the logged-out session on web1";
  EXPECT_NE(replayed.id, id1);
  (void)web1.handler->close();
}

// clustered_session.prefix may differ between the apps of one node (PHP_INI_ALL);
// the node's one check per interval must still see every app's notices.
TEST_F(SessionHandlerTest, TakeoverCheckOfOneAppCoversTheOtherAppsOnTheNode) {
  const HandlerConfig shop = checking_config("web1");
  AppNode web1 = make_node(shop);
  AppNode web2 = make_node(config("web2"));
  const std::string id1 = new_session(*web1.handler, "cart|i:1;");
  const Started on_web2 = session_start(*web2.handler, id1);
  ASSERT_TRUE(on_web2.ok) << on_web2.error;
  ASSERT_TRUE(session_write_close(*web2.handler, on_web2, "cart|i:2;").ok());
  ASSERT_TRUE(web1.cache().get("sess." + id1, clock_.wall_s()).has_value());

  // The next request on web1 is the blog's, another app with another prefix.
  HandlerConfig blog = shop;
  blog.prefix = "blog.";
  auto blog_handler = process(web1, blog);
  clock_.advance_ms(1100);
  const std::string blog_id = new_session(*blog_handler, "post|i:7;");
  const Started blog_request = session_start(*blog_handler, blog_id);
  ASSERT_TRUE(blog_request.ok) << blog_request.error;
  (void)blog_handler->close();
  EXPECT_GE(web1.handler->counters().takeover_checks.load(), 1u);
  EXPECT_FALSE(web1.cache().get("sess." + id1, clock_.wall_s()).has_value())
      << "the shop's taken-over session is still in web1's cache";
  EXPECT_TRUE(web1.cache().get("blog." + blog_id, clock_.wall_s()).has_value())
      << "a notice about the shop's key dropped the blog's session";
}

// One check per interval for the whole node, two notice lists per memcached node.
TEST_F(SessionHandlerTest, TakeoverCheckReadsOneListFromEachNodeOncePerInterval) {
  HandlerConfig checking = config("web1");
  checking.takeover_check_interval_s = kMaxCheckIntervalSeconds;  // one check in this test
  AppNode web1 = make_node(checking);
  const std::string id = new_session(*web1.handler, "n|i:1;");
  // The last check was one interval ago (a new segment counts as checked when made).
  web1.segment->takeover_watch().checked_at =
      clock_.monotonic_ms() / 1000 - kMaxCheckIntervalSeconds;
  const Trips before1 = trips(n1_);
  const Trips before2 = trips(n2_);
  for (int i = 0; i < 100; ++i) {
    clock_.advance_ms(100);
    const Started started = session_start(*web1.handler, id);
    ASSERT_TRUE(started.ok) << started.error;
    ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  }
  EXPECT_EQ(web1.handler->counters().takeover_checks.load(), 1u);
  EXPECT_EQ((trips(n1_) - before1).get, 1u);
  EXPECT_EQ((trips(n2_) - before2).get, 1u);
  // A second handler on the same segment (another Apache child) does not check again.
  auto sibling = process(web1, checking);
  const Started on_sibling = session_start(*sibling, id);
  ASSERT_TRUE(on_sibling.ok) << on_sibling.error;
  (void)sibling->close();
  EXPECT_EQ(web1.handler->counters().takeover_checks.load(), 1u);
  EXPECT_EQ((trips(n1_) - before1).get + (trips(n2_) - before2).get, 2u);
}

// A node that has not completed a check for longer than kNoticeGapSeconds (cut off
// from memcached, or idle) may have missed notices that have expired since: it
// serves nothing from its cache until a check completes, and that check drops
// every synced entry, so each session is read again once.
TEST_F(SessionHandlerTest, NodeThatMissedChecksTrustsNothingUntilItHasCheckedAgain) {
  HandlerConfig checking = config("web1");
  checking.takeover_check_interval_s = kMaxCheckIntervalSeconds;
  AppNode web1 = make_node(checking);
  const std::string id = new_session(*web1.handler, "n|i:1;");
  Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());

  TakeoverWatch& watch = web1.segment->takeover_watch();
  const std::int64_t now = clock_.monotonic_ms() / 1000;  // the watch runs on monotonic time
  watch.checked_at = now - kNoticeGapSeconds - 1;
  watch.next_check_at = now + 3600;  // and no check is due: another child has claimed it
  const std::uint64_t hits = web1.handler->counters().local_hits.load();
  Trips before = trips(server_of(id));
  started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.id, id);
  EXPECT_EQ(started.data, "n|i:1;");
  ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  EXPECT_EQ(web1.handler->counters().local_hits.load(), hits) << "served from an unchecked cache";
  EXPECT_EQ((trips(server_of(id)) - before).get, 1u);

  watch.next_check_at = 0;  // the check is due now
  before = trips(server_of(id));
  started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  EXPECT_EQ((trips(server_of(id)) - before).get, 1u + 1u) << "the notice list, then the session";
  EXPECT_GE(web1.handler->counters().takeover_notices.load(), 1u) << "synced entries kept";
  EXPECT_GE(watch.checked_at.load(), now);

  // The checking request read it once more from memcached; local again since.
  before = trips(server_of(id));
  const std::uint64_t checks = web1.handler->counters().takeover_checks.load();
  for (int i = 0; i < 3; ++i) {
    started = session_start(*web1.handler, id);
    ASSERT_TRUE(started.ok) << started.error;
    ASSERT_EQ(started.data, "n|i:1;");
    ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  }
  EXPECT_EQ(web1.handler->counters().takeover_checks.load(), checks);
  EXPECT_EQ((trips(server_of(id)) - before).get, 0u);
}

// session_destroy() (logout) in the very request that took the session over:
// the old key must go too, or the old cookie would still log in after the logout
// (regression: destroy(new id) used to drop the pending carry and nothing more).
TEST_F(SessionHandlerTest, DestroyDuringTakeOverAlsoRemovesTheOldSession) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id1 = new_session(*web1.handler, "user|s:5:\"alice\";");
  const Started started = session_start(*web2.handler, id1);
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_TRUE(web2.handler->destroy(started.id).ok());
  ASSERT_TRUE(web2.handler->close().ok());

  const auto old_copy = stored(id1);
  EXPECT_TRUE(!old_copy || old_copy->forward) << "the destroyed session lives on under its old ID";
  EXPECT_FALSE(stored(started.id).has_value()) << "close() completed the destroyed move";
  AppNode web3 = make_node(config("web3"));
  const Started again = session_start(*web3.handler, id1);
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(again.data, "") << "the old cookie still opens the destroyed session";
  (void)web3.handler->close();
}

TEST_F(SessionHandlerTest, ReadFromADeadStoreIsAnErrorNotAnEmptySession) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "precious|b:1;");
  server_of(id).stop();
  const std::string endpoint = server_of(id).address().endpoint();

  // Another node, strict mode: validate_sid() cannot tell, read() must fail.
  AppNode web2 = make_node(config("web2"));
  const Started strict = session_start(*web2.handler, id);
  EXPECT_FALSE(strict.ok) << "read returned '" << strict.data << "' for an unreadable session";
  EXPECT_NE(strict.error.find(endpoint), std::string::npos) << strict.error;

  // Without strict mode (the ID is used as given) the same.
  HandlerConfig lax = config("web3");
  lax.strict_mode = false;
  AppNode web3 = make_node(lax);
  ASSERT_TRUE(web3.handler->open().ok());
  auto read = web3.handler->read(id);
  EXPECT_FALSE(read.ok()) << "read returned '" << (read.ok() ? *read : "") << "'";
  if (!read.ok()) EXPECT_NE(read.error().find(endpoint), std::string::npos) << read.error();
  (void)web3.handler->close();
}

TEST_F(SessionHandlerTest, MissingSessionReadsAsEmpty) {
  HandlerConfig lax = config("web1");
  lax.strict_mode = false;
  AppNode web1 = make_node(lax);
  ASSERT_TRUE(web1.handler->open().ok());
  auto read = web1.handler->read("0123456789abcdef0123456789abcdef-n1.web1");
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(*read, "");
  (void)web1.handler->close();

  // In strict mode an unknown ID is refused and replaced.
  AppNode strict = make_node(config("web1"));
  const Started started =
      session_start(*strict.handler, "0123456789abcdef0123456789abcdef-n1.web1");
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_NE(started.id, "0123456789abcdef0123456789abcdef-n1.web1");
  EXPECT_EQ(started.data, "");
  (void)strict.handler->close();
}

// The owner keeps a session whose store node died, and writes it to another node
// under a new ID (relocation).
TEST_F(SessionHandlerTest, DeadStoreNodeRelocatesAnOwnedSession) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "v|i:1;");
  MemcachedModel& dead = server_of(id);
  MemcachedModel& alive = other_server_of(id);
  dead.stop();

  // This request still finds it locally; its write cannot reach the store node.
  Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "v|i:1;");
  EXPECT_TRUE(session_write_close(*web1.handler, started, "v|i:2;").ok())
      << "a failed write-through keeps the session locally";
  EXPECT_FALSE(web1.handler->take_handled().empty()) << "a failed write must be reported";

  // The next request moves it to the live node under a new ID.
  started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_NE(started.id, id);
  EXPECT_EQ(started.data, "v|i:2;");
  EXPECT_EQ(&server_of(started.id), &alive);
  ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  const auto copy = stored(started.id);
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(copy->payload, "v|i:2;");
  EXPECT_EQ(web1.handler->counters().relocations.load(), 1u);
  EXPECT_EQ(web1.handler->counters().migrations.load(), 0u);
  // A relocation stays on this node: no takeover notice for our own route.
  EXPECT_FALSE(alive.peek(notice_key("web1")).has_value());
}

// Both the owner and the store node died: with replicas = 1 another node still
// finds the session on the next node in ring order, and takes it over.
TEST_F(SessionHandlerTest, ReplicaServesWhenOwnerAndStoreAreGone) {
  HandlerConfig with_replica = config("web1");
  with_replica.replicas = 1;
  AppNode web1 = make_node(with_replica);
  const std::string id = new_session(*web1.handler, "kept|b:1;");
  ASSERT_TRUE(other_server_of(id).peek("sess." + id).has_value()) << "no replica written";
  MemcachedModel& alive = other_server_of(id);
  server_of(id).stop();

  with_replica.route = "web2";
  AppNode web2 = make_node(with_replica);
  const Started started = session_start(*web2.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "kept|b:1;");
  EXPECT_NE(started.id, id);
  EXPECT_EQ(&server_of(started.id), &alive);
  ASSERT_TRUE(session_write_close(*web2.handler, started, "kept|b:1;more|b:1;").ok());
  EXPECT_EQ(stored_payload(started.id), "kept|b:1;more|b:1;");
}

// session_regenerate_id(): PHP writes the old ID, closes, makes a new ID, checks
// it is unused with validate_sid, reads it (empty) and writes the data there.
TEST_F(SessionHandlerTest, RegenerateIdKeepsTheDataUnderTheNewId) {
  AppNode web1 = make_node(config("web1"));
  SessionHandler& handler = *web1.handler;
  const std::string old_id = new_session(handler, "user|s:5:\"alice\";");
  const Started started = session_start(handler, old_id);
  ASSERT_TRUE(started.ok) << started.error;
  const std::string data = "user|s:5:\"alice\";login|b:1;";
  // session_regenerate_id(true): destroy the old one.
  ASSERT_TRUE(handler.destroy(old_id).ok());
  ASSERT_TRUE(handler.close().ok());
  ASSERT_TRUE(handler.open().ok());
  auto created = handler.create_sid();
  ASSERT_TRUE(created.ok()) << created.error();
  EXPECT_FALSE(handler.validate_sid(*created)) << "a fresh ID must not count as taken";
  auto read = handler.read(*created);
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(*read, "");
  ASSERT_TRUE(handler.write(*created, data).ok());
  ASSERT_TRUE(handler.close().ok());

  EXPECT_EQ(stored_payload(*created), data);
  EXPECT_TRUE(ended(old_id));
  const Started next = session_start(handler, *created);
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.id, *created);
  EXPECT_EQ(next.data, data);
  (void)handler.close();
}

TEST_F(SessionHandlerTest, DestroyEndsTheSessionEverywhere) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "x|i:1;");
  const Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok);
  ASSERT_TRUE(web1.handler->destroy(id).ok());
  ASSERT_TRUE(web1.handler->close().ok());
  EXPECT_TRUE(ended(id));
  EXPECT_FALSE(web1.cache().get("sess." + id, clock_.wall_s()).has_value());
  const Started after = session_start(*web1.handler, id);
  ASSERT_TRUE(after.ok);
  EXPECT_NE(after.id, id);
  EXPECT_EQ(after.data, "");
  (void)web1.handler->close();
  // A missing session, or an ID that could never be a key, is not an error.
  EXPECT_TRUE(web1.handler->destroy("0123456789abcdef0123456789abcdef-n2.web1").ok());
  EXPECT_TRUE(web1.handler->destroy("bad id\r\n").ok());
}

TEST_F(SessionHandlerTest, HostileIdsNeverReachMemcached) {
  AppNode web1 = make_node(config("web1"));
  for (const std::string id :
       {std::string("abc\r\nflush_all"), std::string("a b"), std::string("x\0y", 3),
        std::string("\xc3\xa9t\xc3\xa9-n1.web1"), std::string(400, 'a'), std::string("")}) {
    EXPECT_FALSE(web1.handler->validate_sid(id));
    auto read = web1.handler->read(id);
    EXPECT_FALSE(read.ok());
    (void)web1.handler->close();
  }
  for (const StoreFaults* link : {&faults1_, &faults2_}) {
    for (const StoreOp op : {StoreOp::kGet, StoreOp::kSet, StoreOp::kTouch, StoreOp::kRemove}) {
      EXPECT_EQ(link->calls(op), 0u) << "a hostile ID reached a store";
    }
  }
  EXPECT_EQ(n1_.item_count() + n2_.item_count(), 0u);
}

TEST_F(SessionHandlerTest, KeyOverMemcachedsLimitIsRefused) {
  HandlerConfig long_prefix = config("web1");
  long_prefix.strict_mode = false;
  long_prefix.prefix = std::string(230, 'p');
  AppNode web1 = make_node(long_prefix);
  ASSERT_TRUE(web1.handler->open().ok());
  auto read = web1.handler->read("0123456789abcdef0123456789abcdef-n1.web1");
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().find("250"), std::string::npos) << read.error();
  (void)web1.handler->close();
  EXPECT_EQ(faults1_.calls(StoreOp::kGet) + faults2_.calls(StoreOp::kGet), 0u);
}

// Without strict mode the handler cannot rewrite IDs, so it never trusts its
// local copy: every request reads memcached (correct, slower).
TEST_F(SessionHandlerTest, WithoutStrictModeEveryReadFetches) {
  HandlerConfig lax = config("web1");
  lax.strict_mode = false;
  AppNode web1 = make_node(lax);
  const std::string id = new_session(*web1.handler, "v|i:1;");
  const Trips before = trips(server_of(id));
  for (int i = 0; i < 10; ++i) {
    const Started started = session_start(*web1.handler, id);
    ASSERT_TRUE(started.ok) << started.error;
    EXPECT_EQ(started.data, "v|i:1;");
    ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  }
  EXPECT_EQ((trips(server_of(id)) - before).get, 10u);
  EXPECT_EQ(web1.handler->counters().local_hits.load(), 0u);
}

// MemcachedNode refuses a value over the node's item size limit before sending it
// (so memcached keeps the stored copy); the fault stands for that refusal.
TEST_F(SessionHandlerTest, OversizeSessionIsRefusedAndTheStoredOneStays) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "small|i:1;");
  faults_of(server_of(id))
      .fail(StoreOp::kSet, "sess." + id,
            Failure::of(Cause::kTooLarge,
                        "item of 2097152 bytes is larger than the node's item size limit"),
            1);
  const Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  Status saved = session_write_close(*web1.handler, started, std::string(2 << 20, 'x'));
  EXPECT_FALSE(saved.ok()) << "a 2 MB session on a 1 MB memcached must be reported";
  if (!saved.ok()) EXPECT_NE(saved.error().find("item size limit"), std::string::npos);
  EXPECT_EQ(stored_payload(id), "small|i:1;");
  const Started next = session_start(*web1.handler, id);
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.id, id);
  EXPECT_EQ(next.data, "small|i:1;");
  (void)web1.handler->close();
}

TEST_F(SessionHandlerTest, LockTimesOutWhileAnotherRequestHoldsTheSession) {
  HandlerConfig short_wait = config("web1");
  short_wait.lock_timeout = std::chrono::milliseconds(300);
  AppNode web1 = make_node(short_wait);
  // A second "child" of the same app node: same segment, its own handler.
  auto other = process(web1, short_wait);
  const std::string id = new_session(*web1.handler, "v|i:1;");

  const Started holder = session_start(*web1.handler, id);
  ASSERT_TRUE(holder.ok) << holder.error;
  const std::int64_t waited_from = clock_.monotonic_ms();
  const Started waiter = session_start(*other, id);
  EXPECT_FALSE(waiter.ok);
  EXPECT_NE(waiter.error.find("lock"), std::string::npos) << waiter.error;
  EXPECT_EQ(clock_.monotonic_ms() - waited_from, 300) << "gave up before lock_timeout";
  EXPECT_EQ(other->counters().lock_timeouts.load(), 1u);
  ASSERT_TRUE(session_write_close(*web1.handler, holder, "v|i:2;").ok());

  const Started after = session_start(*other, id);
  ASSERT_TRUE(after.ok) << after.error;
  EXPECT_EQ(after.data, "v|i:2;");
  (void)other->close();
}

// Two requests of one session in two children of one app node: the second waits
// for the first to close, and sees what the first wrote (the real robust mutex
// across forked processes: session_handler_processes_test.cpp).
TEST_F(SessionHandlerTest, ParallelRequestWaitsForCloseAndSeesItsWrite) {
  AppNode web1 = make_node(config("web1"));
  auto first = process(web1, config("web1"));
  const std::string id = new_session(*web1.handler, "n|i:1;");
  const Started holding = session_start(*first, id);
  ASSERT_TRUE(holding.ok) << holding.error;
  ASSERT_EQ(holding.data, "n|i:1;");
  web1.board->while_waiting = [&] {
    EXPECT_TRUE(session_write_close(*first, holding, "n|i:2;").ok());
  };
  const Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "n|i:2;") << "read did not wait for the other request's write";
  EXPECT_EQ(web1.board->waits, 1u);
  EXPECT_EQ(web1.handler->counters().lock_waits.load(), 1u);
  EXPECT_EQ(web1.handler->counters().lock_timeouts.load(), 0u);
  // The wait is in the histogram as long as it took on the clock (the board's 10 ms).
  const HistogramFigures waited = web1.handler->lock_waits().wait.figures();
  EXPECT_EQ(waited.count, 1u);
  EXPECT_EQ(waited.sum_us, 10000u);
  EXPECT_EQ(web1.handler->lock_waits().wake.figures().count, 0u) << "the board blocks no thread";
  (void)web1.handler->close();
}

TEST_F(SessionHandlerTest, GcSweepsTheLocalCache) {
  HandlerConfig short_life = config("web1");
  short_life.gc_maxlifetime_s = 1;
  short_life.touch_interval_s = 0;  // local lifetime = gc_maxlifetime + touch_interval
  AppNode web1 = make_node(short_life);
  new_session(*web1.handler, "v|i:1;");
  EXPECT_EQ(web1.cache().stats().entries, 1u);
  EXPECT_EQ(web1.handler->gc(), 0u) << "swept a live session";
  clock_.advance_ms(2100);
  EXPECT_EQ(web1.handler->gc(), 1u);
  EXPECT_EQ(web1.cache().stats().entries, 0u);
}

}  // namespace
}  // namespace clustered::testing
