// SPDX-License-Identifier: BSD-3-Clause
// The deterministic cluster simulator under ctest: the request flows of
// docs/design.md written as histories, a fixed list of seeds of random
// histories with the faults the design tolerates, and the failures it does not
// prevent yet (docs/design.md, "Known gaps"), recorded as expected failures (they
// must still be found; when one is fixed, its test fails and moves to the clean
// list).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "session/takeover_notices.h"
#include "sim/history.h"
#include "sim/known_issues.h"

namespace clustered::sim {
namespace {

HistoryResult play(const std::string& text) {
  std::string error;
  auto history = History::parse(text, &error);
  EXPECT_TRUE(history.has_value()) << error;
  return history ? run_history(*history) : HistoryResult{};
}

// Whether a line of the history's trace contains `text`.
bool trace_has(const HistoryResult& result, const std::string& text) {
  return std::any_of(result.trace.begin(), result.trace.end(),
                     [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

bool has(const HistoryResult& result, const std::string& kind) {
  for (const auto& violation : result.violations) {
    if (violation.kind == kind) return true;
  }
  return false;
}

// An expected failure: the simulator must still find `kind` in the history; once
// it does not, the failure is fixed and its test moves to the clean list.
void expect_still_found(const HistoryResult& result, const std::string& kind) {
  EXPECT_TRUE(has(result, kind)) << "fixed? move it to the clean list\n" << result.report();
}

// Still found, and explained by the known class whose text contains `text`.
void expect_known_as(const HistoryResult& result, const std::string& kind,
                     const std::string& text) {
  expect_still_found(result, kind);
  const auto reason = known_issue(result);
  ASSERT_TRUE(reason.has_value()) << result.report();
  EXPECT_NE(reason->find(text), std::string::npos) << *reason;
}

std::uint64_t gets(Cluster& cluster) {
  std::uint64_t total = 0;
  for (int m = 0; m < cluster.memcached_count(); ++m) total += cluster.memcached(m).stats().cmd_get;
  return total;
}
std::uint64_t sets(Cluster& cluster) {
  std::uint64_t total = 0;
  for (int m = 0; m < cluster.memcached_count(); ++m) total += cluster.memcached(m).stats().cmd_set;
  return total;
}

// ---------------------------------------------------------------- request flows

TEST(ClusterSimFlows, NewSessionIsOneSetAndAnOwnerHitNoRoundTrip) {
  ClusterOptions options;
  options.takeover_check_interval_s = 0;  // counts stay exact
  Cluster cluster(1, options);
  const int user = cluster.add_user();
  const auto& created = cluster.request(user, Op::kIncrement, 0);
  ASSERT_TRUE(created.ok) << created.error;
  EXPECT_EQ(sets(cluster), 1U);
  EXPECT_EQ(gets(cluster), 0U);

  const auto& hit = cluster.request(user, Op::kRead, 0);
  ASSERT_TRUE(hit.ok) << hit.error;
  EXPECT_EQ(hit.read, encode_session({0, 1}));
  EXPECT_EQ(hit.id, created.id);
  EXPECT_EQ(gets(cluster), 0U);
  EXPECT_EQ(sets(cluster), 1U);  // unchanged: no touch within touch_interval
  EXPECT_EQ(cluster.counters(0).local_hits.load(), 1U);
  EXPECT_TRUE(cluster.oracle().clean());
}

TEST(ClusterSimFlows, UnchangedSessionIsTouchedOncePerInterval) {
  ClusterOptions options;
  options.takeover_check_interval_s = 0;
  Cluster cluster(2, options);
  const int user = cluster.add_user();
  ASSERT_TRUE(cluster.request(user, Op::kIncrement, 0).ok);
  cluster.advance_ms(61000);  // past touch_interval (60 s)
  ASSERT_TRUE(cluster.request(user, Op::kRead, 0).ok);
  ASSERT_TRUE(cluster.request(user, Op::kRead, 0).ok);
  std::uint64_t touches = 0;
  for (int m = 0; m < cluster.memcached_count(); ++m)
    touches += cluster.memcached(m).stats().cmd_touch;
  EXPECT_EQ(touches, 1U);
  EXPECT_EQ(cluster.counters(0).touches_skipped.load(), 1U);
}

TEST(ClusterSimFlows, TakeoverWhenTheOwnerDies) {
  // web1 dies; nginx sends the user to web2, which fetches the session by its
  // <store>, gives it a new ID with its own route and forwards the old one.
  const HistoryResult result = play(R"(
    request u0 increment @web1
    drain
    kill web1
    request u0 increment
    drain
    request u0 read
  )");
  EXPECT_TRUE(result.clean()) << result.report();
  EXPECT_EQ(result.acknowledged, 4);  // three requests and the final read
}

TEST(ClusterSimFlows, RelocationWhenTheStoreNodeDies) {
  Cluster cluster(3, {});
  const int user = cluster.add_user();
  const auto& created = cluster.request(user, Op::kIncrement, 0);
  ASSERT_TRUE(created.ok);
  const int store = parse_session_id(created.id)->store == "n1" ? 0 : 1;
  cluster.stop_memcached(store);
  // The first request pays the dead node's timeout and keeps the write locally
  // (unsynced); the next one moves the session to the live node.
  cluster.request(user, Op::kIncrement, 0);
  const auto& moved = cluster.request(user, Op::kIncrement, 0);
  ASSERT_TRUE(moved.ok) << moved.error;
  EXPECT_NE(parse_session_id(moved.id)->store, parse_session_id(created.id)->store);
  EXPECT_EQ(cluster.counters(0).relocations.load(), 1U);
  const auto& after = cluster.request(user, Op::kRead, 0);
  EXPECT_EQ(after.read, encode_session({0, 3}));
  EXPECT_TRUE(cluster.oracle().clean()) << cluster.oracle().violations().front().detail;
}

TEST(ClusterSimFlows, BothDeadWithReplicasReadsTheReplica) {
  // The owner (web1) dies and the session's store node restarts empty: web2
  // reads the replica on the other node and moves the session to itself.
  ClusterOptions options;
  options.replicas = 1;
  Cluster cluster(5, options);
  const int user = cluster.add_user();
  ASSERT_TRUE(cluster.request(user, Op::kIncrement, 0).ok);
  const auto& second = cluster.request(user, Op::kIncrement, 0);
  ASSERT_TRUE(second.ok) << second.error;
  const int store = parse_session_id(second.id)->store == "n1" ? 0 : 1;
  cluster.kill_app_node(0);
  cluster.restart_memcached(store);
  const auto& read = cluster.request(user, Op::kRead, 1);
  ASSERT_TRUE(read.ok) << read.error;
  EXPECT_EQ(read.read, encode_session({0, 2}));
  EXPECT_NE(read.id, second.id);
  EXPECT_EQ(parse_session_id(read.id)->route, cluster.route(1));
  EXPECT_TRUE(cluster.oracle().clean()) << cluster.oracle().violations().front().detail;
}

// Found by the simulator (seed 22 of the tolerated mix): web1, cut off from one
// memcached node, could not complete a takeover check for longer than the
// notice gap, so it wrote a session to memcached without touching its cache;
// a check that had begun in time completed, and the next request was served
// the older cached copy.
TEST(ClusterSimFlows, WriteWhileCopiesAreUntrustedLeavesNoOlderCopyInTheCache) {
  Cluster cluster(1, {});
  const int user = cluster.add_user();
  ASSERT_TRUE(cluster.request(user, Op::kIncrement, 0).ok);
  TakeoverWatch& watch = cluster.segment(0).takeover_watch();
  const std::int64_t now = cluster.monotonic_s(0);
  watch.checked_at = now - kNoticeGapSeconds - 1;  // no complete check for too long
  watch.next_check_at = now + 3600;                // and another process is checking
  const auto& untrusted = cluster.request(user, Op::kIncrement, 0);
  ASSERT_TRUE(untrusted.ok) << untrusted.error;
  EXPECT_EQ(untrusted.written, encode_session({0, 2}));
  watch.checked_at = cluster.monotonic_s(0);  // that check completes: copies trusted again
  const auto& after = cluster.request(user, Op::kRead, 0);
  EXPECT_EQ(after.read, encode_session({0, 2}));
  EXPECT_TRUE(cluster.oracle().clean()) << cluster.oracle().violations().front().detail;
}

// web2 takes u1's session over from web1, and u1's browser sends the old cookie
// to web1 again (as after a slow response that still carried it). Two seconds
// later a request of u0 claims web1's due takeover check, and while it is inside
// it u1's request runs in another process of web1: the last complete check
// started before the takeover, so web1's copy must be compared with memcached,
// not served on trust. It was served, and its change refused, two seconds after
// the takeover ended (cluster_sim --mix everything seed 10044; docs/design.md,
// "Forwards and notices").
TEST(ClusterSimFlows, OldOwnerNeverServesItsCopyWhileAnotherProcessIsInsideTheDueCheck) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=2 balancer=route
    seed 10044
    advance 6000
    request u1 increment @web1
    request u0 increment @web1
    drain
    request u1 read @web2
    drain
    advance 2000
    restore u1 1
    request u0 read @web1
    run 1
    request u1 increment @web1
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
  EXPECT_EQ(result.acknowledged, 5 + 2) << result.report();  // and the final reads
}

TEST(ClusterSimFlows, ParallelRequestsOfOneUserOnOneNodeKeepEveryIncrement) {
  const HistoryResult result = play(R"(
    request u0 increment @web1
    drain
    burst u0 increment 5 @web1
    drain
    request u0 read @web1
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

TEST(ClusterSimFlows, LogoutIsNotUndoneByAnOldCookie) {
  const HistoryResult result = play(R"(
    request u0 increment @web1
    drain
    request u0 read @web2
    drain
    request u0 logout
    drain
    advance 5000
    replay u0 @web1
    replay u0 @web2
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

TEST(ClusterSimFlows, HistoriesReplayByteForByte) {
  FaultMix mix;
  const History history = generate_history(77, mix);
  const HistoryResult first = run_history(history);
  const HistoryResult second = run_history(*History::parse(history.str(), nullptr));
  EXPECT_EQ(first.trace, second.trace);
}

TEST(ClusterSimFlows, EveryHistoryLineReadsBackAsWritten) {
  const std::string text =
      "options apps=2 memcached=3 replicas=1 users=2 balancer=round-robin gc_maxlifetime=60 "
      "lock_stripes=4 routes=web1,frontendnode0002\n"
      "seed 9\nrequest u0 increment @web2\nburst u1 read 3\nreplay u0\nrestore u0 2\n"
      "forge u1\nlimit n2 item_size=300\nlimit n3 memory=1000\nmemcached freeze n1\n"
      "cut web1 n2\nskew web2 -180000\nsave_path web1 n1,n3\nsave_path web2 "
      "n1:drain,n2,n3:joining\n"
      "advance 5000\ndrain\n";
  std::string error;
  const auto history = History::parse(text, &error);
  ASSERT_TRUE(history.has_value()) << error;
  EXPECT_EQ(history->str(), text);
  std::string bad;
  EXPECT_FALSE(History::parse("limit n1 speed=3\n", &bad).has_value());
  EXPECT_NE(bad.find("unknown limit"), std::string::npos) << bad;
  EXPECT_FALSE(History::parse("restore u0 0\n", &bad).has_value());
}

// ---------------------------------------------------------------- random histories

// One seeded history's verdict: a known issue is counted in `expected`; any other
// violation is a test failure with the shortest history that fails the same way
// (false: the caller stops).
bool classify(std::uint64_t seed, const History& history, const HistoryResult& result,
              std::map<std::string, int>& expected) {
  if (const auto reason = known_issue(result)) {
    ++expected[*reason];
    return true;
  }
  if (result.clean()) return true;
  const History shortest = shrink(history, [&](const HistoryResult& r) {
    return !r.clean() && r.violations.front().kind == result.violations.front().kind &&
           !known_issue(r);
  });
  ADD_FAILURE() << "seed " << seed << ": " << result.violations.front().kind << "\n"
                << result.report() << "shortest history that fails the same way:\n"
                << shortest.str() << run_history(shortest).report();
  return false;
}

// Seeds of histories with the faults the design tolerates today: app nodes
// killed or restarted, one memcached node stopped (with replicas), frozen or cut
// off at a time, bursts, replays, logouts, regenerations, route-aware balancer.
TEST(ClusterSimHistories, ToleratedFaultsLoseNothing) {
  FaultMix mix;
  int ran = 0;
  std::map<std::string, int> expected;  // known class -> histories
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const History history = generate_history(seed, mix);
    const HistoryResult result = run_history(history);
    ++ran;
    if (!classify(seed, history, result, expected)) return;
  }
  EXPECT_EQ(ran, 300);
  // Shown, never hidden: the known gaps these histories still run into.
  for (const auto& [reason, count] : expected) {
    std::printf("expected failure in %d of %d histories: %s\n", count, ran, reason.c_str());
  }
}

// ---------------------------------------------------------------- restarts and parallel writers

// The owner's next takeover check notices the restart (another pid or start
// time) and stores its copy again, without a request of that session
// (docs/design.md, "Forwards and notices"); a few seconds later the owner may die.
TEST(ClusterSimFlows, MemcachedRestartedEmptyIsReseededBeforeTheOwnerDies) {
  const HistoryResult result = play(R"(
    options users=2
    request u0 increment @web1
    drain
    advance 2000
    request u1 increment @web1
    drain
    memcached restart n1
    memcached restart n2
    advance 2000
    request u1 read @web1
    drain
    kill web1
    request u0 read
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// Every copy of the session goes at once: both memcached nodes restart empty and
// the owner dies before any request ran on it (three faults). No protocol can
// serve what exists nowhere, so the oracle stops expecting it (docs/design.md,
// section 8) and says so in the trace; the next request starts empty, which is
// no violation.
TEST(ClusterSimFlows, EveryCopyGoneWithFaultsIsNoViolation) {
  const HistoryResult result = play(R"(
    request u0 increment @web1
    drain
    memcached restart n1
    memcached restart n2
    kill web1
    request u0 read
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
  EXPECT_TRUE(trace_has(result, "every copy of u0's count 1 is gone")) << result.report();
}

// A login (session_regenerate_id(true)) whose app node is killed after PHP
// ended the old ID and before the new one was written: the session is gone with
// the response that would have carried the new cookie, and the old ID opens a new
// one, as a login must leave it. A killed login or logout may have ended the
// session (cluster_sim --mix everything seed 309 counted it as lost).
TEST(ClusterSimFlows, LoginKilledAfterPhpEndedTheOldIdEndsTheSession) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=2 balancer=route
    seed 309
    request u0 increment
    run 1
    advance 6352
    burst u1 read 4
    balancer round-robin
    request u0 regenerate
    run 46
    kill web1
  )");
  EXPECT_TRUE(result.clean()) << result.report();
  EXPECT_TRUE(trace_has(result, "kill app node web1")) << result.report();
}

// web2 can reach no memcached node (cut off from n1, n2 stopped), so a new
// session's write is kept in its cache, acknowledged. After the faults heal,
// web2's next takeover check (run by another user's request) stores it where
// its key is still empty, so web1, asked first by a round-robin balancer, finds
// it (docs/design.md, "Lost copies"). cluster_sim --mix everything seed 12 lost
// it: a kept write waited for its own session's next request on web2.
TEST(ClusterSimFlows, WriteKeptWhileNoNodeAnsweredIsStoredByTheNextCheck) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=2 replicas=0 users=3 balancer=route
    seed 12
    cut web2 n1
    memcached stop n2
    request u2 increment
    balancer round-robin
  )");
  EXPECT_TRUE(result.clean()) << result.report();
  EXPECT_TRUE(trace_has(result, "kept on this node")) << result.report();
}

// The store node stops while its owner (web2) and another node (web1, the
// balancer now round-robin) move the same session at once: web1 from the
// replica, web2 from its cache. web2's forward may replace the replica's copy
// only if that still holds the version web2 read; web1's forward is newer, so
// web2's move is undone and one session lives on (docs/design.md, "Conditional
// writes"). cluster_sim --mix everything seed 146 lost web1's increment: web2
// set its forward over web1's on the replica.
TEST(ClusterSimFlows, TwoMovesWhileTheStoreIsStoppedKeepOneSession) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=1 balancer=route
    seed 146
    request u0 increment
    run 43
    advance 2128
    request u0 read
    memcached stop n2
    balancer round-robin
    request u0 increment
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// web2, cut off from n1, writes u1's change to the replica (n2) alone and keeps
// it; meanwhile web1 took the session over from n1, whose copy is still the one
// it read. web1's forward replaces n2's copy only if that is the version web1
// read or older: it is newer, so the move is undone (docs/design.md,
// "Conditional writes"). cluster_sim --mix everything seed 105 lost the change:
// the forward was set on n2 blindly.
TEST(ClusterSimFlows, TakeoversForwardKeepsAChangeOnlyTheReplicaTook) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=2 balancer=route
    seed 105
    request u0 read
    request u0 read
    run 39
    request u0 increment
    request u0 increment
    run 11
    run 11
    request u0 read
    request u0 read
    run 8
    request u1 increment
    balancer round-robin
    run 28
    request u1 read
    cut web2 n1
    request u1 increment
  )");
  EXPECT_TRUE(result.clean()) << result.report();
  EXPECT_TRUE(trace_has(result, "overlap: ")) << result.report();
}

// web1, cut off from n2, writes u0's change to the replica (n3) alone and keeps
// it. After the partition heals and n3 thaws, web2's takeover reads the replica
// too: the newer copy there wins over n2's older one (docs/design.md,
// "Conditional writes"). cluster_sim --mix everything seed 2479 lost the change:
// the takeover read n2 alone.
TEST(ClusterSimFlows, TakeoverReadsAChangeOnlyTheReplicaTook) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=2 balancer=route
    seed 2479
    request u0 read
    request u1 read
    run 49
    cut web1 n2
    request u0 increment
    request u0 read
    memcached freeze n3
    request u1 increment
    balancer round-robin
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// web2, cut off from n3, moves a session whose forward n3 misses; web1 keeps
// changing the session there. After the partition heals, web2 retries the
// forward only over the copy its move read: it finds web1's later change and
// leaves it (docs/design.md, "Known gaps"). cluster_sim --mix everything seed 163
// lost two acknowledged increments: the retry set the forward blindly.
TEST(ClusterSimFlows, ForwardRetriedAfterAPartitionKeepsTheOwnersLaterChanges) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=0 users=2 balancer=route
    seed 163
    burst u1 read 2
    request u0 increment
    run 24
    request u1 increment
    request u1 read
    request u1 read
    run 36
    advance 62690
    request u0 read
    request u0 read
    request u0 increment
    balancer round-robin
    run 45
    burst u0 read 5
    request u1 read
    request u1 increment
    request u0 increment
    request u0 increment
    request u0 increment
    request u0 read
    request u1 increment
    advance 1294
    request u0 read
    request u0 read
    burst u0 increment 2
    request u0 increment
    request u0 increment
    advance 2188
    run 55
    request u0 read
    request u1 read
    burst u1 read 3
    run 22
    cut web2 n3
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// web2 takes over u0's session from the replica's copy (n3 held a newer one than
// n2) while web1, its owner, changes it. The store node n2 takes web1's change
// and refuses web2's forward: that forward must reach no node. It used to be
// written to the replica first, web1 found it there and copied it back over its
// own change on n2, web2 undid its move (its new ID forwarding back), and the
// old ID and the new one forwarded to each other: every later request started
// empty (cluster_sim --mix everything seed 1072; docs/design.md, "Conditional
// writes").
TEST(ClusterSimFlows, MoveTheStoreNodeRefusesLeavesNoForwardOnTheReplica) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=1 balancer=route
    seed 1072
    request u0 increment
    request u0 increment
    request u0 increment
    request u0 read
    run 58
    memcached freeze n1
    request u0 increment
    save_path web1 n1,n2
    run 39
    request u0 read
    burst u0 increment 2
    run 47
    request u0 read
    burst u0 read 3
    request u0 increment
    burst u0 read 2
    request u0 read
    run 38
    request u0 increment
    advance 75731
    run 5
    request u0 read
    request u0 read
    burst u0 increment 3
    request u0 increment
    request u0 increment
    request u0 increment
    request u0 read
    advance 1475
    request u0 increment
    request u0 increment
    advance 1521
    run 55
    run 58
    request u0 increment
    save_path web1 n1,n2,n3
    run 21
    burst u0 increment 5
    balancer round-robin
    request u0 read
    advance 1716
    request u0 increment
    run 22
    burst u0 read 2
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// web2 follows an old cookie's forward and moves the session while web1 (its
// owner) changes it: web2's forward is refused on the store node, n1 (EXISTS),
// and the move is undone. The refused forward must not reach the replica on n2
// either: there it pointed at web2's new ID, which forwards back, and with n1
// frozen web1 met that cycle and started the session empty (cluster_sim --mix
// everything seed 5740; docs/design.md, "Conditional writes").
TEST(ClusterSimFlows, RefusedForwardNeverReachesTheReplica) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=2 balancer=route
    seed 5740
    request u1 increment
    request u1 read
    run 27
    advance 555
    kill web2
    request u1 read
    restart web2
    run 43
    replay u1
    advance 1643
    request u1 increment
    run 2
    advance 52632
    run 31
    memcached freeze n1
    request u1 read
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// web2, cut off from n2, ends u0's session: the tombstone reaches n1 but not
// the replica on n2. web2 keeps the end and retries it with its checks, so once
// it reaches n2 again (and loses n1) an old cookie finds the tombstone there,
// not the session (cluster_sim --mix everything seed 3624 read it again).
TEST(ClusterSimFlows, LogoutTheReplicaMissedIsNotUndoneByTheReplica) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=1 balancer=route
    seed 3624
    request u0 increment
    run 53
    cut web2 n2
    request u0 logout
    run 12
    cut web2 n1
    heal web2 n2
    advance 1790
    advance 30124
    replay u0
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// The other side of that rule: a copy that survives the fault still counts. The
// owner web1 holds the session when memcached restarts empty; a request sent to
// web2 (round-robin) before web1 stored it again finds nothing there, and that
// is a loss, since web1's copy exists (docs/design.md, "Known gaps"). What is
// left of it: web1 serves no request that would store the copy again within the
// restart hold (web2 holds from the server's start at its first look).
// u0's session on web1; both memcached nodes restart empty; u0 is read on web2.
std::string restart_beside_the_owner(const std::string& options) {
  return "options balancer=round-robin replicas=0" + options +
         "\nrequest u0 increment @web1\ndrain\nmemcached restart n1\nmemcached restart n2\n"
         "request u0 read @web2\ndrain\n";
}

TEST(ClusterSimExpectedFailures, CopyOnTheOwnerSurvivesARestartYetAnotherNodeStartsEmpty) {
  const HistoryResult result = play(restart_beside_the_owner(""));
  expect_still_found(result, "lost");
}

// The same with the owner's idle check (ext/idle_check.h, a thread of each PHP
// process): web1 serves no request, yet stores its copy again within an
// interval, and web2's restart hold finds it.
TEST(ClusterSimFlows, CopyOnAnIdleOwnerIsStoredAgainByItsIdleCheckAndFoundElsewhere) {
  const HistoryResult result = play(restart_beside_the_owner(" idle_checks=on"));
  EXPECT_TRUE(result.clean()) << result.report();
}

// web2 is cut off from every node of its save_path (n3 stopped): u0's first
// write is kept in web2's cache (PHP has sent its cookie, so it cannot move yet)
// and acknowledged. After the heal, a round-robin balancer sends u0 to web1
// before web2 served a request that would store it: web1 starts it empty
// (docs/design.md, "Known gaps"; cluster_sim --mix everything seed 6078). The
// known class names it, and nothing else in the history is unexplained.
TEST(ClusterSimExpectedFailures, ChangeKeptOnItsAppNodeIsMissingOnAnother) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=2 balancer=route
    seed 6078
    balancer round-robin
    request u1 regenerate
    cut web2 n2
    cut web2 n1
    request u0 increment
    memcached stop n3
  )");
  expect_known_as(result, "lost", "a change its store node did not take");
}

// web1, cut off from u1's store node n3, keeps u1's increment (count 2,
// acknowledged) while web2 (round robin) moves the session from the copy with
// count 1, which that increment was to replace: the forward stands, web1's kept
// change is dropped, and count 2 is lost (docs/design.md, "Known gaps": found,
// not fixed; cluster_sim --mix everything seed 226, in the "conditional writes"
// class before).
TEST(ClusterSimExpectedFailures, ChangeKeptBesideATakeoverIsDroppedAtTheForward) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=0 users=2 balancer=route
    seed 226
    balancer round-robin
    request u0 read
    request u0 read
    request u1 increment
    run 29
    request u1 read
    cut web1 n3
    request u1 increment
  )");
  expect_known_as(result, "lost", "took the session over from the copy the change was to replace");
}

