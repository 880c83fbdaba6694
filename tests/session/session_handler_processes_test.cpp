// SPDX-License-Identifier: BSD-3-Clause
// The handler tests that need what the models cannot give: real processes
// sharing one app node's segment (forked children, robust mutexes, a child killed
// mid-request), and the production handler (make_memcached_handler: MemcachedNode
// against a real memcached). Nothing here sleeps more than a few milliseconds at a
// time: waits poll with a deadline. Every other handler test runs on models
// (session_handler_test.cpp, handler_failures_test.cpp).
#include "session/session_handler.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "session/handler_rig.h"
#include "shm/shm_test_util.h"
#include "support/memcached_server.h"

namespace clustered::testing {
namespace {

using namespace std::chrono_literals;

std::int64_t steady_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Polls `done` every millisecond for at most `deadline`; true when it came true.
bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds deadline = 5s) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// The state letter of /proc/<pid>/stat ('S' while asleep, e.g. on a futex).
char process_state(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto end_of_name = line.rfind(')');
  return end_of_name == std::string::npos || end_of_name + 2 >= line.size() ? '?'
                                                                            : line[end_of_name + 2];
}

class SessionHandlerProcessesTest : public ::testing::Test {
 protected:
  HandlerConfig config(const std::string& route) {
    HandlerConfig config;
    config.route = route;
    config.strict_mode = true;
    config.lock_timeout = 2s;
    config.retry_interval_ms = 500;
    config.takeover_check_interval_s = 0;
    return config;
  }
  std::vector<NodeAddress> nodes() { return {n1_.address("n1"), n2_.address("n2")}; }

  struct RealNode {
    SharedSegment* segment = nullptr;
    std::unique_ptr<SessionHandler> handler;
    ~RealNode() {
      handler.reset();
      SharedSegment::release(segment, false);
    }
  };
  std::unique_ptr<RealNode> make_node(const HandlerConfig& config) {
    auto node = std::make_unique<RealNode>();
    auto segment = SharedSegment::create_or_reattach(4 << 20);
    EXPECT_TRUE(segment.ok()) << segment.error();
    node->segment = *segment;
    node->handler = make_memcached_handler(config, nodes(), node->segment);
    return node;
  }

  MemcachedServer& server_of(const std::string& id) {
    const auto parsed = parse_session_id(id);
    return parsed && parsed->store == "n2" ? n2_ : n1_;
  }
  MemcachedServer& other_server_of(const std::string& id) {
    return &server_of(id) == &n1_ ? n2_ : n1_;
  }
  std::string stored_payload(const std::string& id) {
    const auto raw = server_of(id).get("sess." + id);
    if (!raw) return "<no copy in memcached>";
    auto decoded = decode_value(*raw);
    return decoded ? decoded->payload : "<undecodable: " + decoded.error() + ">";
  }
  std::string new_session(SessionHandler& handler, const std::string& data) {
    const Started started = session_start(handler, "");
    EXPECT_TRUE(started.ok) << started.error;
    EXPECT_TRUE(session_write_close(handler, started, data).ok());
    return started.id;
  }

  MemcachedServer n1_;
  MemcachedServer n2_;
};

// The production handler end to end: one set to create, none to serve an owned
// session, the TTL as memcached itself reports it.
TEST_F(SessionHandlerProcessesTest, MemcachedHandlerWritesOnceAndServesOwnedReadsWithoutAGet) {
  auto web1 = make_node(config("web1"));
  const std::uint64_t sets_before = n1_.stat("cmd_set") + n2_.stat("cmd_set");
  const std::string id = new_session(*web1->handler, "count|i:1;");
  EXPECT_EQ(n1_.stat("cmd_set") + n2_.stat("cmd_set") - sets_before, 1u);
  EXPECT_EQ(stored_payload(id), "count|i:1;");
  EXPECT_EQ(other_server_of(id).get("sess." + id), std::nullopt);
  const auto ttl = server_of(id).ttl_left("sess." + id);
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, 1440 + 60 - 10);
  EXPECT_LE(*ttl, 1440 + 60);

  const std::uint64_t gets_before = server_of(id).stat("cmd_get");
  const Started next = session_start(*web1->handler, id);
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.id, id);
  EXPECT_EQ(next.data, "count|i:1;");
  ASSERT_TRUE(session_write_close(*web1->handler, next, "count|i:2;").ok());
  EXPECT_EQ(server_of(id).stat("cmd_get"), gets_before);
  EXPECT_EQ(stored_payload(id), "count|i:2;");
}

// memcached unlinks an item whose SET it refuses as too large; MemcachedNode
// learns the node's -I and never sends such a SET, so the stored session stays.
TEST_F(SessionHandlerProcessesTest, OversizeSessionOnRealMemcachedLeavesTheStoredOne) {
  auto web1 = make_node(config("web1"));
  const std::string id = new_session(*web1->handler, "small|i:1;");
  const Started started = session_start(*web1->handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  Status saved = session_write_close(*web1->handler, started, std::string(2 << 20, 'x'));
  EXPECT_FALSE(saved.ok()) << "a 2 MB session on a 1 MB memcached must be reported";
  EXPECT_EQ(stored_payload(id), "small|i:1;");
  const Started next = session_start(*web1->handler, id);
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.data, "small|i:1;");
  (void)web1->handler->close();
}

