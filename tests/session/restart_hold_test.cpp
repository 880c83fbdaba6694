// SPDX-License-Identifier: BSD-3-Clause
// The restart hold (docs/design.md, "Lost copies"): a read on another app node
// that finds nothing on a memcached node it saw restart waits for the owner's
// check to store the session again, for at most 2 * takeover_check_interval +
// 1 s. Time passes only through the injected pause, which moves the test's clock.
#include "session/restart_hold.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "session/handler_rig.h"

namespace clustered::testing {
namespace {

// A Pause that moves the test's clock instead of sleeping, and may run
// something once at its first pause (another node's request meanwhile).
class ClockPause final : public Pause {
 public:
  explicit ClockPause(ManualClock& clock) : clock_(clock) {}
  void pause_ms(std::int64_t ms) override {
    clock_.advance_ms(ms);
    total_ms += ms;
    ++pauses;
    if (meanwhile) std::exchange(meanwhile, nullptr)();
  }

  std::function<void()> meanwhile;
  std::int64_t total_ms = 0;
  int pauses = 0;

 private:
  ManualClock& clock_;
};

// ---------------------------------------------------------------- the window and the loop

TEST(RestartHoldWindow, IsTwoCheckIntervalsAndASecondFromTheRestartSeen) {
  EXPECT_EQ(restart_hold_ms(1), 3000);
  EXPECT_EQ(restart_hold_ms(5), 11000);
  EXPECT_EQ(restart_hold_until(50000, 50000, 1), 53000);
  EXPECT_EQ(restart_hold_until(50000, 52999, 1), 53000);
  EXPECT_EQ(restart_hold_until(50000, 53000, 1), std::nullopt);
  EXPECT_EQ(restart_hold_until(0, 1000, 1), std::nullopt) << "no restart seen";
  EXPECT_EQ(restart_hold_until(50000, 50500, 0), std::nullopt) << "no takeover checks";
}

// A store node's NOT_FOUND beside a replica that does not answer is a miss only
// when that node cannot have lost, in a restart, a copy the replica still
// holds: its restart (or, at the first look, its start) is at least the copies'
// lifetime (gc_maxlifetime + touch_interval) ago (docs/design.md, section 8).
TEST(RestartLossWindow, IsTheCopiesLifetimeFromTheRestartOrStartSeen) {
  EXPECT_TRUE(may_have_lost_in_restart(50000, 50000, 1500000));
  EXPECT_TRUE(may_have_lost_in_restart(50000, 1549999, 1500000));
  EXPECT_FALSE(may_have_lost_in_restart(50000, 1550000, 1500000));
  EXPECT_TRUE(may_have_lost_in_restart(-1000, 1000, 1500000)) << "started before the clock's zero";
  EXPECT_FALSE(may_have_lost_in_restart(-1500000, 1000, 1500000));
  EXPECT_FALSE(may_have_lost_in_restart(0, 1000, 1500000)) << "the server never said who it is";
}

RemoteCopy a_copy(const std::string& data) {
  RemoteCopy copy;
  copy.value.payload = data;
  copy.value.version = 7;
  return copy;
}

TEST(RestartHoldLoop, ReadsAgainEveryStepUntilACopyAppears) {
  ManualClock clock;
  ClockPause pause(clock);
  const std::int64_t until = clock.monotonic_ms() + 3000;
  int reads = 0;
  const RemoteRead found = hold_for_copy(clock, pause, until, [&]() -> RemoteRead {
    if (++reads < 4) return std::optional<RemoteCopy>();
    return std::optional<RemoteCopy>(a_copy("v|i:1;"));
  });
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->value.payload, "v|i:1;");
  EXPECT_EQ(reads, 4);
  EXPECT_EQ(pause.total_ms, 4 * kRestartHoldStepMs);
}

TEST(RestartHoldLoop, AMissStandsWhenTheWindowHasPassed) {
  ManualClock clock;
  ClockPause pause(clock);
  const std::int64_t until = clock.monotonic_ms() + 1050;
  int reads = 0;
  const RemoteRead found = hold_for_copy(clock, pause, until, [&]() -> RemoteRead {
    ++reads;
    return std::optional<RemoteCopy>();
  });
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  EXPECT_EQ(reads, 11);
  EXPECT_EQ(pause.total_ms, 1050) << "never past the window";
  EXPECT_EQ(clock.monotonic_ms(), until);
}

TEST(RestartHoldLoop, AFailureEndsTheHoldAndIsReturned) {
  ManualClock clock;
  ClockPause pause(clock);
  int reads = 0;
  const RemoteRead found =
      hold_for_copy(clock, pause, clock.monotonic_ms() + 3000, [&]() -> RemoteRead {
        if (++reads < 2) return std::optional<RemoteCopy>();
        return Failure::of(Cause::kTimeout, "n1: timed out");
      });
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.failure().cause, Cause::kTimeout);
  EXPECT_EQ(reads, 2);
}

