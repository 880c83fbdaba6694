#include "session/session_handler.h"
#include "session/takeover_notices.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "shm/shm_test_util.h"
#include "support/memcached_server.h"

namespace clustered {
namespace {

using clustered::testing::MemcachedServer;
using clustered::testing::SharedMapping;
using clustered::testing::wait_for;
using namespace std::chrono_literals;

// What PHP 8.2's session module does around the handler (ext/session/session.c):
// session_start() is open, then create_sid (no cookie) or, in strict mode,
// validate_sid and create_sid when it fails, then read; session_write_close() is
// write, or update_timestamp when the data did not change (lazy_write), then close.
struct Started {
  std::string id;    // the ID in use (a new cookie when it differs)
  std::string data;  // what read() returned
  bool ok = false;
  std::string error;
};

Started session_start(SessionHandler& handler, const std::string& cookie) {
  Started started;
  EXPECT_TRUE(handler.open().ok());
  std::string id = cookie;
  if (id.empty() || (handler.config().strict_mode && !handler.validate_sid(id))) {
    auto created = handler.create_sid();
    if (!created) {
      started.error = created.error();
      return started;
    }
    id = *created;
  }
  started.id = id;
  auto read = handler.read(id);
  if (!read) {
    started.error = read.error();
    (void)handler.close();  // php_session_abort()
    return started;
  }
  started.data = *read;
  started.ok = true;
  return started;
}

Status session_write_close(SessionHandler& handler, const Started& started,
                           const std::string& data) {
  Status saved = data == started.data ? handler.update_timestamp(started.id, data)
                                      : handler.write(started.id, data);
  Status closed = handler.close();
  if (!saved) return saved;
  return closed;
}

std::map<std::string, std::uint64_t> round_trips(const MemcachedServer& server) {
  std::map<std::string, std::uint64_t> counts;
  for (const char* name : {"cmd_get", "cmd_set", "cmd_touch", "delete_hits", "delete_misses"}) {
    counts[name] = server.stat(name);
  }
  return counts;
}

std::uint64_t used(const std::map<std::string, std::uint64_t>& before,
                   const MemcachedServer& server, const std::string& name) {
  return server.stat(name) - before.at(name);
}

// A takeover check reads two notice lists from every live node: gets of the app
// node, not of the request (at most one check per takeover_check_interval).
std::uint64_t check_gets_per_node(SessionHandler& handler, std::uint64_t checks_before) {
  return 2 * (handler.counters().takeover_checks.load() - checks_before);
}

// One app node: its shared segment (as made in MINIT) and a handler on it.
struct AppNode {
  SharedSegment* segment = nullptr;
  std::unique_ptr<SessionHandler> handler;
  AppNode() = default;
  AppNode(AppNode&&) = default;
  ~AppNode() {
    handler.reset();
    SharedSegment::release(segment, false);
  }
};

class SessionHandlerTest : public ::testing::Test {
 protected:
  HandlerConfig config(const std::string& route) {
    HandlerConfig config;
    config.route = route;
    config.strict_mode = true;
    config.lock_timeout = 2s;
    config.retry_interval_ms = 500;
    // No takeover checks, so a request's counts stay exact whatever the test's
    // duration. Tests of the checks themselves set an interval.
    config.takeover_check_interval_s = 0;
    return config;
  }

  std::vector<NodeAddress> nodes() { return {n1_.address("n1"), n2_.address("n2")}; }

  AppNode make_node(const HandlerConfig& config, std::size_t cache_size = 4 << 20) {
    AppNode node;
    auto segment = SharedSegment::create_or_reattach(cache_size);
    EXPECT_TRUE(segment.ok()) << segment.error();
    node.segment = *segment;
    node.handler = make_memcached_handler(config, nodes(), node.segment);
    return node;
  }

  MemcachedServer& server_of(const std::string& id) {
    const auto parsed = parse_session_id(id);
    EXPECT_TRUE(parsed.has_value()) << id;
    return parsed && parsed->store == "n2" ? n2_ : n1_;
  }
  MemcachedServer& other_server_of(const std::string& id) {
    return &server_of(id) == &n1_ ? n2_ : n1_;
  }

