// SPDX-License-Identifier: BSD-3-Clause
// The handler when things go wrong, on memcached models and a ManualClock
// (session/handler_rig.h): store replies of every kind to writes, reads, touches
// and deletes; forwards that loop or point nowhere; takeover notices that cannot
// be written or cannot be read; broken locks and entropy; every node down; and
// the less common hook orders PHP (or a user SessionHandler subclass) may use.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "session/handler_rig.h"
#include "session/takeover_notices.h"

namespace clustered::testing {
namespace {

class HandlerFailuresTest : public ModelHandlerTest {
 protected:
  // A session of web1 stored on n1, a check that looked at n1 and n2 (a second
  // session), then n1 restarted empty. Returns the first session's ID.
  std::string session_of_web1_that_n1_lost(AppNode& web1) {
    const std::string id = new_session_on(*web1.handler, n1_, "v|i:1;");
    clock_.advance_ms(1100);
    (void)new_session(*web1.handler, "o|i:1;");  // first look at n1, n2
    n1_.restart();
    return id;
  }
};

std::string forward_to(std::uint64_t version, const std::string& new_id) {
  return encode_value(version, new_id, kValueFlagForward);
}

// ---------------------------------------------------------------- writes

// An owned session whose write-through is refused for any reason but its size is
// kept on this node (unsynced) and the request succeeds with a warning. A refusal
// of the item (NOT_STORED, an error line, out of memory) is retried under
// the same ID on the next request; a node failure (down, timeout, a reply out of
// step) marks the node down for retry_interval, so a request within it relocates
// the session instead.
class RefusedWriteThroughTest : public ModelHandlerTest,
                                public ::testing::WithParamInterface<Cause> {};

TEST_P(RefusedWriteThroughTest, OwnedSessionIsKeptLocallyThenRetriedOrRelocated) {
  const Cause code = GetParam();
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "v|i:1;");
  MemcachedModel& store = server_of(id);
  faults_of(store).fail(StoreOp::kSet, "sess." + id, Failure::of(code, "injected"), 1);

  Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_TRUE(session_write_close(*web1.handler, started, "v|i:2;").ok())
      << "a failed write-through must not fail the request";
  EXPECT_TRUE(has_warning(web1.handler->take_handled(), "kept on this node"));
  EXPECT_EQ(stored_payload(id), "v|i:1;") << "the fault let the write through";
  const auto cached = web1.cache().get("sess." + id, clock_.wall_s());
  ASSERT_TRUE(cached.has_value());
  EXPECT_TRUE(cached->unsynced);
  EXPECT_EQ(cached->data, "v|i:2;");

  clock_.advance_ms(100);  // within retry_interval (500 ms)
  started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "v|i:2;") << "the newer local copy was not served";
  ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  if (node_failed(code)) {
    EXPECT_NE(started.id, id) << "a session on a failed node stays there";
    EXPECT_EQ(&server_of(started.id), &other_server_of(id));
    EXPECT_EQ(stored_payload(started.id), "v|i:2;");
    EXPECT_EQ(web1.handler->counters().relocations.load(), 1u);
  } else {
    EXPECT_EQ(started.id, id);
    EXPECT_EQ(stored_payload(id), "v|i:2;") << "the unsynced write was not retried";
    EXPECT_FALSE(web1.cache().get("sess." + id, clock_.wall_s())->unsynced);
  }
}

INSTANTIATE_TEST_SUITE_P(Codes, RefusedWriteThroughTest,
                         ::testing::Values(Cause::kNotStored, Cause::kRefused, Cause::kOutOfMemory,
                                           Cause::kDown, Cause::kTimeout, Cause::kBadReply),
                         [](const auto& info) {
                           std::string name(describe(info.param));
                           std::erase_if(name, [](char c) { return !std::isalnum(c); });
                           return name;
                         });

// ---------------------------------------------------------------- conditional writes
// (docs/design.md, "Conditional writes")

// "a slow request on the old owner that overlaps a takeover ends by writing over
// the forward": web1's request read the session from its cache, web2 took it over
// meanwhile. web1's write is conditional on the token of the copy it read, finds
// the forward, and is refused: the forward stays, web2's session is the one.
TEST_F(HandlerFailuresTest, LateWriteOnTheOldOwnerNeverOverwritesTheForward) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = new_session(*web1.handler, "n|i:1;");
  const Started slow = session_start(*web1.handler, id);  // served from web1's cache
  ASSERT_TRUE(slow.ok) << slow.error;
  EXPECT_EQ(trips().get, 0u);

  auto other_process = process(web2, config("web2"));
  const Started taken = session_start(*other_process, id);
  ASSERT_TRUE(taken.ok) << taken.error;
  ASSERT_NE(taken.id, id);
  ASSERT_TRUE(session_write_close(*other_process, taken, "n|i:2;").ok());

  const Status late = session_write_close(*web1.handler, slow, "n|i:9;");
  ASSERT_FALSE(late.ok()) << "the late write went through";
  EXPECT_NE(late.error().find("was not saved: another node took it over (it is now " + taken.id),
            std::string::npos)
      << late.error();
  EXPECT_EQ(web1.handler->counters().write_conflicts.load(), 1u);
  const auto old_key = decode_value(*server_of(id).peek("sess." + id));
  ASSERT_TRUE(old_key.ok());
  EXPECT_TRUE(old_key->forward) << "the forward was overwritten";
  EXPECT_EQ(old_key->payload, taken.id);
  EXPECT_FALSE(web1.cache().get("sess." + id, clock_.wall_s()).has_value())
      << "web1 kept its older copy";
  // The old cookie on web1 now follows the forward to web2's session.
  const Started again = session_start(*web1.handler, id);
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(again.data, "n|i:2;");
  (void)web1.handler->close();
  other_process.reset();
}

// The other order: the old owner's write lands between the takeover's read and
// its forward. The forward is conditional too, finds the newer copy, and the move
// is refused; the new ID forwards back, so the next request takes the newer copy.
TEST_F(HandlerFailuresTest, TakeoverThatReadAnOlderCopyIsRefusedAndForwardsBack) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = new_session(*web1.handler, "n|i:1;");
  const Started taken = session_start(*web2.handler, id);  // reads n=1
  ASSERT_TRUE(taken.ok) << taken.error;
  ASSERT_NE(taken.id, id);

  const Started owner = session_start(*web1.handler, id);
  ASSERT_TRUE(owner.ok) << owner.error;
  ASSERT_TRUE(session_write_close(*web1.handler, owner, "n|i:2;").ok());

  const Status moved = session_write_close(*web2.handler, taken, "n|i:5;");
  ASSERT_FALSE(moved.ok()) << "the takeover overwrote the owner's newer copy";
  EXPECT_NE(moved.error().find("changed on another node while this request ran"), std::string::npos)
      << moved.error();
  EXPECT_EQ(web2.handler->counters().write_conflicts.load(), 1u);
  EXPECT_EQ(web2.handler->counters().migrations.load(), 0u);
  EXPECT_EQ(stored_payload(id), "n|i:2;");
  const Started next = session_start(*web2.handler, taken.id);  // the cookie web2 sent
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.data, "n|i:2;");
  ASSERT_TRUE(session_write_close(*web2.handler, next, "n|i:3;").ok());
  (void)web1.handler->close();
}

// A takeover that changed nothing loses the same race: its request read the
// session and wrote nothing of its own, so nothing of it is refused. The new ID
// forwards back to the newer copy, the operator's log says so, and PHP hears
// success (was: the read-only page got "was not saved" and a failed
// session_write_close()).
TEST_F(HandlerFailuresTest, ReadOnlyTakeoverThatLostTheRaceForwardsBackWithoutAFailure) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = new_session(*web1.handler, "n|i:1;");
  const Started taken = session_start(*web2.handler, id);  // reads n=1
  ASSERT_TRUE(taken.ok) << taken.error;
  ASSERT_NE(taken.id, id);

  const Started owner = session_start(*web1.handler, id);
  ASSERT_TRUE(owner.ok) << owner.error;
  ASSERT_TRUE(session_write_close(*web1.handler, owner, "n|i:2;").ok());

  const Status closed = session_write_close(*web2.handler, taken, taken.data);
  EXPECT_TRUE(closed.ok()) << closed.error();
  EXPECT_EQ(web2.handler->counters().write_conflicts.load(), 1u);
  EXPECT_EQ(web2.handler->counters().errors.load(), 0u);
  EXPECT_EQ(web2.handler->counters().migrations.load(), 0u);
  EXPECT_TRUE(has_warning(web2.take_log(), "stays under its old ID: it changed on another node"));
  EXPECT_EQ(stored_payload(id), "n|i:2;");
  const Started next = session_start(*web2.handler, taken.id);  // the cookie web2 sent
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.data, "n|i:2;");
  ASSERT_TRUE(session_write_close(*web2.handler, next, "n|i:3;").ok());
  (void)web1.handler->close();
}