TEST(RestartHoldLoop, NothingWhenTheWindowIsOver) {
  ManualClock clock;
  ClockPause pause(clock);
  int reads = 0;
  const RemoteRead found = hold_for_copy(clock, pause, clock.monotonic_ms(), [&]() -> RemoteRead {
    ++reads;
    return std::optional<RemoteCopy>();
  });
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(reads, 0);
  EXPECT_EQ(pause.pauses, 0);
}

// ---------------------------------------------------------------- the handler

class RestartHoldTest : public ModelHandlerTest {
 protected:
  // An app node whose processes pause on `pause` (make_node() uses the real one).
  AppNode make_pausing_node(const HandlerConfig& config, Pause& pause) {
    AppNode node;
    auto segment =
        SharedSegment::create_or_reattach(4 << 20, SharedSegment::layout_version(), clock_);
    EXPECT_TRUE(segment.ok()) << segment.error();
    node.segment = *segment;
    node.process_locks.push_back(std::make_unique<BoardLocks>(*node.board, clock_));
    std::vector<std::unique_ptr<StoreNode>> links;
    links.push_back(with_faults(with_faults(n1_.client(clock_), faults1_), node.link(0)));
    links.push_back(with_faults(with_faults(n2_.client(clock_), faults2_), node.link(1)));
    HandlerServices services{clock_,    entropy_, node.segment, node.process_locks.back().get(),
                             *node.log, pause};
    node.handler = std::make_unique<SessionHandler>(config, std::move(links), services);
    return node;
  }

  // `id` with another route: same random part and store node.
  static std::string routed_to(const std::string& id, const std::string& route) {
    return id.substr(0, id.rfind('.') + 1) + route;
  }

  // A session of web1 stored on n1; both nodes have looked at n1 (web2 first:
  // it sees the restart), then n1 restarts empty. Returns the session's ID.
  std::string session_of_web1_that_n1_lost(AppNode& web1, AppNode& web2) {
    const std::string id = new_session_on(*web1.handler, n1_, "v|i:1;");
    (void)new_session_on(*web2.handler, n1_, "w|i:1;");  // web2's first look at n1
    clock_.advance_ms(1100);
    n1_.restart();
    return id;
  }

  ClockPause pause_{clock_};
};

// The restart hold's counters of an app node (docs/design.md, "Counters").
struct HoldCounts {
  std::uint64_t holds = 0;
  std::uint64_t found = 0;
  std::uint64_t expired = 0;
  std::uint64_t held_ms = 0;

  static HoldCounts of(SessionHandler& handler) {
    const Counters& counters = handler.counters();
    return {counters.restart_holds.load(), counters.restart_holds_found.load(),
            counters.restart_holds_expired.load(), counters.restart_hold_ms.load()};
  }
  bool operator==(const HoldCounts&) const = default;
  friend void PrintTo(const HoldCounts& counts, std::ostream* out) {
    *out << "{holds " << counts.holds << ", found " << counts.found << ", expired "
         << counts.expired << ", held " << counts.held_ms << " ms}";
  }
};

// The failure the simulator found with a round-robin balancer: n1 restarted
// empty, the owner web1 still holds the session and stores it again at its next
// check, but web2 is asked first. web2 saw the restart, so it reads again until
// web1's check (run here by another session's request on web1) stored the copy,
// and takes over the session instead of starting an empty one.
TEST_F(RestartHoldTest, ReadOnAnotherNodeAfterARestartWaitsForTheOwnersCopy) {
  AppNode web1 = make_node(checking_config("web1"));
  AppNode web2 = make_pausing_node(checking_config("web2"), pause_);
  const std::string id = session_of_web1_that_n1_lost(web1, web2);
  pause_.meanwhile = [&] { (void)new_session(*web1.handler, "o|i:1;"); };  // runs web1's check

  const Started elsewhere = session_start(*web2.handler, id);
  ASSERT_TRUE(elsewhere.ok) << elsewhere.error;
  EXPECT_EQ(elsewhere.data, "v|i:1;") << "web2 started an empty session beside web1's copy";
  EXPECT_NE(elsewhere.id, id) << "taken over: the route is web2's now";
  EXPECT_EQ(pause_.pauses, 1);
  EXPECT_TRUE(session_write_close(*web2.handler, elsewhere, "v|i:2;").ok());
  EXPECT_EQ(HoldCounts::of(*web2.handler), (HoldCounts{1, 1, 0, kRestartHoldStepMs}));
  EXPECT_EQ(HoldCounts::of(*web1.handler), HoldCounts{}) << "the owner held nothing";
}