// Two partitions at once, no parallel requests: web1 (save_path n2,n3) writes
// u3's count 1 on n2 while cut off from n3, the replica, which keeps the empty
// first write; web2, cut off from n2, takes the session over from n3's older copy
// (cluster_sim --mix everything seed 7205, "started empty"). docs/design.md,
// Known gaps: each side keeps its own copy.
TEST(ClusterSimExpectedFailures, TwoPartitionsAtOnceReadTheReplicaTheWriterCouldNotReach) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=4 balancer=route
    seed 7205
    save_path web1 n2,n3
    request u1 read
    cut web2 n2
    run 56
    request u3 read
    run 42
    cut web1 n3
    request u3 increment
    balancer round-robin
    run 58
    request u1 read
    request u3 increment
  )");
  expect_known_as(result, "lost", "two partitions at once");
}

// The largest class of `cluster_sim --mix everything` failures: memcached
// restarted empty, the owner web1 still holds u0's session, and a round-robin
// balancer sends u0's next request to web2 before web1's next check stored it
// again: web2 started an empty session (lost). Now web2, which saw the restart
// (its first contact since), reads u0's key again every 100 ms for up to
// 2 * takeover_check_interval + 1 s; web1's check, run by u1's request
// meanwhile, stores the copy, and web2 takes it over (docs/design.md, "Lost
// copies": the restart hold).
TEST(ClusterSimFlows, RoundRobinReadAfterARestartWaitsForTheOwnersCopy) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=2 replicas=0 users=3 balancer=route
    request u0 increment @web1
    request u1 increment @web1
    request u2 increment @web2
    drain
    advance 2000
    request u2 read @web2
    drain
    memcached restart n1
    memcached restart n2
    advance 1100
    balancer round-robin
    request u0 read @web2
    run 10
    request u1 read @web1
    drain
    request u0 increment @web2
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// Round robin, no fault: web2 moves u0's session 852c (web1's) to 3ba9 and stores
// count 4; a parallel read-only request's move, undone, leaves 4a6c forwarding
// back to 852c. 4a6c's cookie on web1 then followed that forward to 852c, web1's
// own ID, and served web1's cached count 3 before web1 read web2's notice
// (cluster_sim --mix everything seed 3547: "read count 3, 4 was acknowledged").
TEST(ClusterSimFlows, ForwardBackToTheOldOwnerIsNotServedFromItsStaleCache) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=4 balancer=route
    seed 3547
    advance 1918
    advance 571
    request u2 read
    request u0 read
    request u0 regenerate
    request u3 read
    request u0 increment
    advance 2178
    advance 709
    run 44
    advance 1126
    request u3 read
    request u3 logout
    request u0 read
    advance 1540
    run 2
    request u1 increment
    run 8
    burst u1 read 2
    advance 44897
    burst u0 increment 5
    request u2 read
    request u1 increment
    balancer round-robin
    request u3 increment
    run 49
    request u2 increment
    request u0 read
    request u3 increment
    advance 57262
    run 44
    request u2 increment
    run 33
    burst u1 increment 4
    request u3 increment
    burst u0 read 3
    request u1 read
    run 10
    advance 2033
    request u3 read
    request u2 increment
    request u0 logout
    request u3 increment
    burst u0 read 5
    request u0 read
    request u1 increment
    request u2 increment
    advance 1854
    request u1 read
    request u1 increment
    run 45
    advance 71682
    request u1 read
    run 28
    run 56
    run 10
    request u1 increment
    run 46
    request u1 increment
    advance 45379
    run 54
    run 33
    advance 2586
    request u3 increment
    run 9
    request u2 increment
    request u0 read
    request u0 read
    run 59
    request u0 read
    request u3 read
    request u0 read
    run 37
    advance 590
    burst u0 increment 4
    request u1 regenerate
    request u0 read
    burst u0 increment 2
    advance 1238
    request u1 read
    run 7
    run 32
    request u0 read
    run 7
    request u2 read
    request u0 increment
    advance 24087
    run 55
    request u0 read
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// Round robin: parallel increments move u0's session between web1 and web2
// (bfc1... -> a0b9... -> 4cfa...), every copy and forward on n3. A request on
// web2 followed bfc1's forward to a0b9, web2's own ID, and took web2's cached
// copy, though web1 had moved a0b9 on to 4cfa (its notice not read yet); after
// n3 restarted empty it wrote count 1 under a0b9, and after the logout of 4cfa an
// old cookie a0b9 read that epoch (resurrected; cluster_sim --mix everything
// seed 9247). An owned copy reached through a forward read from memcached is now
// compared with memcached, where a0b9 forwards to 4cfa.
TEST(ClusterSimFlows, ForkUnderAForwardedIdAfterAMemcachedRestartDoesNotOutliveTheLogout) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=0 users=1 balancer=route
    seed 9247
    request u0 increment
    run 31
    advance 1430
    request u0 read
    run 19
    request u0 increment
    advance 271
    run 58
    balancer round-robin
    advance 961
    advance 65085
    request u0 increment
    request u0 increment
    request u0 read
    advance 2851
    advance 1544
    request u0 increment
    run 19
    burst u0 increment 3
    run 58
    replay u0
    memcached restart n3
    advance 836
    advance 2451
    request u0 increment
    request u0 logout
    request u0 read
    run 9
    advance 29690
    replay u0
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// "A write never destroys a forward or a newer copy. [...] With a round-robin
// balancer, six parallel requests of one session lost three increments." Now
// every write replaces only the copy its request read (memcached CAS;
// docs/design.md, "Conditional writes"), so of two parallel requests on two nodes
// one is refused with a warning (not acknowledged), never silently lost, and the
// session never forks.
TEST(ClusterSimFlows, ParallelRequestsOnTwoNodesLoseNoAcknowledgedIncrement) {
  for (std::uint64_t seed : {1, 2, 3, 4, 5, 6, 7, 8}) {
    std::string error;
    auto history =
        History::parse("options balancer=round-robin\nseed " + std::to_string(seed) +
                           "\nrequest u0 increment @web1\ndrain\nburst u0 increment 6\ndrain\n"
                           "burst u0 increment 6\ndrain\n",
                       &error);
    ASSERT_TRUE(history.has_value()) << error;
    const HistoryResult result = run_history(*history);
    EXPECT_TRUE(result.clean()) << "seed " << seed << "\n" << result.report();
  }
}

