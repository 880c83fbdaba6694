// SPDX-License-Identifier: BSD-3-Clause
// A FAKE memcached for the tests: a small TCP server on 127.0.0.1 (free port), run
// by one thread of the test process, that answers item commands from a script.
// It lets a test send what no real memcached would: garbage, a VALUE header that
// promises more bytes than follow, a value for another key, or no reply at all.
//
//   FakeMemcached fake;
//   fake.push(FakeMemcached::Action::reply("VALUE other 0 5\r\nhello\r\nEND\r\n"));
//   MemcachedNode node(fake.address("n1"), timeouts);
//   node.get("mine");  // must not return "hello"
//
// Each item command (the meta commands mg, ms, md, and the classic get, gets,
// set, add, append, cas, touch, delete, ...) takes the next scripted action; with
// the script empty it is answered like a healthy memcached 1.6 from a small
// in-memory map (so "the next operation works" can be checked). "version",
// "stats ..." (settings: item_size_max 1m, cas_enabled yes), "mn" and "quit" are
// always answered healthily and never take a scripted action. Only ever listens
// on loopback.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/save_path.h"

namespace clustered::testing {

class FakeMemcached {
 public:
  struct Action {
    enum class Kind {
      kReply,           // send `bytes`, keep the connection
      kReplyThenClose,  // send `bytes`, then close the connection
      kHang,            // never answer on this connection (it stays open)
      kDelayedReply,    // send `bytes` after `delay` (a late reply)
      kTrickle,         // send `bytes` one byte every `delay` (a slow or hostile server)
      kHealthy,         // answer like a healthy memcached would
    };
    Kind kind = Kind::kHealthy;
    std::string bytes;
    std::chrono::milliseconds delay{0};

    static Action reply(std::string bytes) { return {Kind::kReply, std::move(bytes), {}}; }
    static Action reply_then_close(std::string bytes) {
      return {Kind::kReplyThenClose, std::move(bytes), {}};
    }
    static Action close() { return {Kind::kReplyThenClose, {}, {}}; }
    static Action hang() { return {Kind::kHang, {}, {}}; }
    static Action delayed(std::string bytes, std::chrono::milliseconds delay) {
      return {Kind::kDelayedReply, std::move(bytes), delay};
    }
    static Action trickle(std::string bytes, std::chrono::milliseconds every) {
      return {Kind::kTrickle, std::move(bytes), every};
    }
    static Action healthy() { return {Kind::kHealthy, {}, {}}; }
  };

  FakeMemcached();
  ~FakeMemcached();  // stops the thread and closes every socket
  FakeMemcached(const FakeMemcached&) = delete;
  FakeMemcached& operator=(const FakeMemcached&) = delete;

  std::uint16_t port() const { return port_; }
  NodeAddress address(const std::string& id) const;

  // Appends to the script: one action per item command, in arrival order.
  void push(Action action);
  // Seeds the healthy store (raw bytes, as a set would store them).
  void put(const std::string& key, std::string value);

  // Every command line received (without CRLF and without data blocks).
  std::vector<std::string> commands() const;
  // Item commands received (get, set, ...), as above.
  std::vector<std::string> item_commands() const;
  std::size_t connections_accepted() const { return accepted_.load(); }
  std::size_t connections_open() const;
  // Scripted actions not yet used.
  std::size_t script_left() const;
  // Waits until `count` item commands have arrived (or `timeout` passed).
  bool wait_for_item_commands(std::size_t count, std::chrono::milliseconds timeout) const;

 private:
  struct Connection;
  void run();
  void accept_one();
  // Handles what is buffered on one connection; false: close it.
  bool serve(Connection& connection);
  void answer_healthy(Connection& connection, const std::string& line, const std::string& data);
  static bool send_all(int fd, const std::string& bytes);

  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> accepted_{0};

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::deque<Action> script_;
  std::map<std::string, std::string> store_;
  std::map<std::string, std::uint64_t> cas_;  // the token of each item in store_
  std::uint64_t last_cas_ = 0;
  std::vector<std::string> commands_;
  std::vector<std::string> item_commands_;
  std::vector<std::unique_ptr<Connection>> connections_;  // owned by the thread
  std::size_t open_count_ = 0;

  std::thread thread_;
};

}  // namespace clustered::testing
