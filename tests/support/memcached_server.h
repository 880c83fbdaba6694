// SPDX-License-Identifier: BSD-3-Clause
// A real memcached for the tests: started on a free 127.0.0.1 port, killed in the
// destructor. Tests talk to it through the code under test and, to check what is
// really stored and how many round trips were made, through a raw text-protocol
// socket of their own (stats(), get(), set()).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/save_path.h"

namespace clustered::testing {

// A TCP port on 127.0.0.1 that nothing listens on right now (bind port 0, read it
// back, close). Also used for "a node with nothing listening".
std::uint16_t free_port();

// save_path node `id` at 127.0.0.1:port (the real and the fake memcached both listen there).
NodeAddress loopback_node(const std::string& id, std::uint16_t port);

class MemcachedServer {
 public:
  struct Options {
    std::string max_item_size;  // memcached -I (e.g. "1m"); empty = memcached's default
    std::vector<std::string> extra_args;
  };

  MemcachedServer();
  explicit MemcachedServer(Options options);
  ~MemcachedServer();
  MemcachedServer(const MemcachedServer&) = delete;
  MemcachedServer& operator=(const MemcachedServer&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // The node as save_path would describe it.
  NodeAddress address(const std::string& id) const;
  std::string endpoint() const;  // "127.0.0.1:<port>"

  // Kills the process and waits for it; the port stays reserved for restart().
  void stop();
  // SIGSTOP / SIGCONT: the socket still accepts, but nothing answers.
  void freeze();
  void thaw();
  // A fresh, empty memcached on the same port.
  void restart();

  // memcached's own "stats" counters, read over a raw socket (costs no get/set).
  std::map<std::string, std::string> stats() const;
  std::uint64_t stat(const std::string& name) const;
  // Raw text-protocol item access. get() and ttl_left() each count as one cmd_get
  // on the server, so take round-trip counts around them, never across them.
  std::optional<std::string> get(std::string_view key) const;
  bool set(std::string_view key, std::string_view value, std::uint32_t ttl = 0) const;
  // Seconds the item has left, from the meta command "mg <key> t" (-1 = never
  // expires); nullopt when the item is missing.
  std::optional<long long> ttl_left(std::string_view key) const;

 private:
  void start();
  std::string command(const std::string& request, std::string_view terminator) const;

  Options options_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace clustered::testing