  // The session stored in memcached under `id`, decoded.
  std::optional<StoredValue> stored(const std::string& id) {
    const auto raw = server_of(id).get("sess." + id);
    if (!raw) return std::nullopt;
    auto decoded = decode_value(*raw);
    EXPECT_TRUE(decoded.ok()) << decoded.error();
    if (!decoded) return std::nullopt;
    return *decoded;
  }

  std::string stored_payload(const std::string& id) {
    const auto copy = stored(id);
    return copy ? copy->payload : "<no copy in memcached>";
  }
  std::uint64_t stored_version(const std::string& id) {
    const auto copy = stored(id);
    return copy ? copy->version : 0;
  }

  // A first request that creates a session holding `data`; returns its ID.
  // A node that reads its takeover notices every second (the default in php.ini).
  HandlerConfig checking_config(const std::string& route) {
    HandlerConfig checking = config(route);
    checking.takeover_check_interval_s = 1;
    return checking;
  }

  // A new session, then one request that the node serves from its cache.
  std::string served_session(SessionHandler& handler, const std::string& data) {
    const std::string id = new_session(handler, data);
    const Started served = session_start(handler, id);
    EXPECT_TRUE(served.ok) << served.error;
    EXPECT_TRUE(session_write_close(handler, served, served.data).ok());
    return id;
  }

  std::string new_session(SessionHandler& handler, const std::string& data) {
    const Started started = session_start(handler, "");
    EXPECT_TRUE(started.ok) << started.error;
    EXPECT_EQ(started.data, "");
    EXPECT_TRUE(session_write_close(handler, started, data).ok());
    return started.id;
  }

  MemcachedServer n1_;
  MemcachedServer n2_;
};

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
  const auto before1 = round_trips(n1_);
  const auto before2 = round_trips(n2_);
  const std::string id = new_session(*web1.handler, "count|i:1;");
  // 0 round trips to create, 1 set at the end (DESIGN.md §1).
  EXPECT_EQ(used(before1, n1_, "cmd_set") + used(before2, n2_, "cmd_set"), 1u);
  EXPECT_EQ(used(before1, n1_, "cmd_get") + used(before2, n2_, "cmd_get"), 0u);

  const auto copy = stored(id);
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(copy->payload, "count|i:1;");
  EXPECT_GT(copy->version, 0u);
  EXPECT_FALSE(copy->forward);
  EXPECT_EQ(other_server_of(id).get("sess." + id), std::nullopt);
  // The remote TTL is gc_maxlifetime + touch_interval.
  const auto ttl = server_of(id).ttl_left("sess." + id);
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, 1440 + 60 - 10);
  EXPECT_LE(*ttl, 1440 + 60);
}

TEST_F(SessionHandlerTest, OwnedSessionIsReadLocally) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "count|i:1;");
  const auto before = round_trips(server_of(id));
  const std::uint64_t checks = web1.handler->counters().takeover_checks.load();
  const Started next = session_start(*web1.handler, id);
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.id, id);  // no new cookie
  EXPECT_EQ(next.data, "count|i:1;");
  ASSERT_TRUE(session_write_close(*web1.handler, next, "count|i:2;").ok());
  EXPECT_EQ(used(before, server_of(id), "cmd_get") - check_gets_per_node(*web1.handler, checks),
            0u);
  EXPECT_EQ(used(before, server_of(id), "cmd_set"), 1u);
  EXPECT_EQ(stored_payload(id), "count|i:2;");
  EXPECT_GE(web1.handler->counters().local_hits.load(), 1u);
}

TEST_F(SessionHandlerTest, OwnedHitUnchangedCostsNoGetAndAtMostOneTouch) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "user|s:5:\"alice\";");
  const auto before1 = round_trips(n1_);
  const auto before2 = round_trips(n2_);
  const std::uint64_t checks = web1.handler->counters().takeover_checks.load();
  for (int i = 0; i < 1000; ++i) {
    const Started started = session_start(*web1.handler, id);
    ASSERT_TRUE(started.ok) << started.error;
    ASSERT_EQ(started.id, id);
    ASSERT_EQ(started.data, "user|s:5:\"alice\";");
    ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  }
  EXPECT_EQ(used(before1, n1_, "cmd_get") + used(before2, n2_, "cmd_get") -
                2 * check_gets_per_node(*web1.handler, checks),
            0u);
  EXPECT_LE(used(before1, n1_, "cmd_touch") + used(before2, n2_, "cmd_touch"), 1u);
  EXPECT_EQ(used(before1, n1_, "cmd_set") + used(before2, n2_, "cmd_set"), 0u);
  EXPECT_GE(web1.handler->counters().touches_skipped.load(), 999u);
}