// The same with an owner that serves no request at all: its idle check (ext/'s
// thread, SessionHandler::check_if_due) stores the copy within the window.
TEST_F(RestartHoldTest, ReadOnAnotherNodeFindsTheCopyAnIdleOwnersCheckStored) {
  AppNode web1 = make_node(checking_config("web1"));
  AppNode web2 = make_pausing_node(checking_config("web2"), pause_);
  const std::string id = session_of_web1_that_n1_lost(web1, web2);
  pause_.meanwhile = [&] { (void)web1.handler->check_if_due(); };

  const Started elsewhere = session_start(*web2.handler, id);
  ASSERT_TRUE(elsewhere.ok) << elsewhere.error;
  EXPECT_EQ(elsewhere.data, "v|i:1;") << "web2 started an empty session beside web1's copy";
  EXPECT_NE(elsewhere.id, id);
  (void)web2.handler->close();
}

// An owner that serves no request within the window does not store the copy
// again: the miss stands after 2 * takeover_check_interval + 1 s (a new session,
// as without the hold), and the request waited no longer than that.
TEST_F(RestartHoldTest, MissStandsWhenTheOwnerStoresNothingWithinTheWindow) {
  AppNode web1 = make_node(checking_config("web1"));
  AppNode web2 = make_pausing_node(checking_config("web2"), pause_);
  const std::string id = session_of_web1_that_n1_lost(web1, web2);

  const std::int64_t before = clock_.monotonic_ms();
  const Started elsewhere = session_start(*web2.handler, id);
  ASSERT_TRUE(elsewhere.ok) << elsewhere.error;
  EXPECT_EQ(elsewhere.data, "");
  EXPECT_NE(elsewhere.id, id);
  EXPECT_EQ(pause_.total_ms, restart_hold_ms(1));
  EXPECT_LE(clock_.monotonic_ms() - before, restart_hold_ms(1) + kIoTimeoutMs);
  (void)web2.handler->close();
  EXPECT_EQ(HoldCounts::of(*web2.handler),
            (HoldCounts{1, 0, 1, static_cast<std::uint64_t>(restart_hold_ms(1))}));

  // The window is over: the next unknown ID is not held.
  const int pauses = pause_.pauses;
  const Started next = session_start(*web2.handler, routed_to(id, "web3"));
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(pause_.pauses, pauses);
  (void)web2.handler->close();
  EXPECT_EQ(HoldCounts::of(*web2.handler).holds, 1u) << "no hold, none counted";
}

// An app node whose first look at a memcached node comes after that node
// restarted (it never talked to it before: started meanwhile, or restarted
// itself) cannot see a restart, but the server's uptime says it just started:
// the hold runs from the server's start, and web2 waits for web1's copy.
TEST_F(RestartHoldTest, FirstLookJustAfterARestartHoldsAMissToo) {
  AppNode web1 = make_node(checking_config("web1"));
  const std::string id = new_session_on(*web1.handler, n1_, "v|i:1;");
  clock_.advance_ms(1100);
  n1_.restart();
  AppNode web2 = make_pausing_node(checking_config("web2"), pause_);       // never saw n1 before
  pause_.meanwhile = [&] { (void)new_session(*web1.handler, "o|i:1;"); };  // runs web1's check

  const Started elsewhere = session_start(*web2.handler, id);
  ASSERT_TRUE(elsewhere.ok) << elsewhere.error;
  EXPECT_EQ(elsewhere.data, "v|i:1;") << "web2 started an empty session beside web1's copy";
  EXPECT_EQ(pause_.pauses, 1);
  (void)web2.handler->close();
}