// validate_sid() followed a forward to an ID of this node, and before read() that
// ID was taken over by another node (and this node's cached copy dropped). PHP has
// chosen the ID already: read() serves the newest copy, read-only; a change is
// refused (was: session_start() failed with "moved to another ID").
TEST_F(HandlerFailuresTest, IdTakenOverBetweenValidateAndReadIsServedAndItsWriteRefused) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string k0 = new_session(*web1.handler, "n|i:1;");
  const Started on_web2 = session_start(*web2.handler, k0);
  ASSERT_TRUE(session_write_close(*web2.handler, on_web2, "n|i:2;").ok());
  const std::string k1 = on_web2.id;

  ASSERT_TRUE(web2.handler->open().ok());
  ASSERT_FALSE(web2.handler->validate_sid(k0));  // follows k0 -> k1 (web2's own)
  auto web1_again = process(web1, config("web1"));
  const Started back = session_start(*web1_again, k1);  // web1 takes k1 over meanwhile
  ASSERT_TRUE(session_write_close(*web1_again, back, "n|i:3;").ok());
  web2.cache().remove("sess." + k1);  // as its takeover notice check would
  auto created = web2.handler->create_sid();
  ASSERT_TRUE(created.ok()) << created.error();
  ASSERT_EQ(*created, k1);
  auto read = web2.handler->read(k1);
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(*read, "n|i:3;");
  const Status saved = web2.handler->write(k1, "n|i:4;");
  ASSERT_FALSE(saved.ok());
  EXPECT_NE(saved.error().find("(it is now " + back.id + ")"), std::string::npos) << saved.error();
  (void)web2.handler->close();
  EXPECT_EQ(stored_payload(back.id), "n|i:3;");
  web1_again.reset();
}

// memcached unlinks the stored item when it cannot store a SET for lack of memory;
// the session must survive on this node and reach memcached once it has room.
TEST_F(HandlerFailuresTest, OutOfMemoryOnWriteDoesNotLoseTheSession) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "v|i:1;");
  MemcachedModel& store = server_of(id);
  store.set_memory_limit(100);  // smaller than any session item

  Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_TRUE(session_write_close(*web1.handler, started, "v|i:2;").ok());
  const auto warnings = web1.handler->take_handled();
  EXPECT_TRUE(has_warning(warnings, "out of memory")) << ::testing::PrintToString(warnings);
  EXPECT_FALSE(stored(id).has_value()) << "memcached keeps an item whose SET failed";
  EXPECT_EQ(web1.handler->counters().writes_out_of_memory.load(), 1u);
  EXPECT_EQ(web1.handler->counters().writes_too_large.load(), 0u)
      << "out of memory is not too large";

  store.set_memory_limit(64 << 20);
  started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.id, id);
  EXPECT_EQ(started.data, "v|i:2;");
  (void)web1.handler->close();
  EXPECT_EQ(stored_payload(id), "v|i:2;") << "the retry did not restore memcached's copy";
}

// memcached answers a SET over its item size limit by unlinking the stored item.
// MemcachedNode refuses such a value before sending it when it knows the node's
// -I, but it may not (the node refused "stats settings", or -I changed). The copy
// this request read is written back: the write fails, the session stays as it
// was, also for the next node that reads it (the owner may die meanwhile).
// replicas = 1 on nodes with different item size limits (an -I change rolled out
// node by node): a change the primary refused was stored on the replica, and
// served once the owner and the primary were gone; the other way round a change
// the primary took but the replica refused was acknowledged, and lost with the
// same two faults. A change that any copy's node refuses is now refused as a
// whole, before anything is sent.
class ReplicaItemLimitTest : public ModelHandlerTest, public ::testing::WithParamInterface<bool> {};

TEST_P(ReplicaItemLimitTest, ChangeTooLargeForAnyCopyIsRefusedEverywhere) {
  const bool primary_smaller = GetParam();
  HandlerConfig with_replica = config("web1");
  with_replica.replicas = 1;
  AppNode web1 = make_node(with_replica);
  const std::string id = new_session_on(*web1.handler, n1_, "v|i:1;");  // replica on n2
  (primary_smaller ? n1_ : n2_).set_item_size_max(1024);
  (primary_smaller ? n2_ : n1_).set_item_size_max(4096);

  const Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  const Status saved = session_write_close(*web1.handler, started, std::string(2048, 'x'));
  EXPECT_FALSE(saved.ok()) << "a change one copy's node refuses was acknowledged";
  EXPECT_EQ(saved.cause(), Cause::kTooLarge) << saved.error();
  EXPECT_EQ(stored_payload(id), "v|i:1;");
  EXPECT_EQ(stored(id, &n2_)->payload, "v|i:1;") << "the replica took the refused change";

  // The owner and the primary die: the replica has the session as acknowledged.
  web1.handler.reset();
  n1_.stop();
  AppNode web2 = make_node(with_replica);
  const Started elsewhere = session_start(*web2.handler, id);
  ASSERT_TRUE(elsewhere.ok) << elsewhere.error;
  EXPECT_EQ(elsewhere.data, "v|i:1;");
  (void)web2.handler->close();
}

INSTANTIATE_TEST_SUITE_P(Limits, ReplicaItemLimitTest, ::testing::Values(true, false),
                         [](const auto& info) {
                           return info.param ? std::string("PrimarySmaller")
                                             : std::string("ReplicaSmaller");
                         });

TEST_F(HandlerFailuresTest, TooLargeSetThatDroppedTheStoredCopyWritesThePreviousOneBack) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "small|i:1;");
  server_of(id).set_item_size_max(4096);
  server_of(id).set_limit_reported(false);  // "stats settings" refused: memcached finds out
  const Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  const Status saved = session_write_close(*web1.handler, started, std::string(8192, 'x'));
  ASSERT_FALSE(saved.ok()) << "an 8 kB session on a 4 kB memcached must be reported";
  EXPECT_NE(saved.error().find("written back"), std::string::npos) << saved.error();
  EXPECT_EQ(web1.handler->counters().writes_too_large.load(), 1u);
  EXPECT_EQ(web1.handler->counters().writes_out_of_memory.load(), 0u);
  EXPECT_EQ(stored_payload(id), "small|i:1;") << "memcached's copy was left dropped";

  AppNode web2 = make_node(config("web2"));
  const Started elsewhere = session_start(*web2.handler, id);
  ASSERT_TRUE(elsewhere.ok) << elsewhere.error;
  EXPECT_EQ(elsewhere.data, "small|i:1;");
  (void)web2.handler->close();
}

// Without a local copy to fall back on (not trusted: no strict mode) a write that
// cannot be stored fails the request, so PHP warns instead of losing it silently.
TEST_F(HandlerFailuresTest, WriteWithoutALocalCopyFailsWhenTheStoreIsDown) {
  HandlerConfig lax = config("web1");
  lax.strict_mode = false;
  AppNode web1 = make_node(lax);
  const std::string id = new_session(*web1.handler, "v|i:1;");
  const Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  server_of(id).stop();
  const std::uint64_t errors = web1.handler->counters().errors.load();
  const Status saved = session_write_close(*web1.handler, started, "v|i:2;");
  ASSERT_FALSE(saved.ok());
  EXPECT_NE(saved.error().find("cannot write session"), std::string::npos) << saved.error();
  EXPECT_NE(saved.error().find(server_of(id).address().endpoint()), std::string::npos);
  EXPECT_EQ(web1.handler->counters().errors.load(), errors + 1);
}

// A replica that cannot be written is reported; the session is written.
TEST_F(HandlerFailuresTest, ReplicaWriteFailureIsReportedButTheWriteSucceeds) {
  HandlerConfig with_replica = config("web1");
  with_replica.replicas = 1;
  AppNode web1 = make_node(with_replica);
  const std::string id = new_session_on(*web1.handler, n1_, "v|i:1;");
  faults2_.fail(StoreOp::kSet, "sess." + id, Failure::of(Cause::kOutOfMemory, "oom"), 1);
  const Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_TRUE(session_write_close(*web1.handler, started, "v|i:2;").ok());
  const auto warnings = web1.handler->take_handled();
  EXPECT_TRUE(has_warning(warnings, "a replica write failed"))
      << ::testing::PrintToString(warnings);
  EXPECT_EQ(stored_payload(id), "v|i:2;");
  EXPECT_EQ(stored(id, &n2_)->payload, "v|i:1;") << "the replica was written after all";
}

