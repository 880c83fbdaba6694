// SPDX-License-Identifier: BSD-3-Clause
// When an app node may serve its cached copies on trust (session/takeovers.h,
// docs/design.md "Forwards and notices"): only while its last complete takeover
// check started less than takeover_check_interval ago, or right after this very
// process completed one. While another process of the node is inside the due
// check, a copy is compared with memcached first (a takeover since is found
// there), and served as it is when its store node does not answer. On memcached
// models and a ManualClock.
#include "session/takeovers.h"

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "session/handler_rig.h"
#include "session/missed_writes.h"
#include "session/takeover_notices.h"

namespace clustered {

// Named in failures.
void PrintTo(CopyTrust trust, std::ostream* out) {
  *out << (trust == CopyTrust::kTrusted  ? "kTrusted"
           : trust == CopyTrust::kVerify ? "kVerify"
                                         : "kUntrusted");
}

namespace testing {
namespace {

constexpr std::int64_t kInterval = 2;

// A Takeovers of app node web1 on both models, without a cache.
class TakeoversTest : public ModelHandlerTest {
 protected:
  TakeoversTest() {
    std::vector<std::unique_ptr<StoreNode>> nodes;
    nodes.push_back(with_faults(n1_.client(clock_), faults1_));
    nodes.push_back(with_faults(n2_.client(clock_), faults2_));
    remote_ = std::make_unique<RemoteStore>(std::move(nodes), RemoteOptions{}, nullptr, counters_,
                                            clock_, entropy_);
    missed_ = std::make_unique<MissedWrites>(*remote_, nullptr);
    takeovers_ = std::make_unique<Takeovers>(*remote_, nullptr, watch_, counters_, *missed_);
    watch_.start(now());
  }

  std::int64_t now() const { return clock_.monotonic_ms() / 1000; }
  CopyTrust trust(std::int64_t interval_s = kInterval) {
    return takeovers_->trust_local_copies("web1", interval_s, {now(), clock_.wall_s()}, 1440);
  }
  // Another process of the node claimed the check due now and is still inside it.
  void check_claimed_elsewhere() { watch_.next_check_at = now() + kInterval; }