// Parallel requests without a cookie each make a session, and the browser keeps
// the last Set-Cookie (docs/design.md, "Invariants and their windows"). A
// request sent with the first session's cookie before the second answered moves
// that session (another node takes it over) and answers last: its Set-Cookie
// brings the browser back to the first session, at its own count, not at the
// count the second one had reached meanwhile (cluster_sim --mix everything seed
// 19758: the oracle expected the other session's counts, a loss and a lost
// update no browser sees).
TEST(ClusterSimFlows, LateSetCookieOfASessionMadeInParallelSwitchesTheBrowserBack) {
  ClusterOptions options;
  options.takeover_check_interval_s = 0;
  Cluster cluster(3, options);
  const int user = cluster.add_user();
  const auto finish = [&](int request) {
    while (!cluster.outcome(request).done) ASSERT_TRUE(cluster.step(request));
  };
  const int first = cluster.start_request(user, Op::kIncrement, 0);
  const int second = cluster.start_request(user, Op::kIncrement, 1);
  finish(first);  // the jar holds the first session (count 1)
  const std::string first_id = cluster.outcome(first).id;
  const int moves = cluster.start_request(user, Op::kRead, 1);
  const int follows = cluster.start_request(user, Op::kRead, 1);
  finish(moves);  // web2 takes the first session over: the jar follows it
  ASSERT_NE(cluster.outcome(moves).id, first_id);
  finish(second);  // the second session's Set-Cookie: the first is abandoned
  ASSERT_NE(cluster.outcome(second).id, cluster.outcome(moves).id);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(cluster.request(user, Op::kIncrement, 1).ok);
  // The request sent with the first session's original cookie answers with the
  // ID that session moved to: the browser is back in the first session.
  finish(follows);
  ASSERT_TRUE(cluster.outcome(follows).ok) << cluster.outcome(follows).error;
  EXPECT_EQ(cluster.outcome(follows).id, cluster.outcome(moves).id);
  EXPECT_EQ(cluster.oracle().cookie(user), cluster.outcome(moves).id);
  const auto& back = cluster.request(user, Op::kIncrement, 1);
  ASSERT_TRUE(back.ok) << back.error;
  EXPECT_EQ(back.written, encode_session({0, 2}));
  EXPECT_TRUE(cluster.oracle().clean()) << cluster.oracle().violations().front().kind << ": "
                                        << cluster.oracle().violations().front().detail;
}