// PHP without lazy_write calls write() with the unchanged data: that costs no set.
TEST_F(HandlerFailuresTest, UnchangedWriteWithoutLazyWriteCostsNoSet) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "v|i:1;");
  const Trips before = trips();
  const Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_TRUE(web1.handler->write(id, started.data).ok());
  ASSERT_TRUE(web1.handler->close().ok());
  EXPECT_EQ((trips() - before).set, 0u);
  EXPECT_EQ(web1.handler->counters().writes_skipped.load(), 1u);
  EXPECT_EQ(web1.handler->counters().touches_skipped.load(), 1u);
}

// write() for an ID this request did not read (a user SessionHandler subclass
// may do that): stored under that ID; a hostile one is refused before any store.
TEST_F(HandlerFailuresTest, WriteOfAnIdThatWasNotReadIsStoredAndAHostileOneRefused) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = "0123456789abcdef0123456789abcdef-n2.web1";
  ASSERT_TRUE(web1.handler->write(id, "v|i:1;").ok());
  EXPECT_EQ(stored_payload(id), "v|i:1;");
  EXPECT_EQ(web1.cache().get("sess." + id, clock_.wall_s())->data, "v|i:1;");

  const Trips before = trips();
  const Status hostile = web1.handler->write("abc\r\nflush_all", "x");
  EXPECT_FALSE(hostile.ok());
  EXPECT_EQ((trips() - before).set, 0u);
}

// ---------------------------------------------------------------- touches

// lazy_write, unchanged data, touch_interval passed, and memcached lost the copy
// (restarted): the touch misses, so the session is written in full again.
TEST_F(HandlerFailuresTest, TouchOfACopyMemcachedLostWritesItInFull) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "v|i:1;");
  server_of(id).restart();
  clock_.advance_s(61);
  const Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "v|i:1;");
  ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  EXPECT_EQ(server_of(id).stats().cmd_touch, 1u);
  EXPECT_EQ(stored_payload(id), "v|i:1;") << "memcached's lost copy was not re-seeded";
}

// Without locking (clustered_session.locking = 0) a parallel request may retry
// this request's unsynced copy meanwhile: the cache then says it is synced and
// freshly touched, and this request's update_timestamp needs no touch.
TEST_F(HandlerFailuresTest, WithoutLockingAParallelRequestsRetriedWriteSparesTheTouch) {
  HandlerConfig unlocked = config("web1");
  unlocked.locking = false;
  AppNode web1 = make_node(unlocked);
  auto other = process(web1, unlocked);
  const std::string id = new_session_on(*web1.handler, n1_, "v|i:1;");
  // n2 is down and known so (a delete of one of its sessions failed), n1 frozen:
  // the next write is kept unsynced, and there is no node to relocate it to.
  n2_.stop();
  EXPECT_FALSE(web1.handler->destroy("0123456789abcdef0123456789abcdef-n2.web1").ok());
  n1_.freeze();
  Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_TRUE(session_write_close(*web1.handler, started, "v|i:2;").ok());
  ASSERT_TRUE(web1.cache().get("sess." + id, clock_.wall_s())->unsynced);

  started = session_start(*web1.handler, id);  // served unsynced: n1 is marked down
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_EQ(started.id, id);
  ASSERT_EQ(started.data, "v|i:2;");

  n1_.thaw();
  clock_.advance_ms(600);
  const Started parallel = session_start(*other, id);  // retries the write to n1
  ASSERT_TRUE(parallel.ok) << parallel.error;
  ASSERT_TRUE(session_write_close(*other, parallel, parallel.data).ok());
  ASSERT_EQ(stored_payload(id), "v|i:2;");

  const std::uint64_t touches = n1_.stats().cmd_touch;
  ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  EXPECT_EQ(n1_.stats().cmd_touch, touches) << "touched a copy written a moment ago";
  EXPECT_GE(web1.handler->counters().touches_skipped.load(), 1u);
}

// ---------------------------------------------------------------- reads

// validate_sid() cannot read the session (its store times out): it must say the
// ID is fine and let read() fail, not hand out a new, empty session.
TEST_F(HandlerFailuresTest, UnreadableSessionFailsTheReadInsteadOfGettingANewId) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = new_session(*web1.handler, "precious|b:1;");
  server_of(id).freeze();
  ASSERT_TRUE(web2.handler->open().ok());
  EXPECT_TRUE(web2.handler->validate_sid(id));
  auto read = web2.handler->read(id);
  ASSERT_FALSE(read.ok()) << "read returned '" << *read << "'";
  EXPECT_NE(read.error().find("timed out"), std::string::npos) << read.error();
  (void)web2.handler->close();
  EXPECT_FALSE(web2.segment->health().slot_for(server_of(id).address().endpoint())->failures == 0u)
      << "a timeout must mark the node down";
}

// Bytes under a session key that are no session of ours (another application
// writing under the same prefix, a corrupted item): the read fails rather than
// starting an empty session that would overwrite them.
TEST_F(HandlerFailuresTest, ForeignBytesUnderASessionKeyFailTheReadInsteadOfStartingEmpty) {
  HandlerConfig lax = config("web1");
  lax.strict_mode = false;
  AppNode web1 = make_node(lax);
  const std::string id = "0123456789abcdef0123456789abcdef-n1.web1";
  n1_.poke("sess." + id, "a:1:{s:4:\"user\";}", 0);
  ASSERT_TRUE(web1.handler->open().ok());
  auto read = web1.handler->read(id);
  EXPECT_FALSE(read.ok()) << "read returned '" << *read << "'";
  (void)web1.handler->close();
  EXPECT_EQ(n1_.peek("sess." + id), "a:1:{s:4:\"user\";}");
}

// An ID without our suffix (php-memcached's plain IDs, session.use_strict_mode=0)
// or naming a node not in save_path is stored on its rendezvous node, the same
// on every app node, so it is found again.
TEST_F(HandlerFailuresTest, IdWithoutAKnownStoreIsKeptOnItsRendezvousNode) {
  HandlerConfig lax = config("web1");
  lax.strict_mode = false;
  AppNode web1 = make_node(lax);
  AppNode web2 = make_node([&] {
    HandlerConfig other = lax;
    other.route = "web2";
    return other;
  }());
  for (const std::string id : {std::string("2vd7irf68somdn5ea4vkir8ltq"),
                               std::string("0123456789abcdef0123456789abcdef-n9.web1")}) {
    const Started first = session_start(*web1.handler, id);
    ASSERT_TRUE(first.ok) << first.error;
    EXPECT_EQ(first.id, id);
    ASSERT_TRUE(
        session_write_close(*web1.handler, first, "v|s:2:\"" + id.substr(0, 2) + "\";").ok());
    EXPECT_EQ(n1_.peek("sess." + id).has_value() + n2_.peek("sess." + id).has_value(), 1)
        << "one copy, on one node";
    const Started elsewhere = session_start(*web2.handler, id);
    ASSERT_TRUE(elsewhere.ok) << elsewhere.error;
    EXPECT_EQ(elsewhere.data, "v|s:2:\"" + id.substr(0, 2) + "\";");
    (void)web2.handler->close();
  }
}

// ---------------------------------------------------------------- forwards

// Forwards that point at each other (written by a buggy or hostile client): the
// ID is given up after a few hops, with a fresh session, instead of looping.
TEST_F(HandlerFailuresTest, ForwardCycleEndsInAFreshIdInsteadOfLooping) {
  AppNode web1 = make_node(config("web1"));
  const std::string a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-n1.web2";
  const std::string b = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-n2.web2";
  n1_.poke("sess." + a, forward_to(5, b), 0);
  n2_.poke("sess." + b, forward_to(5, a), 0);
  const Trips before = trips();
  const Started started = session_start(*web1.handler, a);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_NE(started.id, a);
  EXPECT_NE(started.id, b);
  EXPECT_EQ(started.data, "");
  EXPECT_EQ((trips() - before).get, 2u) << "one get per ID of the cycle";
  (void)web1.handler->close();
}