// A killed memcached refuses connections: the read fails, naming the node.
TEST_F(SessionHandlerProcessesTest, ReadFromAKilledMemcachedFailsNamingTheNode) {
  auto web1 = make_node(config("web1"));
  const std::string id = new_session(*web1->handler, "precious|b:1;");
  server_of(id).stop();
  auto web2 = make_node(config("web2"));
  const Started strict = session_start(*web2->handler, id);
  EXPECT_FALSE(strict.ok) << "read returned '" << strict.data << "' for an unreadable session";
  EXPECT_NE(strict.error.find(server_of(id).endpoint()), std::string::npos) << strict.error;
}

// Two requests of one session in two children of one app node: the second sleeps
// on the robust mutex in the shared segment until the first closes, wakes at
// once, and sees what the first wrote.
TEST_F(SessionHandlerProcessesTest, ParallelRequestInAnotherProcessWaitsForCloseAndSeesItsWrite) {
  auto web1 = make_node(config("web1"));
  const std::string id = new_session(*web1->handler, "n|i:1;");
  struct Flags {
    std::atomic<int> holding{0};
    std::atomic<int> parent_starting{0};
    std::atomic<std::int64_t> closed_at_us{0};
  };
  SharedMapping flags_memory(sizeof(Flags));
  auto* flags = new (flags_memory.get()) Flags{};

  const pid_t parent = getpid();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A child opens its own memcached connections, like an Apache child.
    auto handler = make_memcached_handler(config("web1"), nodes(), web1->segment);
    const Started started = session_start(*handler, id);
    if (!started.ok || started.data != "n|i:1;") _exit(1);
    flags->holding.store(1);
    // Hold the lock until the parent is asleep on it.
    if (!poll_until([&] { return flags->parent_starting.load() == 1; })) _exit(3);
    if (!poll_until([&] { return process_state(parent) == 'S'; })) _exit(4);
    Status saved = handler->write(id, "n|i:2;");
    flags->closed_at_us.store(steady_us());
    Status closed = handler->close();
    _exit(saved.ok() && closed.ok() ? 0 : 2);
  }
  ASSERT_TRUE(poll_until([&] { return flags->holding.load() == 1; }));
  flags->parent_starting.store(1);
  const Started started = session_start(*web1->handler, id);
  const std::int64_t woke_us = steady_us();
  ASSERT_EQ(wait_for(child), 0);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "n|i:2;") << "read did not wait for the other request's write";
  const std::int64_t latency_us = woke_us - flags->closed_at_us.load();
  EXPECT_LT(latency_us, 200000) << "woke " << latency_us << " us after the close";
  EXPECT_EQ(web1->handler->counters().lock_waits.load(), 1u);
  // The wait and the hand-over are in the node's histograms; the hand-over was
  // measured from the holder's unlock, so it is no longer than what the test saw.
  const HistogramFigures waited = web1->handler->lock_waits().wait.figures();
  const HistogramFigures woke = web1->handler->lock_waits().wake.figures();
  EXPECT_EQ(waited.count, 1u);
  EXPECT_EQ(woke.count, 1u);
  EXPECT_LE(woke.sum_us, static_cast<std::uint64_t>(latency_us));
  (void)web1->handler->close();
}

// A child killed with SIGKILL in the middle of a request (between read and
// write): its lock dies with it, so the next request is served at once with the
// last written data instead of waiting for lock_timeout.
TEST_F(SessionHandlerProcessesTest, ChildKilledMidRequestDoesNotBlockTheSessionsNextRequest) {
  auto web1 = make_node(config("web1"));
  const std::string id = new_session(*web1->handler, "n|i:1;");
  struct Flags {
    std::atomic<int> holding{0};
  };
  SharedMapping flags_memory(sizeof(Flags));
  auto* flags = new (flags_memory.get()) Flags{};

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto handler = make_memcached_handler(config("web1"), nodes(), web1->segment);
    const Started started = session_start(*handler, id);
    if (!started.ok) _exit(1);
    flags->holding.store(1);
    for (;;) pause();  // the request never ends: killed
  }
  ASSERT_TRUE(poll_until([&] { return flags->holding.load() == 1; }));
  ASSERT_EQ(kill(child, SIGKILL), 0);
  ASSERT_EQ(wait_for(child), 128 + SIGKILL);

  const std::int64_t started_us = steady_us();
  const Started next = session_start(*web1->handler, id);
  const std::int64_t took_us = steady_us() - started_us;
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.id, id);
  EXPECT_EQ(next.data, "n|i:1;");
  EXPECT_LT(took_us, 1000000) << "waited for the dead child's lock";
  EXPECT_EQ(web1->handler->counters().lock_timeouts.load(), 0u);
  ASSERT_TRUE(session_write_close(*web1->handler, next, "n|i:2;").ok());
  EXPECT_EQ(stored_payload(id), "n|i:2;");
}

}  // namespace
}  // namespace clustered::testing