TEST_F(SessionHandlerTest, SkippedTouchesStillKeepTheSessionGcMaxlifetimeAfterItsLastRequest) {
  // Unchanged requests within touch_interval touch neither memcached nor the local
  // entry; the expiry set at the last write must still reach past
  // last request + gc_maxlifetime, or an active user's session would expire.
  HandlerConfig short_life = config("web1");
  short_life.gc_maxlifetime_s = 2;
  short_life.touch_interval_s = 3;  // > the 1.2 s below even when whole seconds round up
  AppNode web1 = make_node(short_life);
  const std::string id = new_session(*web1.handler, "n|i:1;");
  std::this_thread::sleep_for(1200ms);
  const Started unchanged = session_start(*web1.handler, id);
  ASSERT_TRUE(unchanged.ok) << unchanged.error;
  ASSERT_TRUE(session_write_close(*web1.handler, unchanged, unchanged.data).ok());
  EXPECT_GE(web1.handler->counters().touches_skipped.load(), 1u);
  const auto before = round_trips(server_of(id));
  const std::uint64_t checks = web1.handler->counters().takeover_checks.load();
  std::this_thread::sleep_for(1500ms);  // 1.5 s after the last request, 2.7 s after the write
  const Started later = session_start(*web1.handler, id);
  ASSERT_TRUE(later.ok) << later.error;
  EXPECT_EQ(later.id, id);
  EXPECT_EQ(later.data, "n|i:1;");
  EXPECT_EQ(used(before, server_of(id), "cmd_get") - check_gets_per_node(*web1.handler, checks), 0u)
      << "the local copy had expired";
  (void)web1.handler->close();
}

TEST_F(SessionHandlerTest, OwnedHitChangedCostsExactlyOneSetEach) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "n|i:0;");
  const auto before1 = round_trips(n1_);
  const auto before2 = round_trips(n2_);
  const std::uint64_t checks = web1.handler->counters().takeover_checks.load();
  std::string expected = "n|i:0;";
  for (int i = 1; i <= 1000; ++i) {
    const Started started = session_start(*web1.handler, id);
    ASSERT_TRUE(started.ok) << started.error;
    ASSERT_EQ(started.data, expected);
    expected = "n|i:" + std::to_string(i) + ";";
    ASSERT_TRUE(session_write_close(*web1.handler, started, expected).ok());
  }
  EXPECT_EQ(used(before1, n1_, "cmd_set") + used(before2, n2_, "cmd_set"), 1000u);
  EXPECT_EQ(used(before1, n1_, "cmd_get") + used(before2, n2_, "cmd_get") -
                2 * check_gets_per_node(*web1.handler, checks),
            0u);
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
  // The old key no longer holds the session: gone, or a forward to the new ID.
  const auto old_copy = stored(old_id);
  if (old_copy) {
    EXPECT_TRUE(old_copy->forward) << "old key still holds session data";
    EXPECT_EQ(old_copy->payload, new_id);
  }
  EXPECT_EQ(handler.counters().migrations.load(), 1u);
  EXPECT_EQ(web1.handler->counters().migrations.load(), 0u);

  // From now on web2 owns it: served locally, no round trip.
  const auto before = round_trips(server_of(new_id));
  const Started next = session_start(handler, new_id);
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.id, new_id);
  EXPECT_EQ(next.data, "user|s:5:\"alice\";seen|b:1;");
  ASSERT_TRUE(session_write_close(handler, next, next.data).ok());
  EXPECT_EQ(used(before, server_of(new_id), "cmd_get"), 0u);
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

  std::this_thread::sleep_for(1100ms);  // past web1's next check (whole seconds)
  const Started late = session_start(*web1.handler, id1);
  ASSERT_TRUE(late.ok) << late.error;
  EXPECT_EQ(late.data, "v|i:2;") << "web1 served its stale copy of a session web2 changed";
  // It followed the forward to web2's ID and, being on web1, took it back over.
  EXPECT_NE(late.id, id1);
  EXPECT_EQ(parse_session_id(late.id)->route, "web1");
  EXPECT_EQ(web1.handler->counters().takeover_notices.load(), 1u);
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

  std::this_thread::sleep_for(1100ms);
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
  ASSERT_TRUE(web1.segment->cache()->get("sess." + id1, std::time(nullptr)).has_value());

  // The next request on web1 is the blog's, another app with another prefix.
  HandlerConfig blog = shop;
  blog.prefix = "blog.";
  auto blog_handler_owner = make_memcached_handler(blog, nodes(), web1.segment);
    SessionHandler& blog_handler = *blog_handler_owner;
  std::this_thread::sleep_for(1100ms);
  const std::string blog_id = new_session(blog_handler, "post|i:7;");
  const Started blog_request = session_start(blog_handler, blog_id);
  ASSERT_TRUE(blog_request.ok) << blog_request.error;
  (void)blog_handler.close();
  EXPECT_GE(web1.handler->counters().takeover_checks.load(), 1u);
  EXPECT_FALSE(web1.segment->cache()->get("sess." + id1, std::time(nullptr)).has_value())
      << "the shop's taken-over session is still in web1's cache";
}