// A forward to an ID that names no node of save_path (n7) is looked for on every
// node known here before giving up; then a fresh session, and a warning naming n7.
TEST_F(HandlerFailuresTest, ForwardToAnUnknownNodeIsLookedUpOnTheKnownNodesThenWarns) {
  AppNode web1 = make_node(config("web1"));
  const std::string a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-n1.web2";
  n1_.poke("sess." + a, forward_to(5, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-n7.web2"), 0);
  const Started started = session_start(*web1.handler, a);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_NE(started.id, a);
  EXPECT_EQ(started.data, "");
  EXPECT_EQ(trips().get, 3u);  // the forward, then the target on n1 and n2
  EXPECT_TRUE(has_warning(web1.handler->take_handled(),
                          "names memcached node 'n7', which is not in session.save_path (n1, n2)"));
  (void)web1.handler->close();
}

// A session whose node was removed from this save_path, with a copy left on a
// known node (a replica, or a copy moved there): found and taken over, not reset.
TEST_F(HandlerFailuresTest, SessionNamingARemovedNodeIsFoundOnAKnownNode) {
  AppNode web1 = make_node(config("web1"));
  const std::string gone = "cccccccccccccccccccccccccccccccc-n9.web2";
  n2_.poke("sess." + gone, encode_value(7, "user|s:5:\"alice\";"), 0);
  const Started started = session_start(*web1.handler, gone);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_NE(started.id, gone);
  EXPECT_EQ(started.data, "user|s:5:\"alice\";");
  EXPECT_TRUE(started.id.ends_with(".web1")) << started.id;
  ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  EXPECT_TRUE(web1.handler->take_handled().empty());
  const Started again = session_start(*web1.handler, started.id);
  EXPECT_EQ(again.data, "user|s:5:\"alice\";");
  (void)web1.handler->close();
}

// Without strict mode the ID cannot be rewritten to follow a forward, and the
// forward's bytes are no session data: the read fails instead of starting empty.
TEST_F(HandlerFailuresTest, WithoutStrictModeAMovedSessionFailsInsteadOfStartingEmpty) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id1 = new_session(*web1.handler, "user|s:5:\"alice\";");
  const Started moved = session_start(*web2.handler, id1);
  ASSERT_TRUE(moved.ok) << moved.error;
  ASSERT_TRUE(session_write_close(*web2.handler, moved, moved.data).ok());

  HandlerConfig lax = config("web3");
  lax.strict_mode = false;
  AppNode web3 = make_node(lax);
  ASSERT_TRUE(web3.handler->open().ok());
  auto read = web3.handler->read(id1);
  ASSERT_FALSE(read.ok()) << "read returned '" << *read << "'";
  EXPECT_NE(read.error().find("use_strict_mode"), std::string::npos) << read.error();
  (void)web3.handler->close();
}

// A parallel request of the page that caused the takeover reaches the new owner
// with the old cookie: the new owner's cache holds the forward, so it is followed
// there, without a round trip, to the session as the takeover wrote it.
TEST_F(HandlerFailuresTest, OldCookieOnTheNewOwnerFollowsItsLocalForward) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id1 = new_session(*web1.handler, "v|i:1;");
  const Started moved = session_start(*web2.handler, id1);
  ASSERT_TRUE(moved.ok) << moved.error;
  ASSERT_TRUE(session_write_close(*web2.handler, moved, "v|i:2;").ok());

  const Trips before = trips();
  const Started late = session_start(*web2.handler, id1);
  ASSERT_TRUE(late.ok) << late.error;
  EXPECT_EQ(late.id, moved.id);
  EXPECT_EQ(late.data, "v|i:2;");
  (void)web2.handler->close();
  EXPECT_EQ((trips() - before).get, 0u);
}

// A session moved twice (web1 -> web2 -> web3): the first cookie, on a fourth
// node, follows both forwards and takes over the newest copy.
TEST_F(HandlerFailuresTest, OldestCookieFollowsEveryForwardToTheNewestCopy) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  AppNode web3 = make_node(config("web3"));
  AppNode web4 = make_node(config("web4"));
  const std::string id1 = new_session(*web1.handler, "v|i:1;");
  const Started on2 = session_start(*web2.handler, id1);
  ASSERT_TRUE(session_write_close(*web2.handler, on2, "v|i:2;").ok());
  const Started on3 = session_start(*web3.handler, on2.id);
  ASSERT_TRUE(session_write_close(*web3.handler, on3, "v|i:3;").ok());

  const Started on4 = session_start(*web4.handler, id1);
  ASSERT_TRUE(on4.ok) << on4.error;
  EXPECT_EQ(on4.data, "v|i:3;");
  EXPECT_EQ(parse_session_id(on4.id)->route, "web4");
  ASSERT_TRUE(session_write_close(*web4.handler, on4, on4.data).ok());
  // And on web3, the owner of the newest copy, the first cookie finds its own session.
  const Started on3_again = session_start(*web3.handler, id1);
  ASSERT_TRUE(on3_again.ok) << on3_again.error;
  EXPECT_EQ(on3_again.data, "v|i:3;");
  (void)web3.handler->close();
}

// A node that trusts no local copy (here cache_size = 0) still rewrites IDs in
// strict mode: an old cookie follows the forward to the session's current ID
// (without taking it over), instead of starting empty.
TEST_F(HandlerFailuresTest, UntrustingNodeFollowsAForwardToTheSessionsCurrentId) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  HandlerConfig no_cache = config("web3");
  no_cache.local_cache = false;
  AppNode web3 = make_node(no_cache, 0);
  const std::string id1 = new_session(*web1.handler, "v|i:1;");
  const Started moved = session_start(*web2.handler, id1);
  ASSERT_TRUE(moved.ok) << moved.error;
  ASSERT_TRUE(session_write_close(*web2.handler, moved, "v|i:2;").ok());

  const Started followed = session_start(*web3.handler, id1);
  ASSERT_TRUE(followed.ok) << followed.error;
  EXPECT_EQ(followed.id, moved.id) << "the cookie was not pointed at the current ID";
  EXPECT_EQ(followed.data, "v|i:2;");
  ASSERT_TRUE(session_write_close(*web3.handler, followed, "v|i:3;").ok());
  EXPECT_EQ(stored_payload(moved.id), "v|i:3;");
  EXPECT_EQ(web3.handler->counters().migrations.load(), 0u);
}

// ---------------------------------------------------------------- takeovers

// A takeover whose notice no node accepts: the move completes and the request
// warns that the old owner may serve its copy until it finds the notice.
TEST_F(HandlerFailuresTest, TakeoverWhoseNoticeNoNodeAcceptsWarns) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id1 = new_session(*web1.handler, "v|i:1;");
  for (StoreFaults* server : {&faults1_, &faults2_}) {
    for (const StoreOp op : {StoreOp::kAppend, StoreOp::kAdd, StoreOp::kSet}) {
      server->fail(op, "clustered_session.moved:", Failure::of(Cause::kRefused, "nope"));
    }
  }
  const Started moved = session_start(*web2.handler, id1);
  ASSERT_TRUE(moved.ok) << moved.error;
  ASSERT_TRUE(session_write_close(*web2.handler, moved, moved.data).ok());
  const auto warnings = web2.handler->take_handled();
  EXPECT_TRUE(has_warning(warnings, "the notice to it could not be written"))
      << ::testing::PrintToString(warnings);
  EXPECT_TRUE(has_warning(warnings, "memcached node n1")) << ::testing::PrintToString(warnings);
  EXPECT_TRUE(has_warning(warnings, "memcached node n2")) << ::testing::PrintToString(warnings);
  EXPECT_EQ(stored_payload(moved.id), "v|i:1;");
  EXPECT_TRUE(stored(id1)->forward);
}

// The store node times out on the forward, right after it took the data, and the
// other node is already down: the move stands (the data is under the new ID), and
// both the missing forward and the missing notice are reported.
TEST_F(HandlerFailuresTest, TakeoverWhenEveryNodeFailsAfterTheDataWarnsNoNodeIsUp) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id1 = new_session_on(*web1.handler, n1_, "v|i:1;");
  web2.link(1).fail(StoreOp::kSet, "", Failure::of(Cause::kDown, "refused"));
  EXPECT_FALSE(web2.handler->destroy("0123456789abcdef0123456789abcdef-n2.web2").ok());
  web2.link(0).fail(StoreOp::kSet, "sess." + id1, Failure::of(Cause::kTimeout, "slow"));

  const Started moved = session_start(*web2.handler, id1);
  ASSERT_TRUE(moved.ok) << moved.error;
  ASSERT_TRUE(session_write_close(*web2.handler, moved, moved.data).ok());
  const auto warnings = web2.handler->take_handled();
  EXPECT_TRUE(has_warning(warnings, "the forward under its old ID could not be written"))
      << ::testing::PrintToString(warnings);
  EXPECT_TRUE(has_warning(warnings, "no memcached node is up"))
      << ::testing::PrintToString(warnings);
  EXPECT_EQ(stored_payload(moved.id), "v|i:1;");
}

// A forward the old store node missed is retried with the mover's next check,
// but only over the copy the move read: the old owner, which never learnt of the
// move, changed the session there meanwhile, and that change stays (was: the
// retry set the forward blindly over it, and the change was gone for good).
TEST_F(HandlerFailuresTest, RetriedForwardNeverOverwritesAChangeMadeSinceTheMove) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(checking_config("web2"));
  const std::string id1 = new_session_on(*web1.handler, n1_, "v|i:1;");
  web2.link(0).fail(StoreOp::kSet, "sess." + id1, Failure::of(Cause::kTimeout, "slow"));
  const Started moved = session_start(*web2.handler, id1);
  ASSERT_TRUE(moved.ok) << moved.error;
  ASSERT_NE(moved.id, id1);
  ASSERT_TRUE(session_write_close(*web2.handler, moved, moved.data).ok());
  ASSERT_TRUE(has_warning(web2.handler->take_handled(),
                          "the forward under its old ID could not be written"));

  const Started owner = session_start(*web1.handler, id1);  // no notice read: its copy
  ASSERT_TRUE(owner.ok) << owner.error;
  ASSERT_TRUE(session_write_close(*web1.handler, owner, "v|i:2;").ok());

  web2.link(0).clear();
  clock_.advance_s(2);  // past retry_interval and the check interval
  const std::string other = new_session(*web2.handler, "w|i:1;");  // runs web2's check
  ASSERT_FALSE(other.empty());
  EXPECT_EQ(stored_payload(id1), "v|i:2;") << "the retried forward overwrote the owner's change";
}