// The same rule seen by the oracle alone: after the browser switches back to a
// session made in parallel, it expects every count acknowledged in that session,
// also those acknowledged while the jar held the other one, and the two
// sessions' counts are no lost update of each other.
TEST(ClusterSimOracle, BrowserBackInASessionMadeInParallelExpectsEveryCountItAcknowledged) {
  Oracle oracle(1000);
  const int user = oracle.add_user();
  const auto value = [](int count) { return encode_session({0, count}); };
  oracle.on_write_attempt(user, value(1));
  oracle.on_write_attempt(user, value(2));
  oracle.on_ack(user, false, true, "", "A", value(1), false, 0, "r0");  // no cookie: session A
  oracle.on_ack(user, false, true, "", "B", value(1), false, 1, "r1");  // no cookie: B, set last
  EXPECT_EQ(oracle.cookie(user), "B");
  // Sent with A before B answered: A's count 2, and no Set-Cookie.
  oracle.on_ack(user, false, true, "A", "A", value(2), false, 2, "r2");
  EXPECT_EQ(oracle.cookie(user), "B");
  oracle.on_ack(user, false, true, "B", "B", value(2), false, 3, "r3");
  EXPECT_TRUE(oracle.clean()) << oracle.violations().front().detail;
  // Sent with A too, it read A before r2 changed it and moved A to A2: its
  // Set-Cookie brings the browser back to A, which acknowledged count 2.
  oracle.on_ack(user, false, false, "A", "A2", value(1), false, 4, "r4");
  EXPECT_EQ(oracle.cookie(user), "A2");
  EXPECT_EQ(oracle.snapshot(user).acked_count, 2);
  oracle.on_read(user, oracle.snapshot(user), value(1), false, 5, "r5");
  ASSERT_EQ(oracle.violations().size(), 1U);
  EXPECT_EQ(oracle.violations().front().kind, "lost");
}

// ---------------------------------------------------------------- the failure classes, one history
// each
//
// The situations in which the handler lost or forked sessions (the table of
// docs/design.md, "Simulation"), each written as a few lines. Those still open
// are expected failures: each test asserts that the simulator still finds the
// failure, and fails once it is fixed (then it moves to the clean list).

// One step of a history in which users u0..u<count-1> each make the same request
// on `node`, then every request ends.
std::string every_user(int count, const std::string& op, const std::string& node) {
  std::string lines;
  for (int user = 0; user < count; ++user) {
    lines += "request u" + std::to_string(user) + " " + op + " @" + node + "\n";
  }
  return lines + "drain\n";
}

// "a rolling rollout that adds n3 logs out every user whose session landed on n3
// and then reached a node not yet updated". Still so when the operator skips the
// ;joining step (web1 places sessions on n3 that web2 has never heard of: web2
// started with a save_path without it, so no earlier one of its own lists n3
// either): web2 looks for them on n1 and n2, warns naming n3, and starts fresh.
// The procedure (docs/operator-guide.md) avoids it; the history below follows it.
TEST(ClusterSimExpectedFailures, StoreNodeAddedWithoutJoiningLosesItsSessionsOnTheOthers) {
  const HistoryResult result =
      play("options memcached=3 users=4\nsave_path web2 n1,n2\nkill web2\nrestart web2\n" +
           every_user(4, "increment", "web1") + every_user(4, "read", "web2"));
  expect_still_found(result, "lost");
}

// The same gap where the dropped node holds the replica. web1 writes u3's
// session under an ID naming n2 while its save_path is every node, so the
// replica goes to n3 (the next node of that ring). web1's save_path then drops
// n3 without the drain, memcached n2 restarts empty, and web1 is killed: its
// cache and the save_path it ran with before (SavePathMemory, in its segment)
// are gone. Its next request of u3 reads n2 and the replica of the new ring,
// n1, finds nothing and starts a new session, while n3 still holds count 1
// (docs/design.md, "Known gaps" and "save_path roles"; operator guide,
// "Changing save_path": not across a full restart). The ID names n2, which web1
// lists, so the class is told by the owner's last write of the ID under the
// longer save_path, not by the ID's store (cluster_sim --mix everything seed
// 8103; `--strict` shrinks that seed to another history, one of the ID-naming
// class, which is why it looked like that class).
TEST(ClusterSimExpectedFailures, ReplicaOnANodeTheOwnerDroppedAndForgotIsNotRead) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=4 balancer=route
    seed 8103
    request u2 increment
    request u3 increment
    request u1 increment
    run 35
    save_path web1 n1,n2
    memcached restart n2
    kill web1
    restart web1
    request u3 increment
  )");
  expect_still_found(result, "lost");
  EXPECT_TRUE(trace_has(result, "r1@web1 write(8ca2cf6ccdebf91fe5e1f3ab5acfb2eb-n2.web1) = ok"))
      << result.report();
  const auto reason = known_issue(result);
  ASSERT_TRUE(reason.has_value()) << result.report();
  EXPECT_NE(reason->find("the replica the old ring placed on the dropped node"), std::string::npos)
      << *reason;
}

