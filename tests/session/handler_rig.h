// SPDX-License-Identifier: BSD-3-Clause
// The handler tests' world, all in memory and on one ManualClock: two memcached
// models (n1, n2), app nodes each with their own shared segment (counters, node
// health, takeover watch, cache) and lock board, and on each app node one or more
// handlers (its "processes"). Nothing sleeps: time moves when a test moves the
// clock, a lock wait moves it by the wait, a frozen model by io_timeout.
//
// Every store call of every handler goes through two StoreFaults: one per
// memcached node shared by all app nodes (the server misbehaves for everyone),
// and one per app node and memcached node (only this app node's link).
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codec/value_codec.h"
#include "node/shared_segment.h"
#include "session/session_handler.h"
#include "support/board_locks.h"
#include "support/manual_clock.h"
#include "support/memcached_model.h"
#include "support/seeded_entropy.h"
#include "support/store_faults.h"

namespace clustered::testing {

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

inline Started session_start(SessionHandler& handler, const std::string& cookie) {
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

// Whether one of the lines (an app node's log, AppNode::take_log()) contains `text`.
inline bool has_warning(const std::vector<std::string>& warnings, const std::string& text) {
  for (const std::string& warning : warnings) {
    if (warning.find(text) != std::string::npos) return true;
  }
  return false;
}

inline Status session_write_close(SessionHandler& handler, const Started& started,
                                  const std::string& data) {
  Status saved = data == started.data ? handler.update_timestamp(started.id, data)
                                      : handler.write(started.id, data);
  Status closed = handler.close();
  if (!saved) return saved;
  return closed;
}

// One app node: its shared segment (as made in MINIT), its lock board, and its
// first process's handler. More processes: ModelHandlerTest::process().
struct AppNode {
  SharedSegment* segment = nullptr;
  std::unique_ptr<LockBoard> board = std::make_unique<LockBoard>();
  std::unique_ptr<std::array<StoreFaults, 2>> links =
      std::make_unique<std::array<StoreFaults, 2>>();
  std::vector<std::unique_ptr<BoardLocks>> process_locks;
  // What the node's processes logged for the operator (its error log).
  std::unique_ptr<RecordingLog> log = std::make_unique<RecordingLog>();
  std::unique_ptr<SessionHandler> handler;

  AppNode() = default;
  AppNode(AppNode&& other) noexcept
      : segment(std::exchange(other.segment, nullptr)),
        board(std::move(other.board)),
        links(std::move(other.links)),
        process_locks(std::move(other.process_locks)),
        log(std::move(other.log)),
        handler(std::move(other.handler)) {}
  AppNode& operator=(AppNode&&) = delete;
  ~AppNode() {
    handler.reset();
    process_locks.clear();
    SharedSegment::release(segment, false);
  }

  SessionCache& cache() { return *segment->cache(); }
  // The lines logged since the last call.
  std::vector<std::string> take_log() {
    std::vector<std::string> taken;
    taken.swap(log->lines);
    return taken;
  }
  // The link from this app node to memcached n1 (0) or n2 (1).
  StoreFaults& link(std::size_t node) { return (*links)[node]; }
};

class ModelHandlerTest : public ::testing::Test {
 protected:
  static constexpr std::int64_t kIoTimeoutMs = 250;

  ModelHandlerTest() {
    n1_.on_timeout = [this] { clock_.advance_ms(kIoTimeoutMs); };
    n2_.on_timeout = [this] { clock_.advance_ms(kIoTimeoutMs); };
  }

  static NodeAddress model_address(const std::string& id, std::uint16_t port) {
    NodeAddress address;
    address.id = id;
    address.host = "model";
    address.port = port;
    return address;
  }

  HandlerConfig config(const std::string& route) {
    HandlerConfig config;
    config.route = route;
    config.strict_mode = true;
    config.lock_timeout = std::chrono::milliseconds(2000);
    config.io_timeout = std::chrono::milliseconds(kIoTimeoutMs);
    config.retry_interval_ms = 500;
    // No takeover checks, so a request's counts stay exact. Tests of the checks
    // themselves set an interval.
    config.takeover_check_interval_s = 0;
    config.sealer = sealer_;
    return config;
  }
  // A node that reads its takeover notices every second (the default in php.ini).
  HandlerConfig checking_config(const std::string& route) {
    HandlerConfig checking = config(route);
    checking.takeover_check_interval_s = 1;
    return checking;
  }

  AppNode make_node(const HandlerConfig& config, std::size_t cache_size = 4 << 20) {
    AppNode node;
    auto segment =
        SharedSegment::create_or_reattach(cache_size, SharedSegment::layout_version(), clock_);
    EXPECT_TRUE(segment.ok()) << segment.error();
    node.segment = *segment;
    node.handler = process(node, config);
    return node;
  }

  // Another process of `node` (an Apache child): same segment and lock board,
  // its own connections and its own handler. Destroy it before `node`.
  std::unique_ptr<SessionHandler> process(AppNode& node, const HandlerConfig& config) {
    node.process_locks.push_back(std::make_unique<BoardLocks>(*node.board, clock_));
    std::vector<std::unique_ptr<StoreNode>> links;
    links.push_back(with_faults(with_faults(n1_.client(clock_), faults1_), node.link(0)));
    links.push_back(with_faults(with_faults(n2_.client(clock_), faults2_), node.link(1)));
    HandlerServices services{clock_, entropy_, node.segment, node.process_locks.back().get(),
                             *node.log};
    return std::make_unique<SessionHandler>(config, std::move(links), services);
  }

  MemcachedModel& server_of(const std::string& id) {
    const auto parsed = parse_session_id(id);
    EXPECT_TRUE(parsed.has_value()) << id;
    return parsed && parsed->store == "n2" ? n2_ : n1_;
  }
  MemcachedModel& other_server_of(const std::string& id) {
    return &server_of(id) == &n1_ ? n2_ : n1_;
  }
  StoreFaults& faults_of(const MemcachedModel& server) {
    return &server == &n1_ ? faults1_ : faults2_;
  }
  std::size_t index_of(const MemcachedModel& server) const { return &server == &n1_ ? 0 : 1; }

  // The session stored under `id` on `server` (its store node by default), decoded.
  std::optional<StoredValue> stored(const std::string& id, const MemcachedModel* server = nullptr,
                                    const std::string& prefix = "sess.") {
    if (server == nullptr) server = &server_of(id);
    const auto raw = server->peek(prefix + id);
    if (!raw) return std::nullopt;
    // Opened (sealing) and decompressed as a handler would.
    Result<StoredValue> decoded = ValueCodec(sealer_).decode(prefix + id, *raw);
    EXPECT_TRUE(decoded.ok()) << decoded.error();
    if (!decoded) return std::nullopt;
    return *decoded;
  }
  // True when `id`'s key holds a tombstone (codec/value_header.h): the session
  // was ended and no request that read it before may store it again.
  bool ended(const std::string& id, const MemcachedModel* server = nullptr) {
    const auto copy = stored(id, server);
    return copy && is_tombstone(*copy);
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
  std::string new_session(SessionHandler& handler, const std::string& data) {
    const Started started = session_start(handler, "");
    EXPECT_TRUE(started.ok) << started.error;
    EXPECT_EQ(started.data, "");
    EXPECT_TRUE(session_write_close(handler, started, data).ok());
    return started.id;
  }
  // A new session, then one request that the node serves from its cache.
  std::string served_session(SessionHandler& handler, const std::string& data) {
    const std::string id = new_session(handler, data);
    const Started served = session_start(handler, id);
    EXPECT_TRUE(served.ok) << served.error;
    EXPECT_TRUE(session_write_close(handler, served, served.data).ok());
    return id;
  }
  // A new session on `handler` whose ID names `server` as its store node.
  std::string new_session_on(SessionHandler& handler, const MemcachedModel& server,
                             const std::string& data) {
    for (int attempt = 0; attempt < 64; ++attempt) {
      const std::string id = new_session(handler, data);
      if (&server_of(id) == &server) return id;
      (void)handler.destroy(id);
    }
    ADD_FAILURE() << "create_sid never chose " << server.address().id;
    return {};
  }

  // Round trips that reached a server (memcached's own stats; peek() counts none).
  struct Trips {
    std::uint64_t get = 0, set = 0, touch = 0, remove = 0;
    Trips operator-(const Trips& earlier) const {
      return {get - earlier.get, set - earlier.set, touch - earlier.touch, remove - earlier.remove};
    }
  };
  static Trips trips(const MemcachedModel& server) {
    const MemcachedModel::Stats& stats = server.stats();
    return {stats.cmd_get, stats.cmd_set, stats.cmd_touch, stats.delete_hits + stats.delete_misses};
  }
  Trips trips() const {
    const Trips a = trips(n1_), b = trips(n2_);
    return {a.get + b.get, a.set + b.set, a.touch + b.touch, a.remove + b.remove};
  }

  ManualClock clock_;
  SeededEntropy entropy_;
  // Set before make_node() to seal what the handlers store (config() passes it on).
  std::shared_ptr<const Sealer> sealer_;
  MemcachedModel n1_{model_address("n1", 11211), clock_};
  MemcachedModel n2_{model_address("n2", 11212), clock_};
  StoreFaults faults1_;
  StoreFaults faults2_;
};

}  // namespace clustered::testing