// A notice list that says "*" (it overflowed the node's item size, or holds what
// no reader can parse) could have named any session: the node drops every synced
// copy it holds and reads each from memcached once more.
// "*" (everything) in the notice list: every synced copy is compared with
// memcached before it is served again (LostCopies), none served unread.
TEST_F(HandlerFailuresTest, OverflowedNoticeListMakesTheNodeCompareEverySyncedCopy) {
  AppNode web1 = make_node(checking_config("web1"));
  const std::string a = new_session(*web1.handler, "a|i:1;");
  const std::string b = new_session(*web1.handler, "b|i:1;");
  n2_.poke(notice_key("web1"), kNoticeEverything, 180);
  clock_.advance_s(1);
  const Started started = session_start(*web1.handler, a);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "a|i:1;");
  (void)web1.handler->close();
  EXPECT_EQ(web1.handler->counters().takeover_notices.load(), 2u);
  // The check compared b (memcached holds the same version): trusted again.
  const auto held = web1.cache().get("sess." + b, clock_.wall_s());
  ASSERT_TRUE(held.has_value());
  EXPECT_FALSE(held->untrusted);
  n2_.poke("sess." + b, forward_to(stored_version(b) + 1, "x-n1.web2"), 100);
  n1_.poke("sess." + b, forward_to(stored_version(b) + 1, "x-n1.web2"), 100);
  n2_.poke(notice_key("web1"), kNoticeEverything, 180);
  clock_.advance_s(1);
  (void)session_start(*web1.handler, a);
  (void)web1.handler->close();
  EXPECT_FALSE(web1.cache().get("sess." + b, clock_.wall_s()).has_value())
      << "memcached replaced it: dropped";
}

// An overflowing list is replaced by "*": a node that gets more notices than
// fit in one item still tells the old owner something, the strongest thing.
TEST_F(HandlerFailuresTest, NoticeListThatCannotGrowBecomesDistrustEverything) {
  AppNode web1 = make_node(checking_config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string key = notice_key("web1");
  n1_.poke(key, std::string(4000, '0') + "\n", 180);
  n1_.set_item_size_max(4096);
  const std::string id1 = new_session_on(*web1.handler, n2_, "v|i:1;");
  const Started moved = session_start(*web2.handler, id1);
  ASSERT_TRUE(moved.ok) << moved.error;
  ASSERT_TRUE(session_write_close(*web2.handler, moved, moved.data).ok());
  const auto full = n1_.peek(key);
  ASSERT_TRUE(full.has_value());
  const Notices restarted = parse_notices(*full);
  EXPECT_NE(restarted.generation, 0u) << "a new generation heads the list";
  EXPECT_TRUE(restarted.everything) << *full;
  const auto grown = n2_.peek(key);
  ASSERT_TRUE(grown.has_value());
  const Notices listed = parse_notices(*grown);
  EXPECT_FALSE(listed.everything) << *grown;
  EXPECT_EQ(listed.key_hashes, std::vector<std::uint64_t>{SessionCache::hash_of("sess." + id1)});
}

// A takeover check that cannot read one node's lists (it times out) is not
// complete: the notice may be on that node alone. From one interval after the
// last complete check, a cached copy is compared with memcached before it is
// served (served as it is only when its store node does not answer either, and
// after kNoticeGapSeconds not even then: notices on that node may expire
// unread). Once the node answers again, a check completes and trust returns
// (after dropping what it held).
TEST_F(HandlerFailuresTest, NodeThatCannotReadEveryNoticeListComparesItsCopiesWithMemcached) {
  AppNode web1 = make_node(checking_config("web1"));
  const std::string id = new_session_on(*web1.handler, n2_, "v|i:1;");
  n1_.freeze();
  const TakeoverWatch& watch = web1.segment->takeover_watch();
  const std::int64_t last_complete = watch.checked_at.load();
  const std::uint64_t hits = web1.handler->counters().local_hits.load();
  std::uint64_t n2_gets = n2_.stats().cmd_get;
  for (int request = 1; request <= kNoticeGapSeconds + 2; ++request) {
    clock_.advance_ms(1000);  // a check is due, n1's retry interval has passed
    const std::int64_t request_s = clock_.monotonic_ms() / 1000;
    const Started started = session_start(*web1.handler, id);
    ASSERT_TRUE(started.ok) << started.error;
    ASSERT_EQ(started.data, "v|i:1;");
    ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
    EXPECT_EQ(web1.handler->counters().local_hits.load(), hits)
        << "served on trust " << request_s - last_complete << " s after the last complete check";
  }
  EXPECT_EQ(watch.checked_at.load(), last_complete) << "an incomplete check counted as complete";
  EXPECT_GT(n2_.stats().cmd_get - n2_gets, 0u);

  EXPECT_GE(web1.handler->counters().takeover_checks.load(), 30u);

  n1_.thaw();
  clock_.advance_ms(1000);
  Started started = session_start(*web1.handler, id);  // completes a check, reads memcached
  ASSERT_TRUE(started.ok) << started.error;
  (void)web1.handler->close();
  EXPECT_EQ(watch.checked_at.load(), clock_.monotonic_ms() / 1000);
  n2_gets = n2_.stats().cmd_get;
  started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  (void)web1.handler->close();
  EXPECT_EQ(n2_.stats().cmd_get, n2_gets) << "trust did not come back";
}

// read() without validate_sid() (a user SessionHandler subclass calling
// parent::read()) of an owned session the cache lost (evicted): read from
// memcached and cached again, so the next request is local.
TEST_F(HandlerFailuresTest, OwnedReadWithoutValidateSidRefillsTheCacheAfterAnEviction) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "v|i:1;");
  web1.cache().remove("sess." + id);
  ASSERT_TRUE(web1.handler->open().ok());
  auto read = web1.handler->read(id);
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(*read, "v|i:1;");
  (void)web1.handler->close();
  EXPECT_EQ(web1.handler->counters().local_misses.load(), 1u);
  const auto cached = web1.cache().get("sess." + id, clock_.wall_s());
  ASSERT_TRUE(cached.has_value()) << "not cached again";
  EXPECT_EQ(cached->data, "v|i:1;");

  ASSERT_TRUE(web1.handler->open().ok());
  read = web1.handler->read(id);
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(*read, "v|i:1;");
  (void)web1.handler->close();
  EXPECT_EQ(web1.handler->counters().local_hits.load(), 1u);
}

// ---------------------------------------------------------------- locks, entropy, no nodes

// The session lock cannot be taken at all (a broken mutex): the request fails
// with an error saying so, and nothing is read.
TEST_F(HandlerFailuresTest, BrokenSessionLockFailsTheRequest) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "v|i:1;");
  web1.board->failures_to_inject = 1;
  const Trips before = trips();
  const Started started = session_start(*web1.handler, id);
  EXPECT_FALSE(started.ok);
  EXPECT_NE(started.error.find("cannot take the lock"), std::string::npos) << started.error;
  EXPECT_EQ((trips() - before).get, 0u);
  EXPECT_EQ(web1.handler->counters().lock_timeouts.load(), 0u);
}

// Without strict mode read() takes the lock itself; a timeout there fails too.
TEST_F(HandlerFailuresTest, LockTimeoutWithoutStrictModeFailsTheRead) {
  HandlerConfig lax = config("web1");
  lax.strict_mode = false;
  lax.lock_timeout = std::chrono::milliseconds(1000);
  AppNode web1 = make_node(lax);
  auto other = process(web1, lax);
  const std::string id = new_session(*web1.handler, "v|i:1;");
  const Started holder = session_start(*web1.handler, id);
  ASSERT_TRUE(holder.ok) << holder.error;
  const Started waiter = session_start(*other, id);
  EXPECT_FALSE(waiter.ok);
  EXPECT_NE(waiter.error.find("timed out after 1 s"), std::string::npos) << waiter.error;
  (void)web1.handler->close();
}