// The kill is what loses it: after a graceful restart web1 keeps its cache (and
// the save_path before, in its segment), and the same history reads count 1.
TEST(ClusterSimFlows, ReplicaOnANodeTheOwnerDroppedIsNoLossWhileItKeepsItsSegment) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=4 balancer=route
    seed 8103
    request u2 increment
    request u3 increment
    request u1 increment
    run 35
    save_path web1 n1,n2
    memcached restart n2
    restart web1
    request u3 increment
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// Adding a node (docs/design.md, "save_path roles"): every app node learns n3 as
// ;joining first (read, never placed on), then makes it active, one at a time.
// Sessions web1 places on n3 while web2 still has it joining are read there.
TEST(ClusterSimFlows, StoreNodeAddedJoiningFirstLosesNothing) {
  const HistoryResult result = play(R"(
    options memcached=3 users=6
    save_path web1 n1,n2
    save_path web2 n1,n2
    request u0 increment @web1
    drain
    save_path web1 n1,n2,n3:joining
    request u1 increment @web1
    request u4 increment @web1
    request u5 increment @web1
    drain
    request u1 read @web2
    request u4 read @web2
    request u5 read @web2
    drain
    save_path web2 n1,n2,n3:joining
    save_path web1 n1,n2,n3
    request u0 increment @web1
    request u2 increment @web1
    request u3 increment @web1
    drain
    request u0 read @web2
    request u1 read @web2
    request u2 read @web2
    request u3 read @web2
    drain
    save_path web2 n1,n2,n3
    request u0 increment @web1
    request u1 increment @web2
    request u2 increment @web2
    request u3 increment @web1
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
  EXPECT_NE(result.report().find("-n3.web1"), std::string::npos)
      << "no session was placed on n3: the history shows nothing\n"
      << result.report();
}

// "removing a node resets its sessions even when the owner holds them in its
// cache": the owner relocates them from its cache (docs/design.md, "save_path
// roles").
TEST(ClusterSimFlows, StoreNodeRemovedKeepsSessionsTheOwnerHolds) {
  const HistoryResult result =
      play("options memcached=3 users=4\n" + every_user(4, "increment", "web1") +
           "save_path web1 n1,n2\n" + every_user(4, "read", "web1") + "memcached stop n3\n" +
           every_user(4, "increment", "web2"));
  EXPECT_TRUE(result.clean()) << result.report();
}

// Removing a node whose sessions have a replica: an app node that no longer
// lists n3 finds the replica on a node it knows, even with the owner dead.
TEST(ClusterSimFlows, StoreNodeRemovedKeepsSessionsAReplicaHolds) {
  const HistoryResult result = play(
      "options memcached=3 replicas=1 users=4\n" + every_user(4, "increment", "web1") +
      "kill web1\nsave_path web2 n1,n2\nmemcached stop n3\n" + every_user(4, "increment", "web2"));
  EXPECT_TRUE(result.clean()) << result.report();
}

// web1 drops n1 from its save_path without the drain and moves its own session
// off it from its cache: the forward goes on n1 itself (a departed node,
// docs/design.md, "save_path roles"), where a node that lists n1 looks. After
// the logout, web1 lists n1 again and an old cookie finds the forward to the
// ended session (cluster_sim --mix everything seed 3879: the forward went to
// n3 and n1's copy opened again).
TEST(ClusterSimFlows, StoreNodeDroppedWithoutDrainGetsTheForward) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=1 balancer=route
    seed 3879
    request u0 increment
    run 48
    save_path web1 n2,n3
    request u0 logout
    request u0 regenerate
    advance 88127
    save_path web1 n1,n3
    replay u0
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// web2 drops n2 from its save_path without the drain and moves u3's session off
// it from its cache: the old ID's copy also lives on n3, n2's replica in the
// ring web2 no longer knows. The forward reaches every listed node, so when n2
// stops and web2 lists it again, an old cookie read on that replica finds the
// forward to the ended session (cluster_sim --mix everything seed 2620: the
// forward went to n2 and n1 only, and n3's copy opened again after the logout).
TEST(ClusterSimFlows, ForwardOffADroppedStoreNodeReachesTheReplicaOfItsOldRing) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=4 balancer=route
    seed 2620
    request u1 increment
    request u0 regenerate
    request u3 increment
    run 31
    save_path web2 n1,n3
    request u3 increment
    run 47
    memcached stop n2
    request u3 logout
    advance 1133
    request u2 increment
    run 57
    advance 81965
    replay u3
    save_path web2 n2,n3
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// web1 lists n2,n3 and web2 all three nodes, so each places n3's replica by
// another ring (web1 on n2, web2 on n1). web2 takes u0's session over and writes
// the forward of the old ID on n3 and n1; the old copy web1 left on n2 stays
// unless the forward reaches every listed node. n3 restarts empty, and the old
// cookie read on web1 (whose ring names n2) opened the session as it was before
// the logout (cluster_sim --mix everything seed 3879).
TEST(ClusterSimFlows, ForwardReachesTheReplicaAnotherSavePathPlaced) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=1 balancer=route
    seed 3879
    request u0 increment
    request u0 read
    request u0 read
    request u0 increment
    kill web2
    run 48
    save_path web1 n2,n3
    balancer round-robin
    request u0 increment
    run 30
    restart web2
    request u0 read
    request u0 logout
    request u0 regenerate
    advance 88127
    replay u0
    memcached restart n3
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// web2 drops n3 from its save_path and restarts: u2's session names n3, and
// its replica is on n1, which is frozen. With no copy on n2 and no answer from
// n1, the read fails instead of starting u2 over (cluster_sim --mix everything
// seed 4069 started it empty).
TEST(ClusterSimFlows, StoreNotInSavePathWithAListedNodeSilentIsNotReadAsMissing) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=3 balancer=route
    seed 4069
    burst u1 read 2
    run 41
    memcached freeze n1
    request u2 increment
    run 54
    save_path web2 n1,n2
    kill web2
    restart web2
    request u2 read
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// web1 drops n1 from its save_path while n2 is frozen and n3 cut off from web1:
// u0's session on n1 must move, and no node can take it. It stays on n1, which
// answers, instead of a new ID on n3 that only web1's cache held when web1 died
// (cluster_sim --mix everything seed 75 started u0 empty).
TEST(ClusterSimFlows, RelocationWithNoLiveNodeStaysOnTheNodeThatHasIt) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=4 balancer=route
    seed 75
    request u1 increment
    cut web1 n3
    run 54
    request u0 read
    request u3 increment
    run 3
    run 3
    request u0 increment
    run 24
    request u0 increment
    save_path web1 n2,n3
    memcached freeze n2
    run 55
    kill web1
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// web1 writes u1's session on n2 while its save_path lists n1,n2, so the replica
// is on n1; web1 is killed, n2 stops, and the heal lists every node again, where
// n2's replica is n3. The copy on n1 is read instead of starting u1 over
// (cluster_sim --mix everything seed 9979).
TEST(ClusterSimFlows, ReplicaAnEarlierRingPlacedIsReadAfterTheStoreNodeLostItsCopy) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=2 balancer=route
    seed 9979
    request u1 increment
    save_path web1 n1,n2
    run 13
    kill web1
    memcached stop n2
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// web1 regenerates u3's ID onto n3, whose replica its save_path (n1,n2,n3) puts on
// n1; then web1 drops n1 and u3 logs out. The tombstone also reaches n1, a node
// this save_path dropped, so web2, which lists n1,n2 and not n3, finds no older
// copy there for the old cookie (cluster_sim --mix everything seed 3812 opened
// the session again after the logout).
TEST(ClusterSimFlows, LogoutReachesTheReplicaOnANodeThisSavePathDropped) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=4 balancer=route
    seed 3812
    kill web2
    memcached freeze n2
    save_path web2 n1,n2
    request u2 increment
    burst u0 increment 2
    request u3 regenerate
    run 40
    save_path web1 n2,n3
    restart web2
    request u3 logout
    run 18
    kill web1
    advance 1689
    advance 1492
    replay u3
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// web1 drops n2 without the drain while web2 places sessions there; web2 dies,
// and web1 reads u3's session on n2, the node its save_path dropped, and takes
// it over (cluster_sim --mix everything seed 3146 started it empty).
TEST(ClusterSimFlows, StoreNodeDroppedOnOneAppNodeStillReadsTheOthersSessions) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=0 users=4 balancer=route
    seed 3146
    request u3 increment
    save_path web1 n1,n3
    run 21
    kill web2
    request u3 read
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// The same before web2 has served a request: the save_path it started with
// (php.ini's, noted in MINIT) listed n3 (cluster_sim --mix everything seed 15028).
TEST(ClusterSimFlows, StoreNodeDroppedBeforeTheFirstRequestStillReadsTheOthersSessions) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=1 balancer=route
    seed 15028
    memcached freeze n1
    request u0 increment
    save_path web2 n1,n2
    run 35
    kill web1
    request u0 read
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// web1 drops n2 without the drain and is cut off from it; web2 still places
// sessions there, and its replica write (to n3) fails. A node that does not
// answer may still hold the session: web1 fails the request as it does for a
// listed store node, instead of taking n2 for stopped and starting the session
// fresh (cluster_sim --mix everything seed 818 lost it; docs/design.md,
// "save_path roles"). Once n2 answers, web1 moves the session off it.
TEST(ClusterSimFlows, StoreNodeDroppedWithoutDrainAndCutOffIsNotTakenForStopped) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=1 balancer=route
    seed 818
    cut web1 n2
    cut web2 n3
    save_path web1 n1,n3
    request u0 increment @web2
    drain
    request u0 read @web1
    drain
    heal web1 n2
    advance 3000
    request u0 increment @web1
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
  EXPECT_TRUE(trace_has(result, "-n2.web2"))
      << "the session was not placed on n2: the history shows nothing\n"
      << result.report();
}