  Counters counters_;
  TakeoverWatch watch_;
  std::unique_ptr<RemoteStore> remote_;
  std::unique_ptr<MissedWrites> missed_;
  std::unique_ptr<Takeovers> takeovers_;
};

TEST_F(TakeoversTest, CopiesAreTrustedWithoutARoundTripUntilAnIntervalAfterTheLastCheckStarted) {
  const Trips before = trips();
  for (std::int64_t second = 0; second < kInterval; ++second) {
    EXPECT_EQ(trust(), CopyTrust::kTrusted) << second << " s after the check started";
    clock_.advance_s(1);
  }
  EXPECT_EQ((trips() - before).get, 0u);
  EXPECT_EQ(counters_.takeover_checks.load(), 0u);
}

// cluster_sim --mix everything seed 10044: the process that could not claim the
// due check trusted its copies for up to kNoticeGapSeconds after the last
// complete one, and served a copy another node had taken over seconds before.
TEST_F(TakeoversTest, CopiesAreVerifiedWhileAnotherProcessIsInsideTheDueCheck) {
  clock_.advance_s(kInterval);
  check_claimed_elsewhere();
  EXPECT_EQ(trust(), CopyTrust::kVerify);
  EXPECT_EQ(counters_.takeover_checks.load(), 0u) << "claimed by another process";
  EXPECT_EQ(trips().get, 0u);
  // Up to the notice gap: then nothing is served that memcached cannot confirm.
  clock_.advance_s(kNoticeGapSeconds - kInterval);
  check_claimed_elsewhere();
  EXPECT_EQ(trust(), CopyTrust::kVerify);
  clock_.advance_s(1);
  check_claimed_elsewhere();
  EXPECT_EQ(trust(), CopyTrust::kUntrusted);
}

TEST_F(TakeoversTest, TheProcessThatCompletesTheDueCheckTrustsItsCopies) {
  clock_.advance_s(kInterval);
  EXPECT_EQ(trust(), CopyTrust::kTrusted);
  EXPECT_EQ(counters_.takeover_checks.load(), 1u);
  EXPECT_EQ(watch_.checked_at.load(), now());
  EXPECT_EQ(trips().get, 2u) << "one notice list per node";
  // Its siblings trust them too, with no round trip, until the next one is due.
  EXPECT_EQ(trust(), CopyTrust::kTrusted);
  EXPECT_EQ(trips().get, 2u);
}

// A check that could not read one node's list is no complete check: the
// notice may be on that node alone.
TEST_F(TakeoversTest, AnIncompleteCheckLeavesCopiesToBeVerified) {
  n2_.freeze();
  clock_.advance_s(kInterval);
  EXPECT_EQ(trust(), CopyTrust::kVerify);
  EXPECT_EQ(counters_.takeover_checks.load(), 1u);
  clock_.advance_s(kNoticeGapSeconds);
  EXPECT_EQ(trust(), CopyTrust::kUntrusted);
}

TEST_F(TakeoversTest, NoIntervalNoNoticesAlwaysTrusted) {
  clock_.advance_s(kNoticeGapSeconds + 1);
  check_claimed_elsewhere();
  EXPECT_EQ(trust(0), CopyTrust::kTrusted);
  EXPECT_EQ(trips().get, 0u);
}

// ---------------------------------------------------------------- through the handler

// web1's session was taken over by web2; web1's last complete check started
// before that, and another of web1's processes is inside the check due now.
class TakenOverDuringACheckTest : public ModelHandlerTest {
 protected:
  HandlerConfig checking(const std::string& route) {
    HandlerConfig config = checking_config(route);
    config.takeover_check_interval_s = kInterval;
    return config;
  }
  static void check_claimed_elsewhere(AppNode& node, std::int64_t now) {
    node.segment->takeover_watch().next_check_at = now + kInterval;
  }
  std::int64_t now() const { return clock_.monotonic_ms() / 1000; }
};

TEST_F(TakenOverDuringACheckTest, OldOwnerServesTheTakeoversCopyNotItsOwn) {
  AppNode web1 = make_node(checking("web1"));
  AppNode web2 = make_node(checking("web2"));
  const std::string id = served_session(*web1.handler, "n|i:1;");
  const Started taken = session_start(*web2.handler, id);
  ASSERT_TRUE(taken.ok) << taken.error;
  ASSERT_NE(taken.id, id) << "web2 did not take the session over";
  ASSERT_TRUE(session_write_close(*web2.handler, taken, "n|i:2;").ok());

  clock_.advance_s(kInterval + 1);  // the takeover's notice is older than an interval
  check_claimed_elsewhere(web1, now());
  const Started old_owner = session_start(*web1.handler, id);
  ASSERT_TRUE(old_owner.ok) << old_owner.error;
  EXPECT_EQ(old_owner.data, "n|i:2;") << "web1 served its copy from before the takeover";
  EXPECT_TRUE(session_write_close(*web1.handler, old_owner, "n|i:3;").ok());
  EXPECT_EQ(web1.handler->counters().takeover_checks.load(), 0u) << "claimed by another process";
}

// The same through read() alone (no validate_sid(): a user handler calling
// parent::read()).
TEST_F(TakenOverDuringACheckTest, OldOwnerReadsTheForwardNotItsCopyWithoutValidateSid) {
  AppNode web1 = make_node(checking("web1"));
  AppNode web2 = make_node(checking("web2"));
  const std::string id = served_session(*web1.handler, "n|i:1;");
  const Started taken = session_start(*web2.handler, id);
  ASSERT_TRUE(taken.ok) << taken.error;
  ASSERT_TRUE(session_write_close(*web2.handler, taken, "n|i:2;").ok());

  clock_.advance_s(kInterval + 1);
  check_claimed_elsewhere(web1, now());
  ASSERT_TRUE(web1.handler->open().ok());
  const auto read = web1.handler->read(id);
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(*read, "n|i:2;") << "web1 served its copy from before the takeover";
  (void)web1.handler->close();
}

// A copy memcached confirms is served and trusted again: one get, no more.
TEST_F(TakenOverDuringACheckTest, OwnerServesACopyMemcachedConfirms) {
  AppNode web1 = make_node(checking("web1"));
  const std::string id = served_session(*web1.handler, "n|i:1;");
  clock_.advance_s(kInterval);
  check_claimed_elsewhere(web1, now());
  const Trips before = trips();
  const Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.id, id);
  EXPECT_EQ(started.data, "n|i:1;");
  ASSERT_TRUE(session_write_close(*web1.handler, started, "n|i:2;").ok());
  EXPECT_EQ((trips() - before).get, 1u) << "the session, on its store node";
  EXPECT_EQ(stored_payload(id), "n|i:2;");
}

// Availability as before: while another process is inside the check, an owner
// whose store node does not answer serves its own copy, through validate_sid()
// and through read() alone (only after the notice gap does it refuse:
// HandlerFailuresTest.OwnerPastTheNoticeGapSaysWhyItDoesNotServeItsCopy).
TEST_F(TakenOverDuringACheckTest, OwnerServesItsCopyWhenItsStoreNodeDoesNotAnswer) {
  AppNode web1 = make_node(checking("web1"));
  const std::string a = new_session_on(*web1.handler, n1_, "a|i:1;");
  const std::string b = new_session_on(*web1.handler, n1_, "b|i:1;");
  clock_.advance_s(kInterval);
  n1_.freeze();
  check_claimed_elsewhere(web1, now());
  ASSERT_TRUE(web1.handler->open().ok());
  const auto read = web1.handler->read(b);
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(*read, "b|i:1;");
  (void)web1.handler->close();

  const Started started = session_start(*web1.handler, a);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "a|i:1;");
  ASSERT_TRUE(session_write_close(*web1.handler, started, "a|i:2;").ok());
  EXPECT_EQ(web1.handler->counters().takeover_checks.load(), 0u) << "claimed by another process";
}

// With a replica: the replica's copy (the same version) cannot tell a copy the
// store node lost from a store node that does not answer; this node's copy is
// served as on trust, not counted lost.
TEST_F(TakenOverDuringACheckTest, OwnerServesItsCopyWhenOnlyTheReplicaAnswers) {
  HandlerConfig config = checking("web1");
  config.replicas = 1;
  AppNode web1 = make_node(config);
  const std::string id = new_session_on(*web1.handler, n1_, "n|i:1;");
  ASSERT_TRUE(stored(id, &n2_).has_value()) << "no replica on n2";
  clock_.advance_s(kInterval);
  n1_.freeze();
  check_claimed_elsewhere(web1, now());
  const Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "n|i:1;");
  ASSERT_TRUE(session_write_close(*web1.handler, started, "n|i:2;").ok());
  EXPECT_EQ(web1.handler->counters().copies_lost.load(), 0u);
}

}  // namespace
}  // namespace testing
}  // namespace clustered