// getrandom() failing must fail session_start(), never make a weak or empty ID.
TEST_F(HandlerFailuresTest, CreateSidFailsWhenThereIsNoRandomness) {
  AppNode web1 = make_node(config("web1"));
  entropy_.failures_to_inject = 1;
  const Started started = session_start(*web1.handler, "");
  EXPECT_FALSE(started.ok);
  EXPECT_NE(started.error.find("getrandom"), std::string::npos) << started.error;
  EXPECT_EQ(n1_.item_count() + n2_.item_count(), 0u);
}

// Every memcached node down: a new session still gets an ID (naming some node),
// is kept on this node, and reaches memcached on the first request after one is back.
TEST_F(HandlerFailuresTest, NewSessionWhileEveryMemcachedIsDownIsKeptUntilOneAnswers) {
  AppNode web1 = make_node(config("web1"));
  n1_.stop();
  n2_.stop();
  const Started started = session_start(*web1.handler, "");
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_TRUE(parse_session_id(started.id).has_value()) << started.id;
  ASSERT_TRUE(session_write_close(*web1.handler, started, "v|i:1;").ok());
  EXPECT_TRUE(has_warning(web1.handler->take_handled(), "kept on this node"));

  n1_.start();
  n2_.start();
  clock_.advance_ms(600);
  const Started next = session_start(*web1.handler, started.id);
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.id, started.id);
  EXPECT_EQ(next.data, "v|i:1;");
  (void)web1.handler->close();
  EXPECT_EQ(stored_payload(started.id), "v|i:1;");
}

// ---------------------------------------------------------------- hook orders

// create_sid() asked twice in the request that takes a session over (a user
// handler, or PHP retrying an ID it thinks collides): the session goes to the
// second ID, the first is never used.
TEST_F(HandlerFailuresTest, SecondCreateSidOfATakeoverStillCarriesTheSession) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id1 = new_session(*web1.handler, "v|i:1;");
  SessionHandler& handler = *web2.handler;
  ASSERT_TRUE(handler.open().ok());
  ASSERT_FALSE(handler.validate_sid(id1));
  auto first = handler.create_sid();
  ASSERT_TRUE(first.ok()) << first.error();
  auto second = handler.create_sid();
  ASSERT_TRUE(second.ok()) << second.error();
  ASSERT_NE(*first, *second);
  auto read = handler.read(*second);
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(*read, "v|i:1;");
  ASSERT_TRUE(handler.close().ok());
  EXPECT_EQ(stored_payload(*second), "v|i:1;");
  EXPECT_FALSE(stored(*first).has_value());
  EXPECT_EQ(stored(id1)->payload, *second) << "the forward points elsewhere";
}

// destroy() between create_sid() and read() of a takeover (a user SessionHandler
// subclass may call parent::destroy() anywhere): the old key goes too.
TEST_F(HandlerFailuresTest, DestroyOfAnIssuedTakeoverIdAlsoRemovesTheOldSession) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id1 = new_session(*web1.handler, "v|i:1;");
  SessionHandler& handler = *web2.handler;
  ASSERT_TRUE(handler.open().ok());
  ASSERT_FALSE(handler.validate_sid(id1));
  auto created = handler.create_sid();
  ASSERT_TRUE(created.ok()) << created.error();
  ASSERT_TRUE(handler.destroy(*created).ok());
  ASSERT_TRUE(handler.close().ok());
  EXPECT_TRUE(ended(id1)) << "the destroyed session lives on under its old ID";
  EXPECT_FALSE(stored(*created).has_value()) << "nothing was ever written under the new ID";
  AppNode web3 = make_node(config("web3"));
  const Started again = session_start(*web3.handler, id1);
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(again.data, "");
  (void)web3.handler->close();
}

// session_destroy() while the store node cannot be reached: PHP is told (the
// logout did not happen in memcached), and the local copy is gone regardless.
TEST_F(HandlerFailuresTest, DestroyThatCannotReachTheStoreIsAnError) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "user|s:5:\"alice\";");
  const Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  server_of(id).freeze();
  const Status destroyed = web1.handler->destroy(id);
  ASSERT_FALSE(destroyed.ok());
  EXPECT_NE(destroyed.error().find("cannot destroy session"), std::string::npos)
      << destroyed.error();
  (void)web1.handler->close();
  // Only a tombstone stays, to retry the delete (MissedWrites): not the session.
  const auto cached = web1.cache().get("sess." + id, clock_.wall_s());
  ASSERT_TRUE(cached.has_value());
  EXPECT_TRUE(cached->deleted);
  EXPECT_EQ(cached->data, "");
}

// session_regenerate_id(false) in the request that took a session over: the
// takeover completes under its ID (old cookie -> forward), then the data is
// copied to the regenerated ID; every ID of the chain opens the session.
TEST_F(HandlerFailuresTest, RegenerateRightAfterATakeoverCompletesTheTakeoverFirst) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id1 = new_session(*web1.handler, "v|i:1;");
  SessionHandler& handler = *web2.handler;
  const Started started = session_start(handler, id1);
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_NE(started.id, id1);
  // session_regenerate_id(false): write the current ID, close, new ID, read, write.
  ASSERT_TRUE(handler.write(started.id, "v|i:2;").ok());
  ASSERT_TRUE(handler.close().ok());
  ASSERT_TRUE(handler.open().ok());
  auto regenerated = handler.create_sid();
  ASSERT_TRUE(regenerated.ok()) << regenerated.error();
  EXPECT_FALSE(handler.validate_sid(*regenerated));
  auto read = handler.read(*regenerated);
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(*read, "");
  ASSERT_TRUE(handler.write(*regenerated, "v|i:2;").ok());
  ASSERT_TRUE(handler.close().ok());

  EXPECT_EQ(stored(id1)->payload, started.id) << "the old cookie lost its forward";
  EXPECT_EQ(stored_payload(started.id), "v|i:2;");
  EXPECT_EQ(stored_payload(*regenerated), "v|i:2;");
  EXPECT_EQ(handler.counters().migrations.load(), 1u);
}

// ---------------------------------------------------------------- settings

// clustered_session.prefix (PHP_INI_ALL) and session.use_strict_mode may change
// between requests of one process: the next request uses the new ones.
TEST_F(HandlerFailuresTest, RequestSettingsChangedBetweenRequestsApplyToTheNextRequest) {
  AppNode web1 = make_node(config("web1"));
  RequestSettings settings;
  settings.strict_mode = true;
  settings.prefix = "shop.";
  settings.sid_length = 40;
  settings.sid_bits_per_character = 5;
  settings.gc_maxlifetime_s = 600;
  web1.handler->update_request_settings(settings);
  const std::string id = new_session(*web1.handler, "v|i:1;");
  EXPECT_EQ(parse_session_id(id)->random.size(), 40u);
  ASSERT_TRUE(stored(id, nullptr, "shop.").has_value()) << "not stored under the new prefix";
  EXPECT_FALSE(stored(id).has_value());
  EXPECT_EQ(server_of(id).ttl_left("shop." + id), 600 + 60);

  settings.strict_mode = false;  // ini_set('session.use_strict_mode', 0)
  web1.handler->update_request_settings(settings);
  EXPECT_FALSE(web1.handler->config().trusts_local_copy());
  const Trips before = trips();
  const Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "v|i:1;");
  (void)web1.handler->close();
  EXPECT_EQ((trips() - before).get, 1u) << "served from the cache without strict mode";
}

// clustered_session.cache_size = 0: nothing is trusted, so every read fetches and
// a foreign session keeps its ID (no takeover without a cache to own it in).
TEST_F(HandlerFailuresTest, WithoutACacheEveryReadFetchesAndNoSessionMoves) {
  HandlerConfig no_cache = config("web2");
  no_cache.local_cache = false;
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(no_cache, 0);
  const std::string id1 = new_session(*web1.handler, "v|i:1;");
  for (int i = 0; i < 3; ++i) {
    const Started started = session_start(*web2.handler, id1);
    ASSERT_TRUE(started.ok) << started.error;
    EXPECT_EQ(started.id, id1);
    EXPECT_EQ(started.data, "v|i:1;");
    ASSERT_TRUE(session_write_close(*web2.handler, started, started.data).ok());
  }
  EXPECT_EQ(web2.handler->counters().migrations.load(), 0u);
  EXPECT_EQ(web2.handler->gc(), 0u);
}

// ---------------------------------------------------------------- restarts, chains, item sizes
// (sessions the handler once lost: docs/design.md, "Simulation")