// One check per interval for the whole node, two notice lists per memcached node.
TEST_F(SessionHandlerTest, TakeoverCheckReadsTwoListsFromEachNodeOncePerInterval) {
  HandlerConfig checking = config("web1");
  checking.takeover_check_interval_s = kMaxCheckIntervalSeconds;  // one check in this test
  AppNode web1 = make_node(checking);
  const std::string id = new_session(*web1.handler, "n|i:1;");
  // The last check was one interval ago (a new segment counts as checked when made).
  web1.segment->takeover_watch().checked_at = std::time(nullptr) - kMaxCheckIntervalSeconds;
  const auto before1 = round_trips(n1_);
  const auto before2 = round_trips(n2_);
  for (int i = 0; i < 100; ++i) {
    const Started started = session_start(*web1.handler, id);
    ASSERT_TRUE(started.ok) << started.error;
    ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  }
  EXPECT_EQ(web1.handler->counters().takeover_checks.load(), 1u);
  EXPECT_EQ(used(before1, n1_, "cmd_get"), 2u);
  EXPECT_EQ(used(before2, n2_, "cmd_get"), 2u);
  // A second handler on the same segment (another Apache child) does not check again.
  auto sibling = make_memcached_handler(checking, nodes(), web1.segment);
  const Started on_sibling = session_start(*sibling, id);
  ASSERT_TRUE(on_sibling.ok) << on_sibling.error;
  (void)sibling->close();
  EXPECT_EQ(web1.handler->counters().takeover_checks.load(), 1u);
  EXPECT_EQ(used(before1, n1_, "cmd_get") + used(before2, n2_, "cmd_get"), 4u);
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
  const std::int64_t now = std::time(nullptr);
  watch.checked_at = now - kNoticeGapSeconds - 1;
  watch.next_check_at = now + 3600;  // and no check is due: another child has claimed it
  const std::uint64_t hits = web1.handler->counters().local_hits.load();
  auto before = round_trips(server_of(id));
  started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.id, id);
  EXPECT_EQ(started.data, "n|i:1;");
  ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  EXPECT_EQ(web1.handler->counters().local_hits.load(), hits) << "served from an unchecked cache";
  EXPECT_EQ(used(before, server_of(id), "cmd_get"), 1u);

  watch.next_check_at = 0;  // the check is due now
  started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  EXPECT_GE(web1.handler->counters().takeover_notices.load(), 1u) << "synced entries kept";
  EXPECT_GE(watch.checked_at.load(), now);

  // Read once more from memcached, then local again.
  before = round_trips(server_of(id));
  const std::uint64_t checks = web1.handler->counters().takeover_checks.load();
  for (int i = 0; i < 3; ++i) {
    started = session_start(*web1.handler, id);
    ASSERT_TRUE(started.ok) << started.error;
    ASSERT_EQ(started.data, "n|i:1;");
    ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  }
  EXPECT_EQ(web1.handler->counters().takeover_checks.load(), checks);
  EXPECT_EQ(used(before, server_of(id), "cmd_get"), 0u);
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

  // Another node, strict mode: validate_sid() cannot tell, read() must fail.
  AppNode web2 = make_node(config("web2"));
  const Started strict = session_start(*web2.handler, id);
  EXPECT_FALSE(strict.ok) << "read returned '" << strict.data << "' for an unreadable session";
  EXPECT_NE(strict.error.find(server_of(id).endpoint()), std::string::npos) << strict.error;

  // Without strict mode (the ID is used as given) the same.
  HandlerConfig lax = config("web3");
  lax.strict_mode = false;
  AppNode web3 = make_node(lax);
  ASSERT_TRUE(web3.handler->open().ok());
  auto read = web3.handler->read(id);
  EXPECT_FALSE(read.ok()) << "read returned '" << (read.ok() ? *read : "") << "'";
  if (!read.ok()) {
    EXPECT_NE(read.error().find(server_of(id).endpoint()), std::string::npos) << read.error();
  }
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
  MemcachedServer& dead = server_of(id);
  MemcachedServer& alive = other_server_of(id);
  dead.stop();

  // This request still finds it locally; its write cannot reach the store node.
  Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "v|i:1;");
  EXPECT_TRUE(session_write_close(*web1.handler, started, "v|i:2;").ok())
      << "a failed write-through keeps the session locally";
  EXPECT_FALSE(web1.handler->take_warnings().empty()) << "a failed write must be reported";

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
}