// Not held: an ID routed to this node (its own cache missed it, so the owner
// lost it too), any ID while no restart was seen (a hostile client's random IDs
// cost nothing then), and a node that runs no takeover checks.
TEST_F(RestartHoldTest, NoHoldForItsOwnRouteWithoutARestartOrWithoutChecks) {
  AppNode web1 = make_node(checking_config("web1"));
  AppNode web2 = make_pausing_node(checking_config("web2"), pause_);
  const std::string id = new_session_on(*web1.handler, n1_, "v|i:1;");
  (void)new_session_on(*web2.handler, n1_, "w|i:1;");
  // Past the window from n1's start (web2's first look holds from there).
  clock_.advance_ms(restart_hold_ms(1) + 100);

  const Started unknown = session_start(*web2.handler, routed_to(id, "web3"));
  ASSERT_TRUE(unknown.ok) << unknown.error;
  EXPECT_EQ(pause_.pauses, 0) << "no restart seen";
  (void)web2.handler->close();

  n1_.restart();
  const Started own = session_start(*web2.handler, routed_to(id, "web2"));
  ASSERT_TRUE(own.ok) << own.error;
  EXPECT_EQ(own.data, "");
  EXPECT_EQ(pause_.pauses, 0) << "its own route";
  (void)web2.handler->close();

  ClockPause other_pause(clock_);
  AppNode web3 = make_pausing_node(config("web3"), other_pause);  // takeover_check_interval 0
  (void)new_session_on(*web3.handler, n1_, "x|i:1;");
  n1_.restart();
  const Started unchecked = session_start(*web3.handler, id);
  ASSERT_TRUE(unchecked.ok) << unchecked.error;
  EXPECT_EQ(other_pause.pauses, 0) << "no takeover checks";
  (void)web3.handler->close();
  EXPECT_EQ(HoldCounts::of(*web2.handler), HoldCounts{});
  EXPECT_EQ(HoldCounts::of(*web3.handler), HoldCounts{});
}

// Every hold is counted where it begins, and by how it ended: a copy found, the
// window passed (both above), or a read that failed, which is neither (the
// request fails, and counts in errors). Requests that hold nothing (an owner's
// hit above all) count nothing, even on a node inside a restart's window.
TEST_F(RestartHoldTest, AHoldEndedByAFailedReadIsNeitherFoundNorExpired) {
  AppNode web1 = make_node(checking_config("web1"));
  AppNode web2 = make_pausing_node(checking_config("web2"), pause_);
  const std::string id = new_session_on(*web1.handler, n1_, "v|i:1;");
  const std::string own = served_session(*web2.handler, "w|i:1;");
  clock_.advance_ms(1100);
  n1_.restart();
  (void)served_session(*web2.handler, "x|i:1;");  // web2 sees n1's restart
  const Started hit = session_start(*web2.handler, own);
  ASSERT_TRUE(hit.ok) << hit.error;
  EXPECT_TRUE(session_write_close(*web2.handler, hit, hit.data).ok());
  ASSERT_EQ(HoldCounts::of(*web2.handler), HoldCounts{}) << "no miss held, none counted";

  pause_.meanwhile = [&] {
    web2.link(index_of(n1_))
        .fail(StoreOp::kGet, "sess." + id, Failure::of(Cause::kTimeout, "slow"));
  };
  const Started elsewhere = session_start(*web2.handler, id);
  EXPECT_FALSE(elsewhere.ok) << "a failed read is a failed session_start(), never an empty one";
  EXPECT_EQ(HoldCounts::of(*web2.handler), (HoldCounts{1, 0, 0, kRestartHoldStepMs}));
}

// ---------------------------------------------------------------- a replica that does not answer

class UnansweredReplicaTest : public RestartHoldTest {
 protected:
  HandlerConfig replicated(const std::string& route) {
    HandlerConfig replicated = checking_config(route);
    replicated.replicas = 1;
    return replicated;
  }
  // gc_maxlifetime + touch_interval: how long a copy lives after its last write.
  std::int64_t lifetime_s() const {
    const HandlerConfig defaults;
    return defaults.gc_maxlifetime_s + defaults.touch_interval_s;
  }
  // Another ID of the same form and store node that no session ever had.
  static std::string never_issued(const std::string& id) {
    std::string other = id;
    other[0] = other[0] == 'a' ? 'b' : 'a';
    return other;
  }
};