// Fixed: "an unchanged session is re-written only at the next touch [...]: an
// owner that dies, or just idles, after a memcached restart loses the sessions."
// The owner's next takeover check sees another memcached process (pid, start
// time) and stores what it holds there again, without a request of that session
// (docs/design.md, "Forwards and notices").
TEST_F(HandlerFailuresTest, MemcachedRestartedEmptyIsReseededByTheOwnerWithoutARequestOfIt) {
  AppNode web1 = make_node(checking_config("web1"));
  const std::string id = new_session_on(*web1.handler, n1_, "v|i:1;");
  clock_.advance_ms(1100);
  const std::string other = new_session(*web1.handler, "o|i:1;");  // first look at n1, n2
  n1_.restart();
  EXPECT_FALSE(stored(id).has_value());
  clock_.advance_ms(1100);
  const Started someone = session_start(*web1.handler, other);  // runs the due check
  ASSERT_TRUE(someone.ok) << someone.error;
  (void)web1.handler->close();
  EXPECT_EQ(stored_payload(id), "v|i:1;") << "the restarted node was not re-seeded";
  EXPECT_EQ(web1.handler->counters().store_restarts.load(), 1u);
  const auto cached = web1.cache().get("sess." + id, clock_.wall_s());
  ASSERT_TRUE(cached.has_value());
  EXPECT_FALSE(cached->unsynced);

  // The owner dies: another node finds the session on the restarted memcached.
  AppNode web2 = make_node(config("web2"));
  const Started elsewhere = session_start(*web2.handler, id);
  ASSERT_TRUE(elsewhere.ok) << elsewhere.error;
  EXPECT_EQ(elsewhere.data, "v|i:1;");
  (void)web2.handler->close();
}

// A restart before the app node's first takeover check was never seen: the first
// look at the server's identity was taken by that check, after the restart, so
// nothing was stored again and the sessions died with their owner. The identity
// is now read when a connection opens, before anything is written on it.
TEST_F(HandlerFailuresTest, RestartBeforeTheFirstTakeoverCheckIsSeenAndReseeded) {
  AppNode web1 = make_node(checking_config("web1"));
  const std::string id = new_session_on(*web1.handler, n1_, "v|i:1;");  // first contact
  n1_.restart();  // before any takeover check of web1
  EXPECT_FALSE(stored(id).has_value());
  clock_.advance_ms(1100);
  const std::string other = new_session_on(*web1.handler, n2_, "o|i:1;");  // runs the check
  EXPECT_EQ(stored_payload(id), "v|i:1;") << "the restart was not seen: nothing re-seeded";
  EXPECT_EQ(web1.handler->counters().store_restarts.load(), 1u);

  // The owner dies: another node finds the session on the restarted memcached.
  AppNode web2 = make_node(config("web2"));
  const Started elsewhere = session_start(*web2.handler, id);
  ASSERT_TRUE(elsewhere.ok) << elsewhere.error;
  EXPECT_EQ(elsewhere.data, "v|i:1;");
  (void)web2.handler->close();
  (void)other;
}

// The same when the owner idled past the notice gap meanwhile: the check that
// drops every synced copy first learns of the restart, so the copies whose
// remote copy is gone are kept (unsynced) and stored again, not dropped.
TEST_F(HandlerFailuresTest, OwnerIdleAcrossAMemcachedRestartKeepsAndReseedsItsSessions) {
  AppNode web1 = make_node(checking_config("web1"));
  const std::string id = session_of_web1_that_n1_lost(web1);
  clock_.advance_ms((kNoticeGapSeconds + 10) * 1000);
  (void)new_session(*web1.handler, "o|i:2;");  // the check after the gap
  EXPECT_EQ(stored_payload(id), "v|i:1;") << "the idle owner dropped the only copy";
}

// An owner that serves no request at all (ext/'s idle check thread runs the
// check instead): what a memcached restart lost is stored again within an
// interval, and a check that is not due does nothing.
TEST_F(HandlerFailuresTest, IdleOwnerStoresAgainWhatARestartLostWithoutAnyRequest) {
  AppNode web1 = make_node(checking_config("web1"));
  const std::string id = session_of_web1_that_n1_lost(web1);
  EXPECT_FALSE(web1.handler->check_if_due()) << "checked less than an interval ago";
  EXPECT_FALSE(stored(id).has_value());
  clock_.advance_ms(1100);
  EXPECT_TRUE(web1.handler->check_if_due());
  EXPECT_EQ(stored_payload(id), "v|i:1;") << "the idle owner did not store it again";
  EXPECT_EQ(web1.handler->counters().store_restarts.load(), 1u);
  EXPECT_FALSE(web1.handler->check_if_due()) << "the check just ran";

  AppNode uncached = make_node(checking_config("web3"), 0);
  clock_.advance_ms(1100);
  EXPECT_FALSE(uncached.handler->check_if_due()) << "no cache: nothing to store again";
}

// A takeover since the restart wins: the owner's copy is only stored where the
// key is missing, so the forward the new owner left stays.
TEST_F(HandlerFailuresTest, ReseedAfterARestartNeverOverwritesAForwardWrittenSince) {
  AppNode web1 = make_node(checking_config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = session_of_web1_that_n1_lost(web1);
  n1_.poke("sess." + id, forward_to(clock_.wall_us(), "moved-elsewhere-n2.web2"), 0);
  clock_.advance_ms(1100);
  (void)new_session(*web1.handler, "o|i:2;");
  const auto kept = stored(id);
  ASSERT_TRUE(kept.has_value());
  EXPECT_TRUE(kept->forward) << "the re-seed wrote over a forward";
  EXPECT_FALSE(web1.cache().get("sess." + id, clock_.wall_s()).has_value())
      << "the owner keeps a copy another node has moved";
  (void)web2;
}

// Fixed: "A cookie four or more takeovers old gets an empty session and
// its Set-Cookie replaces the browser's good one." Eight takeovers, then the first
// cookie: it finds the session, and the chain it followed is shortened, so the
// next request with it takes one hop.
TEST_F(HandlerFailuresTest, CookieEightTakeoversOldFindsTheSessionAndShortensTheChain) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string first = new_session(*web1.handler, "v|i:0;");
  std::string current = first;
  for (int takeover = 1; takeover <= 8; ++takeover) {
    AppNode& node = takeover % 2 == 1 ? web2 : web1;
    const Started moved = session_start(*node.handler, current);
    ASSERT_TRUE(moved.ok) << moved.error;
    ASSERT_NE(moved.id, current) << "takeover " << takeover << " did not move the session";
    ASSERT_TRUE(
        session_write_close(*node.handler, moved, "v|i:" + std::to_string(takeover) + ";").ok());
    current = moved.id;
  }
  clock_.advance_ms(5000);  // past every takeover check window

  // A third node, with no copy of its own: every hop is memcached's.
  AppNode web3 = make_node(config("web3"));
  const Trips before = trips();
  const Started old_cookie = session_start(*web3.handler, first);
  ASSERT_TRUE(old_cookie.ok) << old_cookie.error;
  EXPECT_EQ(old_cookie.data, "v|i:8;") << "the first cookie opened an empty session";
  (void)web3.handler->close();
  EXPECT_LE((trips() - before).get, 9u);

  const auto shortened = stored(first);
  ASSERT_TRUE(shortened.has_value());
  EXPECT_TRUE(shortened->forward);
  EXPECT_EQ(shortened->payload, current) << "the chain was not shortened";
}

// Fixed: "A takeover near the item-size limit (the new key is longer,
// or the new store has a smaller -I) sends the new cookie although nothing was
// stored under it: the session is lost." The new owner's route is 12 bytes longer;
// the store holds the old item but not the new one. The session stays under its
// old ID, with this request's change, and the new ID (whose cookie PHP already
// sent) forwards to it.
// A change too large even for the old key, in a takeover request: the move failed
// ("cannot move to <new>, nor be written under its old ID") and PHP had already
// sent the new cookie, which then opened an empty session: the session was gone
// for that user. The new ID now forwards to the old one, whose copy is unchanged;
// only the request's change is refused.
TEST_F(HandlerFailuresTest, TooLargeChangeInATakeoverLeavesTheNewCookieLeadingToTheSession) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = new_session_on(*web1.handler, n1_, "v|i:1;");
  const std::size_t limit =
      ("sess." + id).size() + encode_value(1, "v|i:1;").size() + 40 + MemcachedModel::kItemOverhead;
  n1_.set_item_size_max(limit);
  n2_.set_item_size_max(limit);

  const Started moved = session_start(*web2.handler, id);
  ASSERT_TRUE(moved.ok) << moved.error;
  ASSERT_NE(moved.id, id) << "the takeover did not start";
  const Status saved =
      session_write_close(*web2.handler, moved, "v|s:100:\"" + std::string(100, 'x') + "\";");
  EXPECT_FALSE(saved.ok()) << "a change no node could store was acknowledged";
  EXPECT_EQ(saved.cause(), Cause::kTooLarge) << saved.error();
  EXPECT_EQ(stored_payload(id), "v|i:1;") << "the session under the old ID changed or is gone";

  // The browser has the new cookie: it leads to the session, unchanged.
  const Started next = session_start(*web2.handler, moved.id);
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.data, "v|i:1;") << "the new cookie opened an empty session";
  (void)web2.handler->close();
}