// The same when a copy is left elsewhere: n3 holds the replica of the session's
// first write (every save_path listed n3 then); web2 drops n3, is cut off from
// n1 (its new replica) and changes the session on n2 alone; web1, which dropped
// n2 and is cut off from it, must not serve n3's older copy as the session
// (cluster_sim --mix everything seed 4113 served it, and a logout ended that
// copy while n2's newer one opened again for an old cookie).
TEST(ClusterSimFlows, StoreNodeDroppedWithoutDrainAndCutOffServesNoOlderCopy) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=1 balancer=route
    seed 4113
    request u0 increment @web2
    drain
    save_path web1 n1,n3
    cut web1 n2
    save_path web2 n1,n2
    cut web2 n1
    request u0 increment @web2
    drain
    request u0 read @web1
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// A node leaving: ;drain on every app node, the owners move their sessions off
// it on their next request, then it is removed and stopped. Nothing is lost.
TEST(ClusterSimFlows, StoreNodeDrainedThenRemovedLosesNothing) {
  const HistoryResult result = play(R"(
    options memcached=3 users=4
    request u0 increment @web1
    request u1 increment @web1
    request u2 increment @web2
    request u3 increment @web2
    drain
    save_path web1 n1,n2,n3:drain
    save_path web2 n1,n2,n3:drain
    request u0 increment @web1
    request u1 increment @web1
    request u2 increment @web2
    request u3 increment @web2
    request u4 increment @web1
    drain
    save_path web1 n1,n2
    save_path web2 n1,n2
    memcached stop n3
    request u0 read @web2
    request u1 read @web2
    request u2 read @web1
    request u3 read @web1
    request u4 read @web2
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// memcached out of memory, at the core: "SERVER_ERROR out of memory storing
// object" unlinked memcached's copy; the handler keeps its own (unsynced, retried)
// and the session survives. (With real processes:
// phpt/session_memcached_out_of_memory.phpt.)
TEST(ClusterSimFlows, OutOfMemoryKeepsTheLocalCopy) {
  const HistoryResult result = play(R"(
    request u0 increment @web1
    drain
    limit n1 memory=10
    limit n2 memory=10
    request u0 increment @web1
    drain
    request u0 read @web1
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// "a new owner three minutes behind, or two ahead, or an old owner whose clock is
// stepped back (NTP), leaves the old owner serving its stale copy for minutes or
// forever". Fixed: notice lists carry no time, and intervals are monotonic
// (docs/design.md, "Forwards and notices").
std::string stale_after_skew(const char* skew) {
  return std::string("request u0 increment @web1\ndrain\n") + skew +
         "\nrequest u0 increment @web2\ndrain\nadvance 10000\nreplay u0 @web1\ndrain\n";
}

TEST(ClusterSimFlows, NewOwnerWithASkewedClockStillTellsTheOldOwner) {
  for (const char* skew :
       {"skew web2 -180000", "skew web2 120000", "skew web1 -600000", "skew web1 3600000"}) {
    const HistoryResult result = play(stale_after_skew(skew));
    EXPECT_TRUE(result.clean()) << skew << "\n" << result.report();
  }
}

// "a slow request on the old owner that overlaps a takeover ends by writing over
// the forward": web1's increment waits before its write while web2 takes over.
// Fixed: web1's write is conditional and refused (docs/design.md, "Conditional writes").
TEST(ClusterSimFlows, SlowRequestOnTheOldOwnerNeverWritesOverTheForward) {
  const HistoryResult result = play(R"(
    request u0 increment @web1
    drain
    request u0 increment @web1
    run 1
    request u0 increment @web2
    run 6
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// "The forward under the old key is skipped when that node is down and never
// retried, so when it resumes the old cookie opens the old copy."
// Fixed for a node that serves anyone after the store answers again: the forward
// waits in web1's cache and goes out with its next takeover check. Still open when
// web1 idles from the thaw to the replay (below; docs/design.md, "Known gaps").
// web1 relocates u0 past frozen n2; n2 thaws; `after_thaw` happens; u0's first
// cookie is replayed on web2.
std::string relocation_past_a_frozen_store(const std::string& after_thaw) {
  return "options users=2\nrequest u0 increment @web1\ndrain\nadvance 5000\n"
         "memcached freeze n2\nrequest u0 increment @web1\ndrain\nadvance 3000\n"
         "request u0 increment @web1\ndrain\nmemcached thaw n2\nadvance 5000\n" +
         after_thaw + "replay u0 @web2\ndrain\n";
}

TEST(ClusterSimFlows, RelocationPastAFrozenStoreForwardsOnceItAnswersAndTheOwnerServesAnyone) {
  const HistoryResult result =
      play(relocation_past_a_frozen_store("request u1 increment @web1\ndrain\n"));
  EXPECT_TRUE(result.clean()) << result.report();
}

// web1, cut off from u1's store node n3 while the replica n1 is frozen, moves the
// session to n2; the forward under the old ID reaches neither node and is kept in
// web1's cache, to retry. 35 s later (a notice gap: web1 does not trust its
// cache) the old cookie comes back to web1, n3 still cut off: web1 read the old
// copy on the thawed replica and served count 1 after 2 was acknowledged. A
// forward this node kept for a retry is its own knowledge, not another node's
// news: it is followed whether or not the node's notices are current
// (cluster_sim --mix everything seed 533; docs/design.md, "Forwards and notices").
TEST(ClusterSimFlows, OldCookieOnTheMoverFollowsTheForwardItKeptPastTheNoticeGap) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=2 balancer=route
    seed 533
    request u0 read
    request u0 read
    run 7
    request u1 increment
    run 56
    advance 1038
    cut web1 n3
    memcached freeze n1
    request u1 increment
    run 38
    memcached thaw n1
    replay u1
    advance 35465
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// u1's session lives on n3 with its replica on n1. web1 takes it over (a
// round-robin balancer) while n1 is frozen: the forward under the old ID reaches
// n3 but not n1, which keeps count 1. n1 thaws, n3 stops, and the old cookie on
// web2 (the old owner, which has read no takeover notice for 52 s, so it
// compares its copy with memcached) finds n3 down and the replica n1's count 1,
// after 2 was acknowledged. A forward (or tombstone) the store node took and a
// replica missed is not retried there (docs/design.md, "Known gaps": conditional
// writes): once the store node is lost too, the replica's older copy is read
// again (cluster_sim --mix everything seed 5211). No warning says the forward
// missed the replica, so the class is told by the nodes that did not answer the
// mover at its write.
std::string forward_the_replica_missed(const std::string& silent, const std::string& answers) {
  return "options apps=2 memcached=3 replicas=1 users=2 balancer=route\n"
         "seed 5211\n"
         "request u0 increment\n"
         "run 1\n"
         "request u1 increment\n"
         "run 21\n" +
         silent +
         "\n"
         "balancer round-robin\n"
         "advance 2844\n"
         "request u1 increment\n"
         "run 25\n"
         "request u1 increment\n" +
         answers +
         "\n"
         "memcached stop n3\n"
         "advance 51926\n"
         "request u0 increment\n"
         "request u2 read\n"
         "request u2 read\n"
         "replay u1\n";
}

TEST(ClusterSimExpectedFailures, ForwardTheReplicaMissedIsReadAfterTheStoreNodeStops) {
  for (const auto& [silent, answers] :
       {std::pair<std::string, std::string>{"memcached freeze n1", "memcached thaw n1"},
        std::pair<std::string, std::string>{"cut web1 n1", "heal web1 n1"}}) {
    const HistoryResult result = play(forward_the_replica_missed(silent, answers));
    expect_still_found(result, "stale");
    const auto reason = known_issue(result);
    ASSERT_TRUE(reason.has_value()) << silent << "\n" << result.report();
    EXPECT_NE(reason->find("a forward the store node took while the replica's node did not"),
              std::string::npos)
        << *reason;
  }
}

// The replica's silence at the move is what leaves the old copy: with n1
// answering, the forward reaches it, and the old cookie follows it there.
TEST(ClusterSimFlows, ForwardBothCopiesTookIsFollowedAfterTheStoreNodeStops) {
  const HistoryResult result = play(forward_the_replica_missed("", ""));
  EXPECT_TRUE(result.clean()) << result.report();
}

TEST(ClusterSimExpectedFailures, RelocationPastAFrozenStoreWithAnIdleOwnerLeavesTheOldCopyOpen) {
  const HistoryResult result = play(relocation_past_a_frozen_store(""));
  expect_still_found(result, "stale");
}

// A request (r3 on web2) stalls between caching its change and writing it to
// memcached for longer than the settle time; the node's idle check took the
// cached change for one memcached did not take, stored it first, and the
// request's own conditional write was refused with no fault at all
// (CLUSTER_SIM_IDLE_CHECKS=1 cluster_sim --mix everything seed 1929). A check
// now leaves a session whose lock is held to its request (MissedWrites::retry).
TEST(ClusterSimFlows, IdleCheckLeavesAChangeToItsStalledRequest) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=3 replicas=1 users=4 balancer=route idle_checks=on
    seed 1929
    request u1 read
    request u0 read
    run 31
    advance 37834
    request u2 increment
    request u1 increment
    burst u3 increment 5
    run 35
    advance 1932
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// With the idle check, an owner that serves no request still retries the
// forward the frozen node missed once it thaws.
TEST(ClusterSimFlows, RelocationPastAFrozenStoreForwardsOnceItAnswersWithAnIdleOwner) {
  const HistoryResult result =
      play("options idle_checks=on\n" + relocation_past_a_frozen_store(""));
  EXPECT_TRUE(result.clean()) << result.report();
}

// Fixed: "lock stripes are shared by hashing, so an unrelated long request blocks
// a bystander until lock_timeout" (the history played with `options
// lock_stripes=1` to make the collision certain). The real table has a lock per
// session now (docs/design.md, "The shared segment"), as the simulator's default;
// u0's request holds its lock for 31 s and u1 must not wait for it.
TEST(ClusterSimFlows, UnrelatedSessionsWithTheirOwnLocksNeverWaitForEachOther) {
  const HistoryResult result = play(R"(
    options users=2
    request u0 increment @web1
    request u1 increment @web1
    drain
    advance 5000
    request u0 increment @web1
    run 5
    request u1 increment @web1
    run 1
    advance 31000
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// Fixed: "PHP_INT_MAX overflows to a 1-second TTL", and 2^31 was a negative
// exptime to memcached (gone at once). Both keep the session (the TTLs under
// docs/design.md, "Known gaps").
TEST(ClusterSimFlows, HugeGcMaxlifetimeKeepsTheSession) {
  for (const char* lifetime : {"9223372036854775807", "2147483648"}) {
    const HistoryResult result = play(std::string("options gc_maxlifetime=") + lifetime + R"(
      request u0 increment @web1
      drain
      advance 2000
      request u0 increment @web2
      drain
    )");
    EXPECT_TRUE(result.clean()) << "gc_maxlifetime=" << lifetime << "\n" << result.report();
  }
}

// "A cookie four or more takeovers old gets an empty session": the browser
// sends its first cookie again (a restored tab) after five takeovers; two are
// followed.
std::string takeovers_then_first_cookie(int takeovers) {
  std::string text = "request u0 increment @web1\ndrain\n";
  for (int i = 1; i <= takeovers; ++i) {
    text += std::string("request u0 increment @") + (i % 2 == 1 ? "web2" : "web1") + "\ndrain\n";
  }
  return text + "advance 5000\nrestore u0 1\nrequest u0 read @web1\ndrain\n";
}

// Fixed: forwards are followed up to 32 hops and shortened as they are followed
// (docs/design.md, "Request flows and their round trips").
TEST(ClusterSimFlows, CookieFiveTakeoversOldFindsTheSession) {
  const HistoryResult result = play(takeovers_then_first_cookie(5));
  EXPECT_TRUE(result.clean()) << result.report();
}

TEST(ClusterSimFlows, CookieTwoTakeoversOldFindsTheSession) {
  const HistoryResult result = play(takeovers_then_first_cookie(2));
  EXPECT_TRUE(result.clean()) << result.report();
}

// "A takeover near the item-size limit (the new key is longer [...]) sends the
// new cookie although nothing was stored under it": web2's route is 12 bytes
// longer, and 136 bytes hold the old item but not the new one. Fixed: the session
// stays under its old ID and the new ID forwards to it.
TEST(ClusterSimFlows, TakeoverIntoALongerKeyPastTheItemSizeLimitStaysUnderItsOldId) {
  const HistoryResult result = play(R"(
    options routes=web1,frontendnode0002
    request u0 increment @web1
    drain
    advance 5000
    limit n1 item_size=136
    limit n2 item_size=136
    kill web1
    request u0 increment @web2
    drain
    request u0 read @web2
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// A change too large for any key, made in a takeover request: the move failed,
// and memcached unlinked the old copy when it refused the change under the old
// key (an unconditional set), so the new cookie PHP had sent opened an empty
// session: the nine acknowledged increments were lost. The change is refused now,
// the old copy stays (or is written back), and the new ID forwards to it.
// 132 bytes hold the session at count 9 (45-byte key, 16-byte header, 12 bytes
// of data, 59 of memcached's own), not at 10.
TEST(ClusterSimFlows, TooLargeChangeInATakeoverKeepsTheSessionBehindTheNewCookie) {
  std::string text = "options routes=web1,web2\n";
  for (int i = 0; i < 9; ++i) text += "request u0 increment @web1\ndrain\n";
  const HistoryResult result = play(text + R"(
    advance 5000
    limit n1 item_size=132
    limit n2 item_size=132
    kill web1
    request u0 increment @web2
    drain
    request u0 read @web2
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// replicas = 1 with item size limits that differ between the nodes (an -I change
// rolled out node by node): the primary n2 took the tenth increment, the replica
// n1 refused it, and the request was acknowledged; with the owner and n2 gone,
// web2 read the replica's ninth. A change any copy's node refuses is refused.
TEST(ClusterSimFlows, ChangeTheReplicaRefusesIsNotAcknowledged) {
  std::string text = R"(
    options memcached=2 replicas=1
    memcached stop n1
    request u0 increment @web1
    drain
    memcached start n1
    advance 5000
  )";
  for (int i = 0; i < 8; ++i) text += "request u0 increment @web1\ndrain\n";
  const HistoryResult result = play(text + R"(
    limit n1 item_size=132
    limit n2 item_size=200
    request u0 increment @web1
    drain
    kill web1
    memcached stop n2
    advance 5000
    request u0 read @web2
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// Without sealing, "anyone who can reach it can write a session value", and the
// next node to fetch the session serves it.
TEST(ClusterSimExpectedFailures, UnsealedForgedValueInMemcachedIsServed) {
  const HistoryResult result = play(R"(
    request u0 increment @web1
    drain
    forge u0
    request u0 read @web2
    drain
  )");
  expect_still_found(result, "garbled");
}

// ---------------------------------------------------------------- sealed values
//
// Every app node seals with one shared key (options seal=encrypt). What an
// outsider writes to memcached is then never obeyed: a forged or damaged value,
// a forward to another user's session, a sealed value copied from another key,
// a poisoned notice list. The same histories without sealing are expected
// failures: each asserts that its invariant still catches the outsider.

// u0 and u1 on web1 (u1 at count 2), then `outsider` and what follows it.
std::string two_users_then(const std::string& outsider) {
  return "options users=2\nrequest u0 increment @web1\nrequest u1 increment @web1\ndrain\n"
         "request u1 increment @web1\ndrain\nadvance 2000\n" +
         outsider;
}

struct OutsiderHistory {
  const char* name;
  std::string text;
  const char* caught_unsealed;  // the violation the oracle finds without sealing
};

std::vector<OutsiderHistory> outsider_histories() {
  const std::string read_on_web2 = "request u0 read @web2\ndrain\n";
  // web2 takes u1 over, so web1's notice list exists; then the outsider's lines.
  const std::string takeover = "request u1 increment @web2\ndrain\nadvance 2000\n";
  const std::string read_on_web1 = "advance 2000\nrequest u0 read @web1\ndrain\n";
  return {
      {"plain value, higher version", two_users_then("forge u0\n" + read_on_web2), "garbled"},
      {"plain value that reads as a session", two_users_then("forge u0 value\n" + read_on_web2),
       "served forged data"},
      {"plain forward to u1's session", two_users_then("forge u0 forward u1\n" + read_on_web2),
       "moved into another user's session"},
      {"u1's value copied under u0's key", two_users_then("forge u0 copy u1\n" + read_on_web2),
       "served forged data"},
      {"u1's forward copied under u0's key",
       two_users_then(takeover + "forge u0 copy-forward u1\n" + read_on_web2),
       "moved into another user's session"},
      {"truncated value", two_users_then("forge u0 truncate\n" + read_on_web2), "garbled"},
      {"bit-flipped value", two_users_then("forge u0 flip 27\n" + read_on_web2), "garbled"},
      {"'*' appended to web1's notices",
       two_users_then(takeover + "poison web1 star\n" + read_on_web1),
       "cache dropped by a forged notice"},
      {"a plain line naming u0 appended to web1's notices",
       two_users_then(takeover + "poison web1 line u0\n" + read_on_web1),
       "cache dropped by a forged notice"},
      {"web1's notice list made by the outsider, with '*'",
       two_users_then("poison web1 star\n" + read_on_web1), "cache dropped by a forged notice"},
  };
}

TEST(ClusterSimFlows, SealedClusterNeverObeysAnOutsider) {
  for (const char* mode : {"encrypt", "authenticate"}) {
    for (const OutsiderHistory& outsider : outsider_histories()) {
      const HistoryResult result = play(std::string("options seal=") + mode + "\n" + outsider.text);
      EXPECT_TRUE(result.clean()) << mode << ", " << outsider.name << "\n" << result.report();
      // Not vacuous: the outsider wrote, and a node read it and ignored it.
      EXPECT_TRUE(trace_has(result, "OUTSIDER ") || trace_has(result, "FORGED "))
          << mode << ", " << outsider.name << "\n"
          << result.report();
      EXPECT_TRUE(trace_has(result, "ignored what memcached holds"))
          << mode << ", " << outsider.name << "\n"
          << result.report();
    }
  }
}

TEST(ClusterSimExpectedFailures, UnsealedClusterObeysOutsiders) {
  for (const OutsiderHistory& outsider : outsider_histories()) {
    const HistoryResult result = play(outsider.text);
    EXPECT_TRUE(has(result, outsider.caught_unsealed))
        << outsider.name << ": " << outsider.caught_unsealed << " not found\n"
        << result.report();
    EXPECT_TRUE(known_issue(result).has_value()) << outsider.name << "\n" << result.report();
  }
}

// An outsider's value on the session's store node (not on the replica): sealed,
// it is ignored and the replica's copy is read, so nothing is lost.
TEST(ClusterSimFlows, SealedForgedStoreCopyLeavesTheReplica) {
  const HistoryResult result = play(R"(
    options replicas=1 seal=encrypt
    request u0 increment @web1
    drain
    request u0 increment @web1
    drain
    forge u0
    request u0 read @web2
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
  ASSERT_GE(result.requests, 3);
  EXPECT_TRUE(trace_has(result, "ignored what memcached holds")) << result.report();
  EXPECT_TRUE(trace_has(result, "r2@web2 read(")) << result.report();
  for (const auto& line : result.trace) {
    if (line.find("r2@web2 read(") != std::string::npos) {
      EXPECT_NE(line.find(encode_session({0, 2})), std::string::npos) << line;
    }
  }
}

// A notice list the outsider made (a plain head and '*') still carries the real
// notice web2 appends to it when it takes u0 over: web1 obeys that one, so the
// old cookie replayed on web1 later is not served web1's stale copy.
TEST(ClusterSimFlows, SealedNoticeOfARealTakeoverIsObeyedInAPoisonedList) {
  const HistoryResult result = play(R"(
    options seal=encrypt
    request u0 increment @web1
    drain
    poison web1 star
    advance 2000
    request u0 increment @web2
    drain
    advance 10000
    replay u0 @web1
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
  EXPECT_TRUE(trace_has(result, "a list with it made on")) << result.report();
}

// Sealing changes what memcached holds, never what the handler does: a seed
// plays the same history, line for line, sealed (either way) or not. (Sealed
// bytes differ from run to run, random nonces: the trace never shows them.)
TEST(ClusterSimFlows, SealingChangesNoHistory) {
  FaultMix mix;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    History history = generate_history(seed, mix);
    const HistoryResult plain = run_history(history);
    for (const SealMode mode : {SealMode::kEncrypt, SealMode::kAuthenticate}) {
      history.options.seal = mode;
      const HistoryResult sealed = run_history(history);
      EXPECT_EQ(sealed.trace, plain.trace) << "seed " << seed << ", " << seal_mode_name(mode);
      EXPECT_EQ(sealed.violations.size(), plain.violations.size()) << "seed " << seed;
    }
  }
}

// With every store call in the trace (values shown opened), a sealed history
// with outsiders replays byte for byte although the bytes stored do not.
TEST(ClusterSimFlows, SealedHistoriesWithOutsidersReplayByteForByte) {
  const char* had = std::getenv("CLUSTER_SIM_STORE_TRACE");
  const std::string saved = had != nullptr ? had : "";
  setenv("CLUSTER_SIM_STORE_TRACE", "1", 1);
  FaultMix mix;
  mix.outsiders = true;
  mix.seal = SealMode::kEncrypt;
  for (std::uint64_t seed : {77, 78, 79}) {
    const History history = generate_history(seed, mix);
    const HistoryResult first = run_history(history);
    const HistoryResult second = run_history(*History::parse(history.str(), nullptr));
    EXPECT_EQ(first.trace, second.trace) << "seed " << seed;
  }
  if (had != nullptr) {
    setenv("CLUSTER_SIM_STORE_TRACE", saved.c_str(), 1);
  } else {
    unsetenv("CLUSTER_SIM_STORE_TRACE");
  }
}

TEST(ClusterSimFlows, OutsiderLinesReadBackAsWritten) {
  const std::string text =
      "options apps=2 memcached=2 replicas=0 users=2 balancer=route seal=authenticate\n"
      "seed 3\nforge u0\nforge u0 value\nforge u1 forward u0\nforge u0 copy u1\n"
      "forge u1 copy-forward u0\nforge u0 truncate\nforge u1 flip 37\npoison web2 star\n"
      "poison web1 line u1\n";
  std::string error;
  const auto history = History::parse(text, &error);
  ASSERT_TRUE(history.has_value()) << error;
  EXPECT_EQ(history->str(), text);
  std::string bad;
  EXPECT_FALSE(History::parse("forge u0 forward\n", &bad).has_value());
  EXPECT_FALSE(History::parse("forge u0 melt\n", &bad).has_value());
  EXPECT_FALSE(History::parse("poison web1 line\n", &bad).has_value());
  EXPECT_FALSE(History::parse("options seal=off\n", &bad).has_value());
}

// Seeds of the tolerated mix with outsiders' writes among the faults, sealed:
// nothing an outsider writes is ever served, followed or obeyed, and what it
// destroys (a session it overwrote) counts as deleted.
TEST(ClusterSimHistories, SealedClusterWithOutsidersLosesNothing) {
  FaultMix mix;
  mix.outsiders = true;
  mix.seal = SealMode::kEncrypt;
  int ran = 0;
  int ignored = 0;  // histories in which a node read an outsider's write and ignored it
  std::map<std::string, int> expected;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const History history = generate_history(seed, mix);
    const HistoryResult result = run_history(history);
    ++ran;
    if (trace_has(result, "ignored what memcached holds")) ++ignored;
    if (!classify(seed, history, result, expected)) return;
  }
  EXPECT_EQ(ran, 200);
  // Swarm: some seeds draw no outsiders at all (88 of these 200 ignored one).
  EXPECT_GE(ignored, 60) << "the outsiders' writes reached a node in too few histories";
  for (const auto& [reason, count] : expected) {
    std::printf("expected failure in %d of %d histories: %s\n", count, ran, reason.c_str());
  }
}

// memcached evicts sessions behind a living owner (docs/design.md, "Lost
// copies"). Idle: the owner's first check after the notice gap compares its
// copies instead of dropping them, and serves and stores again what memcached
// lost. Busy: the owner's checks see the node's eviction count grow and store
// the idle sessions again, so they outlive the owner. Both lost them before.
TEST(ClusterSimFlows, SessionsEvictedBehindAnIdleOwnerAreServedAndStoredAgain) {
  const HistoryResult idle =
      play("options users=3 replicas=0\n" + every_user(3, "increment", "web1") +
           "evict u0\nevict u1\nevict u2\nadvance 40000\n" + every_user(3, "read", "web1"));
  EXPECT_TRUE(idle.clean()) << idle.report();
  EXPECT_TRUE(trace_has(idle, "evicted u0")) << idle.report();
}

TEST(ClusterSimFlows, SessionsEvictedBehindABusyOwnerOutliveIt) {
  std::string busy =
      "options users=3 replicas=0\n" + every_user(3, "increment", "web1") + "evict u1\nevict u2\n";
  for (int second = 0; second < 4; ++second) {
    busy += "advance 1000\nrequest u0 read @web1\ndrain\n";
  }
  const HistoryResult result = play(busy + "kill web1\n" + every_user(3, "read", "web2"));
  EXPECT_TRUE(result.clean()) << result.report();
  EXPECT_TRUE(trace_has(result, "evicted u2")) << result.report();
}

// Found by the sealed seeds with outsiders (seeds 74 and 9483 of that mix,
// `cluster_sim --seal [authenticate] --outsiders`, shrink to these), but neither
// sealing nor an outsider takes part. A write that reached no memcached node
// holding the session's store copy is kept on its node (unsynced) and retried on
// the next request, also when that request comes after the notice gap (no
// complete takeover check for 30 s: a memcached node still frozen or cut off):
// the node compares its copy with memcached's (docs/design.md, "Lost copies")
// and serves its own when memcached's is older. Below, u0's increment while n2
// (its store node) is frozen goes to the replica and web1's cache; 54 s later n2
// thaws with the older copy, which must not win. Then web2, cut off from both
// nodes, keeps count 1; 42 s later, n2 back, it must not serve n2's empty copy.
// Both lost the acknowledged count before (and the second gave it twice).
TEST(ClusterSimFlows, UnsyncedCopyPastTheNoticeGapBeatsMemcachedsOlderOne) {
  const HistoryResult frozen_store = play(R"(
    options replicas=1
    seed 74
    request u0 read
    request u0 read
    run 24
    request u0 increment
    memcached freeze n2
    run 21
    request u0 read
    advance 54058
  )");
  EXPECT_TRUE(frozen_store.clean()) << frozen_store.report();
  const HistoryResult cut_off = play(R"(
    seed 9483
    request u0 increment
    request u0 read
    request u0 read
    run 31
    cut web2 n1
    request u0 increment
    cut web2 n2
    run 7
    advance 42524
    heal web2 n2
    request u0 increment
  )");
  EXPECT_TRUE(cut_off.clean()) << cut_off.report();
}

// Found by narrowing the restart excuse (cluster_sim --mix everything, seeds 14
// 249 673 818 1816 2005 2547 of 3000): web2 dropped n2 from its save_path
// without the drain and still reads it as departed (operator guide, "Changing
// save_path"), but n2 is frozen (or cut off from web2): the read found nothing
// on the nodes web2 lists and started a new session, while u0's copy lives on n2
// and in the owner's cache (a loss by docs/design.md, section 8). A departed
// node that times out is not taken for stopped: the read fails, as for a listed
// store node (RemoteStore::departed_and_stopped).
TEST(ClusterSimFlows, DepartedStoreNodeThatDoesNotAnswerIsNotReadAsMissing) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=2 replicas=0 users=2 balancer=route
    request u1 read @web2
    request u0 increment @web1
    drain
    save_path web2 n1
    memcached freeze n2
    request u0 read @web2
    drain
  )");
  EXPECT_TRUE(result.clean()) << result.report();
}

// Found by narrowing the restart excuse (seed 162 of 3000): u0's store node n2
// restarted empty while its owner web1 was killed (cache gone) and cut off from
// the replica n1, which still holds count 1: n2 answered NOT_FOUND, n1 did not
// answer, and validate_sid said no such session, so a new one started (a loss
// by docs/design.md, section 8: a copy survives). web1's first look at n2 finds
// it started less than gc_maxlifetime + touch_interval ago, so the miss may be a
// copy lost in that restart: the read fails, and after the heal u0 reads count 1.
TEST(ClusterSimFlows, StoreRestartedWithTheReplicaCutOffIsNotReadAsMissing) {
  const HistoryResult result = play(R"(
    options apps=2 memcached=2 replicas=1 users=1 balancer=route
    request u0 increment @web1
    drain
    cut web1 n1
    kill web1
    restart web1
    memcached restart n2
    request u0 read @web1
    drain
  )");
  ASSERT_TRUE(trace_has(result, "memcached n2 restarted empty (it held u0 epoch 0 count 1)"))
      << result.report();
  EXPECT_TRUE(result.clean()) << result.report();
  EXPECT_TRUE(trace_has(result, "a replica still holds")) << result.report();
}

}  // namespace
}  // namespace clustered::sim