// The simulator's seed 162: u0's store node n2 restarted empty while its owner
// web1 was killed (cache gone) and cut off from the replica n1, which still
// holds the session. n2 answers NOT_FOUND and n1 does not answer: the restarted
// web1 must not start an empty session under a new cookie (the user's copy
// would be orphaned); the read fails with a warning, the replica's copy stays,
// and once n1 answers the session is read from it.
TEST_F(UnansweredReplicaTest, StoreRestartedWithTheReplicaCutOffFailsTheRead) {
  std::string id;
  {
    AppNode web1 = make_node(replicated("web1"));
    id = new_session_on(*web1.handler, n2_, "v|i:1;");
  }  // killed: its segment and cache are gone
  AppNode web1 = make_node(replicated("web1"));
  n2_.restart();
  web1.link(0).fail(StoreOp::kGet, "", Failure::of(Cause::kTimeout, "timed out (cut off)"));

  const Started cut_off = session_start(*web1.handler, id);
  EXPECT_FALSE(cut_off.ok) << "started " << (cut_off.data.empty() ? "empty" : cut_off.data)
                           << " under " << cut_off.id;
  EXPECT_NE(cut_off.error.find("has no copy of sess." + id), std::string::npos) << cut_off.error;
  EXPECT_NE(cut_off.error.find("may have lost a copy that a replica still holds"),
            std::string::npos)
      << cut_off.error;
  const auto replica = stored(id, &n1_);
  ASSERT_TRUE(replica.has_value()) << "the replica's copy was touched";
  EXPECT_EQ(replica->payload, "v|i:1;");

  web1.link(0).clear();
  clock_.advance_ms(600);  // n1's retry interval
  const Started healed = session_start(*web1.handler, id);
  ASSERT_TRUE(healed.ok) << healed.error;
  EXPECT_EQ(healed.data, "v|i:1;");
  EXPECT_TRUE(session_write_close(*web1.handler, healed, "v|i:2;").ok());
}

// The common case stays available: a store node that has run longer than the
// copies' lifetime says NOT_FOUND with authority, so an ID nobody holds (a
// random or expired cookie) gets a new session while the replica is frozen.
// Right after a restart the read cannot tell such an ID from a lost session and
// fails, until the lifetime has passed again.
TEST_F(UnansweredReplicaTest, UnknownIdBesideAFrozenReplicaIsNewUnlessTheStoreRestartedLately) {
  AppNode web1 = make_node(replicated("web1"));
  const std::string id = new_session_on(*web1.handler, n2_, "v|i:1;");
  clock_.advance_s(lifetime_s());
  n1_.freeze();

  const Started random = session_start(*web1.handler, never_issued(id));
  ASSERT_TRUE(random.ok) << random.error;
  EXPECT_EQ(random.data, "");
  EXPECT_NE(random.id, never_issued(id)) << "a new ID";
  (void)web1.handler->close();

  n2_.restart();
  const Started unsure = session_start(*web1.handler, never_issued(id));
  EXPECT_FALSE(unsure.ok) << "started " << unsure.id;
  EXPECT_NE(unsure.error.find("restarted 0 s ago"), std::string::npos) << unsure.error;

  clock_.advance_s(lifetime_s());
  const Started later = session_start(*web1.handler, never_issued(id));
  ASSERT_TRUE(later.ok) << later.error;
  EXPECT_EQ(later.data, "");
  (void)web1.handler->close();
}

// A replica whose memcached is stopped (connection refused) kept nothing, so
// the store node's NOT_FOUND stands even right after its restart: the session
// is gone from memcached, and its owner (this node, killed) held the last copy.
TEST_F(UnansweredReplicaTest, StoppedReplicaLeavesTheMissStanding) {
  std::string id;
  {
    AppNode web1 = make_node(replicated("web1"));
    id = new_session_on(*web1.handler, n2_, "v|i:1;");
  }
  AppNode web1 = make_node(replicated("web1"));
  n2_.restart();
  n1_.stop();

  const Started fresh = session_start(*web1.handler, id);
  ASSERT_TRUE(fresh.ok) << fresh.error;
  EXPECT_EQ(fresh.data, "");
  EXPECT_NE(fresh.id, id);
  (void)web1.handler->close();
}

// The restart hold runs first: another app node asked for the session (round
// robin) while the replica is frozen waits for the owner's check to store its
// copy again on the restarted store node, and serves it.
TEST_F(UnansweredReplicaTest, HoldStillWaitsForTheOwnersCopyBesideAFrozenReplica) {
  AppNode web1 = make_node(replicated("web1"));
  AppNode web2 = make_pausing_node(replicated("web2"), pause_);
  const std::string id = new_session_on(*web1.handler, n2_, "v|i:1;");
  (void)new_session_on(*web2.handler, n2_, "w|i:1;");  // web2's first look at n2
  clock_.advance_ms(1100);
  n2_.restart();
  web2.link(0).fail(StoreOp::kGet, "", Failure::of(Cause::kTimeout, "timed out (cut off)"));
  pause_.meanwhile = [&] { (void)new_session(*web1.handler, "o|i:1;"); };  // runs web1's check

  const Started elsewhere = session_start(*web2.handler, id);
  ASSERT_TRUE(elsewhere.ok) << elsewhere.error;
  EXPECT_EQ(elsewhere.data, "v|i:1;");
  EXPECT_EQ(pause_.pauses, 1);
  (void)web2.handler->close();
}

}  // namespace
}  // namespace clustered::testing