// Both the owner and the store node died: with replicas = 1 another node still
// finds the session on the next node in ring order, and takes it over.
TEST_F(SessionHandlerTest, ReplicaServesWhenOwnerAndStoreAreGone) {
  HandlerConfig with_replica = config("web1");
  with_replica.replicas = 1;
  AppNode web1 = make_node(with_replica);
  const std::string id = new_session(*web1.handler, "kept|b:1;");
  ASSERT_TRUE(other_server_of(id).get("sess." + id).has_value()) << "no replica written";
  MemcachedServer& alive = other_server_of(id);
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
  EXPECT_EQ(server_of(old_id).get("sess." + old_id), std::nullopt);
  const Started next = session_start(handler, *created);
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.id, *created);
  EXPECT_EQ(next.data, data);
  (void)handler.close();
}

TEST_F(SessionHandlerTest, DestroyRemovesTheSessionEverywhere) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "x|i:1;");
  const Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok);
  ASSERT_TRUE(web1.handler->destroy(id).ok());
  ASSERT_TRUE(web1.handler->close().ok());
  EXPECT_EQ(server_of(id).get("sess." + id), std::nullopt);
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
  const auto before1 = round_trips(n1_);
  const auto before2 = round_trips(n2_);
  for (const std::string id :
       {std::string("abc\r\nflush_all"), std::string("a b"), std::string("x\0y", 3),
        std::string("\xc3\xa9t\xc3\xa9-n1.web1"), std::string(400, 'a'), std::string("")}) {
    EXPECT_FALSE(web1.handler->validate_sid(id));
    auto read = web1.handler->read(id);
    EXPECT_FALSE(read.ok());
    (void)web1.handler->close();
  }
  EXPECT_EQ(used(before1, n1_, "cmd_get") + used(before2, n2_, "cmd_get"), 0u);
  EXPECT_EQ(n1_.stat("curr_items") + n2_.stat("curr_items"), 0u);
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
}

// Without strict mode the handler cannot rewrite IDs, so it never trusts its
// local copy: every request reads memcached (correct, slower).
TEST_F(SessionHandlerTest, WithoutStrictModeEveryReadFetches) {
  HandlerConfig lax = config("web1");
  lax.strict_mode = false;
  AppNode web1 = make_node(lax);
  const std::string id = new_session(*web1.handler, "v|i:1;");
  const auto before = round_trips(server_of(id));
  for (int i = 0; i < 10; ++i) {
    const Started started = session_start(*web1.handler, id);
    ASSERT_TRUE(started.ok) << started.error;
    EXPECT_EQ(started.data, "v|i:1;");
    ASSERT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  }
  EXPECT_EQ(used(before, server_of(id), "cmd_get"), 10u);
}

