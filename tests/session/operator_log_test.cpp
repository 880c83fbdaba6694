// SPDX-License-Identifier: BSD-3-Clause
// Who hears what (docs/design.md, "Who hears what"): a request's caller hears of a
// failure only when its session could not be read, written or locked; a state the
// handler handled itself is logged for the operator once per change of state (a
// memcached node down, back) or once per interval and kind (everything else) for
// the whole app node, however many of its processes meet it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "session/handler_rig.h"

namespace clustered::testing {
namespace {

using OperatorLogTest = ModelHandlerTest;

std::size_t lines_with(const std::vector<std::string>& lines, const std::string& a,
                       const std::string& b = "") {
  std::size_t count = 0;
  for (const std::string& line : lines) {
    if (line.find(a) != std::string::npos && line.find(b) != std::string::npos) ++count;
  }
  return count;
}

// One request that changes the session; the request must not fail.
void change(SessionHandler& handler, const std::string& id, const std::string& data) {
  const Started started = session_start(handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  const Status saved = session_write_close(handler, started, data);
  ASSERT_TRUE(saved.ok()) << saved.error();
}

TEST_F(OperatorLogTest, MemcachedNodeDownAndBackIsOneLineEachForTheWholeAppNode) {
  HandlerConfig with_replica = config("web1");
  with_replica.replicas = 1;
  AppNode web1 = make_node(with_replica);
  std::unique_ptr<SessionHandler> second = process(web1, with_replica);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(new_session_on(*web1.handler, n1_, "a|i:0;"));
  for (int i = 0; i < 3; ++i) ids.push_back(new_session_on(*web1.handler, n2_, "b|i:0;"));
  (void)web1.take_log();

  // n1 dies while both processes keep serving every session, for 40 s.
  n1_.stop();
  for (int round = 0; round < 20; ++round) {
    for (SessionHandler* handler : {web1.handler.get(), second.get()}) {
      for (std::string& id : ids) {
        const Started started = session_start(*handler, id);
        ASSERT_TRUE(started.ok) << started.error;
        ASSERT_TRUE(session_write_close(*handler, started, started.data + "x").ok());
        id = started.id;  // a relocated session has a new ID
      }
    }
    clock_.advance_ms(1000);
  }
  std::vector<std::string> log = web1.take_log();
  EXPECT_EQ(lines_with(log, "memcached node n1", " down:"), 1U) << ::testing::PrintToString(log);
  EXPECT_EQ(log.size(), 1U) << "every other failure was n1's: " << ::testing::PrintToString(log);

  // n1 is back (a new process, empty): the next request that reaches it says so,
  // once, and that it restarted, once.
  n1_.start();
  clock_.advance_ms(1000);
  for (int round = 0; round < 3; ++round) {
    for (SessionHandler* handler : {web1.handler.get(), second.get()}) {
      for (std::string& id : ids) {
        const Started started = session_start(*handler, id);
        ASSERT_TRUE(started.ok) << started.error;
        ASSERT_TRUE(session_write_close(*handler, started, started.data + "y").ok());
        id = started.id;
      }
    }
    clock_.advance_ms(1000);
  }
  log = web1.take_log();
  EXPECT_EQ(lines_with(log, "memcached node n1", " back after "), 1U)
      << ::testing::PrintToString(log);
  EXPECT_EQ(lines_with(log, "memcached node n1", " restarted "), 1U)
      << ::testing::PrintToString(log);
  EXPECT_EQ(log.size(), 2U) << ::testing::PrintToString(log);
  second.reset();
}

// Two processes meet a memcached node as it dies: one's call was already under way
// and gets its answer, the other's call finds the node gone and marks it down. The
// late answer is older news than the failure: it must not log the node back (and
// the next failure down again), or the node's log says down, back, down.
TEST_F(OperatorLogTest, AnAnswerToACallMadeBeforeTheNodeWentDownDoesNotLogItBack) {
  AppNode web1 = make_node(config("web1"));
  std::unique_ptr<SessionHandler> second = process(web1, config("web1"));
  const std::string first_id = new_session_on(*web1.handler, n1_, "a|i:0;");
  const std::string second_id = new_session_on(*second, n1_, "b|i:0;");
  (void)web1.take_log();

  bool armed = true;
  faults1_.before = [&](StoreOp, std::string_view) {
    if (!armed) return;
    armed = false;
    // While the first process's write is on its way, the second's finds n1 gone.
    faults1_.fail(StoreOp::kCas, "", Failure::of(Cause::kDown, "connection refused"), 1);
    faults1_.fail(StoreOp::kSet, "", Failure::of(Cause::kDown, "connection refused"), 1);
    change(*second, second_id, "b|i:1;");
    faults1_.clear();
  };
  change(*web1.handler, first_id, "a|i:1;");
  faults1_.before = nullptr;
  std::vector<std::string> log = web1.take_log();
  EXPECT_EQ(lines_with(log, "memcached node n1", " down:"), 1U) << ::testing::PrintToString(log);
  EXPECT_EQ(lines_with(log, "memcached node n1", " back after "), 0U)
      << "an answer sent before the failure said the node was back: "
      << ::testing::PrintToString(log);

  // A call made after the node was marked down (its retry interval over) that is
  // answered does say it is back, once.
  clock_.advance_ms(3000);
  change(*web1.handler, first_id, "a|i:2;");
  log = web1.take_log();
  EXPECT_EQ(lines_with(log, "memcached node n1", " back after "), 1U)
      << ::testing::PrintToString(log);
  second.reset();
}

TEST_F(OperatorLogTest, EachAppNodeLogsItsOwnView) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string on_n1 = new_session_on(*web1.handler, n1_, "a|i:0;");
  const std::string other = new_session_on(*web2.handler, n1_, "b|i:0;");
  n1_.stop();
  change(*web1.handler, on_n1, "a|i:1;");
  change(*web2.handler, other, "b|i:1;");
  EXPECT_EQ(lines_with(web1.take_log(), "memcached node n1", " down:"), 1U);
  EXPECT_EQ(lines_with(web2.take_log(), "memcached node n1", " down:"), 1U);
}

TEST_F(OperatorLogTest, ReplicaFailureOfItsOwnIsLoggedOncePerIntervalWithACount) {
  HandlerConfig with_replica = config("web1");
  with_replica.replicas = 1;
  AppNode web1 = make_node(with_replica);
  const std::string id = new_session_on(*web1.handler, n1_, "v|i:0;");
  (void)web1.take_log();
  // n2 (the replica) is out of memory for them (-M); n1 takes them. (A replica
  // whose item size limit is smaller makes the whole write refused instead.)
  n2_.set_memory_limit(100);
  const std::string large(200, 'x');
  for (int i = 0; i < 5; ++i) {
    change(*web1.handler, id, "v|s:200:\"" + large + std::to_string(i) + "\";");
    EXPECT_TRUE(has_warning(web1.handler->take_handled(), "a replica write failed"));
    clock_.advance_ms(1000);
  }
  std::vector<std::string> log = web1.take_log();
  EXPECT_EQ(lines_with(log, "a replica write failed"), 1U) << ::testing::PrintToString(log);
  EXPECT_EQ(web1.segment->counters().replica_write_failures.load(), 5U);

  // After the interval, the next one is logged with how many went unlogged.
  clock_.advance_ms(HandlerContext::kHandledLogInterval * 1000);
  change(*web1.handler, id, "v|s:200:\"" + large + "z\";");
  log = web1.take_log();
  ASSERT_EQ(log.size(), 1U) << ::testing::PrintToString(log);
  EXPECT_NE(log[0].find("(and 4 more like it since the last such line)"), std::string::npos)
      << log[0];
}

TEST_F(OperatorLogTest, OnlyFailedSessionFunctionsCountAsErrors) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session_on(*web1.handler, n1_, "v|i:0;");
  n1_.stop();
  n2_.stop();
  // Kept on this node (the request succeeds): not an error.
  change(*web1.handler, id, "v|i:1;");
  EXPECT_EQ(web1.segment->counters().errors.load(), 0U);
  EXPECT_EQ(web1.segment->counters().writes_kept.load(), 1U);
  // A new node's process cannot read a session no node answers for: one error.
  AppNode web2 = make_node(config("web2"));
  const Started started = session_start(*web2.handler, id);
  EXPECT_FALSE(started.ok);
  EXPECT_EQ(web2.segment->counters().errors.load(), 1U);
}

}  // namespace
}  // namespace clustered::testing