TEST_F(HandlerFailuresTest, TakeoverIntoAKeyPastTheItemSizeLimitKeepsTheSessionUnderItsOldId) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("frontendnode0002"));
  const std::string id = new_session_on(*web1.handler, n1_, "v|i:1;");
  const std::string old_key = "sess." + id;
  n1_.set_item_size_max(old_key.size() + encode_value(1, "v|i:2;").size() +
                        MemcachedModel::kItemOverhead);
  n2_.set_item_size_max(old_key.size() + encode_value(1, "v|i:2;").size() +
                        MemcachedModel::kItemOverhead);

  const Started moved = session_start(*web2.handler, id);
  ASSERT_TRUE(moved.ok) << moved.error;
  ASSERT_NE(moved.id, id) << "the takeover did not start";
  const Status saved = session_write_close(*web2.handler, moved, "v|i:2;");
  EXPECT_TRUE(saved.ok()) << saved.error();
  EXPECT_TRUE(has_warning(web2.handler->take_handled(), "stays under its old ID"));
  EXPECT_EQ(stored_payload(id), "v|i:2;") << "the change was not kept under the old ID";

  // The browser now has the new cookie: it leads to the session.
  const Started next = session_start(*web2.handler, moved.id);
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.data, "v|i:2;") << "the new cookie opened an empty session";
  (void)web2.handler->close();
}

// Fixed: "Relocation while the old store is frozen. The forward under
// the old key is skipped when that node is down and never retried, so when it
// resumes the old cookie opens the old copy." The forward waits, unsynced, in
// web1's cache and goes to n1 with web1's first takeover check after n1 answers.
TEST_F(HandlerFailuresTest, OldCookieAfterRelocationPastAFrozenStoreOpensTheNewCopy) {
  AppNode web1 = make_node(checking_config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = new_session_on(*web1.handler, n1_, "v|i:1;");
  n1_.freeze();
  Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_TRUE(session_write_close(*web1.handler, started, "v|i:2;").ok());  // kept locally
  started = session_start(*web1.handler, id);                               // relocated to n2
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_NE(started.id, id);
  ASSERT_TRUE(session_write_close(*web1.handler, started, "v|i:3;").ok());
  EXPECT_TRUE(has_warning(web1.handler->take_handled(), "retried once that node answers"));
  n1_.thaw();
  clock_.advance_ms(1600);  // n1's retry interval and a takeover check interval pass

  // Any request on web1 runs its due check, which retries the forward.
  const Started other = session_start(*web1.handler, new_session(*web1.handler, "o|i:1;"));
  ASSERT_TRUE(other.ok) << other.error;
  (void)web1.handler->close();
  const auto forward = stored(id);
  ASSERT_TRUE(forward.has_value());
  EXPECT_TRUE(forward->forward) << "n1 still holds the old copy";

  const Started old_cookie = session_start(*web2.handler, id);
  ASSERT_TRUE(old_cookie.ok) << old_cookie.error;
  EXPECT_EQ(old_cookie.data, "v|i:3;") << "the old cookie opened the copy left on n1";
  (void)web2.handler->close();
}

// The same for a logout: the delete a frozen node missed is kept as a tombstone
// (web1 does not serve or fetch the session meanwhile) and retried.
TEST_F(HandlerFailuresTest, DestroyThatAFrozenNodeMissedIsRetriedOnceItAnswers) {
  AppNode web1 = make_node(checking_config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = new_session_on(*web1.handler, n1_, "user|s:5:\"alice\";");
  n1_.freeze();
  Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_FALSE(web1.handler->destroy(id).ok()) << "a delete the node did not take is reported";
  (void)web1.handler->close();
  n1_.thaw();
  clock_.advance_ms(1600);
  const Started on_web1 = session_start(*web1.handler, id);
  ASSERT_TRUE(on_web1.ok) << on_web1.error;
  EXPECT_NE(on_web1.id, id) << "web1 served a session it destroyed";
  EXPECT_EQ(on_web1.data, "");
  (void)web1.handler->close();
  EXPECT_TRUE(ended(id)) << "the delete was not retried";
  const Started on_web2 = session_start(*web2.handler, id);
  ASSERT_TRUE(on_web2.ok) << on_web2.error;
  EXPECT_EQ(on_web2.data, "") << "the logged-out session came back on another node";
  (void)web2.handler->close();
}

// After 30 s without a takeover check (its memcached node down) the owner refused
// its sessions with "cannot read session: memcached node n1 ...: marked down",
// which did not say why it would not serve the copy it holds. It says so now.
TEST_F(HandlerFailuresTest, OwnerPastTheNoticeGapSaysWhyItDoesNotServeItsCopy) {
  AppNode web1 = make_node(checking_config("web1"));
  const std::string id = new_session_on(*web1.handler, n1_, "v|i:1;");
  n1_.stop();
  n2_.stop();
  clock_.advance_ms((kNoticeGapSeconds + 5) * 1000);
  const Started started = session_start(*web1.handler, id);
  ASSERT_FALSE(started.ok);
  EXPECT_NE(started.error.find("cannot read session: memcached node n1"), std::string::npos)
      << started.error;
  EXPECT_NE(started.error.find("this node does not serve its own copy: it has read no takeover "
                               "notices for 35 s"),
            std::string::npos)
      << started.error;
}

// ---------------------------------------------------------------- memcached -C

// A memcached started with -C answers every token as 0: a write meant to replace
// only the copy its request read was made unconditional, so two parallel writers
// were both acknowledged (duplicates), and a slow write forked a session; nothing
// said so. Such a node now takes no session while another node can, its sessions
// move off it, and the app node's log says why, once.
TEST_F(HandlerFailuresTest, MemcachedWithoutCasTokensTakesNoSessionAndIsLoggedOnce) {
  AppNode web1 = make_node(config("web1"));
  const std::string on_n1 = new_session_on(*web1.handler, n1_, "v|i:1;");
  n1_.set_cas_enabled(false);
  n1_.restart();  // -C is a start-up option: a new process
  (void)web1.take_log();

  // The first write finds out (the owner serves from its cache without asking
  // n1): refused by n1, kept here like a write for a node that is down ...
  Started started = session_start(*web1.handler, on_n1);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "v|i:1;");
  ASSERT_TRUE(session_write_close(*web1.handler, started, "v|i:2;").ok());
  EXPECT_FALSE(stored(on_n1).has_value()) << "written to n1 without a token";
  // ... and the next request moves the session to n2 with this node's copy.
  started = session_start(*web1.handler, on_n1);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "v|i:2;");
  ASSERT_TRUE(session_write_close(*web1.handler, started, "v|i:3;").ok());
  EXPECT_EQ(&server_of(started.id), &n2_) << "the session stayed on a node without CAS tokens";
  EXPECT_EQ(stored_payload(started.id), "v|i:3;");
  // New sessions go to n2 only.
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(&server_of(new_session(*web1.handler, "n|i:0;")), &n2_);
  }
  const std::vector<std::string> log = web1.take_log();
  std::size_t lines = 0;
  for (const std::string& line : log) {
    if (line.find("memcached node n1") != std::string::npos &&
        line.find("gives no CAS tokens (memcached -C)") != std::string::npos) {
      ++lines;
    }
  }
  EXPECT_EQ(lines, 1U) << ::testing::PrintToString(log);
}

TEST_F(HandlerFailuresTest, WithNoNodeGivingCasTokensAWriteFailsAndNothingIsStored) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session_on(*web1.handler, n1_, "v|i:1;");
  for (MemcachedModel* server : {&n1_, &n2_}) {
    server->set_cas_enabled(false);
    server->restart();
    server->poke("sess." + id, encode_value(7, "v|i:1;"), 600);  // the copy it holds
  }
  // A new session can be stored nowhere: refused.
  AppNode web2 = make_node(config("web2"));
  const Started fresh = session_start(*web2.handler, "");
  ASSERT_TRUE(fresh.ok) << fresh.error;
  EXPECT_FALSE(session_write_close(*web2.handler, fresh, "x|i:0;").ok());
  // Neither can a change of the session both nodes hold.
  const Started started = session_start(*web2.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  const Status saved = session_write_close(*web2.handler, started, "v|i:2;");
  ASSERT_FALSE(saved.ok()) << "a write that cannot be conditional was acknowledged";
  EXPECT_NE(saved.error().find("no CAS tokens (memcached -C)"), std::string::npos) << saved.error();
  EXPECT_EQ(stored_payload(id), "v|i:1;");
  const Started again = session_start(*web2.handler, id);
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(again.data, "v|i:1;") << "this node served the change it could not store";
  (void)web2.handler->close();
}

}  // namespace
}  // namespace clustered::testing