TEST_F(SessionHandlerTest, OversizeSessionIsRefusedAndTheStoredOneStays) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "small|i:1;");
  const Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  Status saved = session_write_close(*web1.handler, started, std::string(2 << 20, 'x'));
  EXPECT_FALSE(saved.ok()) << "a 2 MB session on a 1 MB memcached must be reported";
  EXPECT_EQ(stored_payload(id), "small|i:1;");
  const Started next = session_start(*web1.handler, id);
  ASSERT_TRUE(next.ok) << next.error;
  EXPECT_EQ(next.data, "small|i:1;");
  (void)web1.handler->close();
}

TEST_F(SessionHandlerTest, LockTimesOutWhileAnotherRequestHoldsTheSession) {
  HandlerConfig short_wait = config("web1");
  short_wait.lock_timeout = 300ms;
  AppNode web1 = make_node(short_wait);
  // A second "child" of the same app node: same segment, its own handler.
  auto other_owner = make_memcached_handler(short_wait, nodes(), web1.segment);
    SessionHandler& other = *other_owner;
  const std::string id = new_session(*web1.handler, "v|i:1;");

  const Started holder = session_start(*web1.handler, id);
  ASSERT_TRUE(holder.ok) << holder.error;
  const Started waiter = session_start(other, id);
  EXPECT_FALSE(waiter.ok);
  EXPECT_NE(waiter.error.find("lock"), std::string::npos) << waiter.error;
  EXPECT_EQ(other.counters().lock_timeouts.load(), 1u);
  ASSERT_TRUE(session_write_close(*web1.handler, holder, "v|i:2;").ok());

  const Started after = session_start(other, id);
  ASSERT_TRUE(after.ok) << after.error;
  EXPECT_EQ(after.data, "v|i:2;");
  (void)other.close();
}

std::int64_t now_us() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

// Two requests of one session in two children of one app node: the second waits
// for the first to close, wakes at once, and sees what the first wrote.
TEST_F(SessionHandlerTest, ParallelRequestWaitsForCloseAndSeesItsWrite) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "n|i:1;");
  struct Flags {
    std::atomic<int> holding{0};
    std::atomic<std::int64_t> closed_at_us{0};
  };
  SharedMapping flags_memory(sizeof(Flags));
  auto* flags = new (flags_memory.get()) Flags{};

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A child opens its own memcached connections, like an Apache child.
    auto handler_owner = make_memcached_handler(config("web1"), nodes(), web1.segment);
    SessionHandler& handler = *handler_owner;
    const Started started = session_start(handler, id);
    if (!started.ok || started.data != "n|i:1;") _exit(1);
    flags->holding.store(1);
    std::this_thread::sleep_for(300ms);
    Status saved = handler.write(id, "n|i:2;");
    flags->closed_at_us.store(now_us());
    Status closed = handler.close();
    _exit(saved.ok() && closed.ok() ? 0 : 2);
  }
  while (flags->holding.load() == 0) std::this_thread::sleep_for(1ms);
  const Started started = session_start(*web1.handler, id);
  const std::int64_t woke_us = now_us();
  ASSERT_EQ(wait_for(child), 0);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "n|i:2;") << "read did not wait for the other request's write";
  const std::int64_t latency_us = woke_us - flags->closed_at_us.load();
  EXPECT_LT(latency_us, 200000) << "woke " << latency_us << " us after the close";
  EXPECT_GE(web1.handler->counters().lock_waits.load(), 1u);
  (void)web1.handler->close();
}

TEST_F(SessionHandlerTest, GcSweepsTheLocalCache) {
  HandlerConfig short_life = config("web1");
  short_life.gc_maxlifetime_s = 1;
  short_life.touch_interval_s = 0;  // local lifetime = gc_maxlifetime + touch_interval
  AppNode web1 = make_node(short_life);
  new_session(*web1.handler, "v|i:1;");
  EXPECT_EQ(web1.segment->cache()->stats().entries, 1u);
  std::this_thread::sleep_for(2100ms);
  EXPECT_EQ(web1.handler->gc(), 1u);
  EXPECT_EQ(web1.segment->cache()->stats().entries, 0u);
}

}  // namespace
}  // namespace clustered
