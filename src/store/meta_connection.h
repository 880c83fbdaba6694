// SPDX-License-Identifier: BSD-3-Clause
// One connection to one memcached node that speaks memcached's meta protocol,
// for the one command libmemcached lacks: a set that answers with the item's
// new CAS token ("ms <key> <bytes> c T<exp> [C<token>]"). The session write path
// keeps that token, so its next write is conditional at no extra round trip.
// Blocking, bounded by the node's timeouts; opened on first use (after fork).
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "sid/save_path.h"
#include "store/store_node.h"

namespace clustered {

class MetaConnection {
 public:
  MetaConnection(NodeAddress address, std::chrono::milliseconds connect_timeout,
                 std::chrono::milliseconds io_timeout);
  ~MetaConnection();
  MetaConnection(const MetaConnection&) = delete;
  MetaConnection& operator=(const MetaConnection&) = delete;

  // Stores `value` (memcached expiry `expiry`) and returns the new token in
  // reply.cas; with `expected` != 0 only if the item still has that token
  // (kExists: changed since, kNotFound: gone).
  StoreReply set(std::string_view key, std::string_view value, time_t expiry,
                 std::uint64_t expected);
  void close();

 private:
  StoreReply set_once(std::string_view key, std::string_view value, time_t expiry,
                      std::uint64_t expected);
  StoreReply open();
  StoreReply send_all(std::string_view bytes);
  StoreReply read_line(std::string& line);
  StoreReply failure(StoreCode code, std::string message);

  NodeAddress address_;
  std::chrono::milliseconds connect_timeout_;
  std::chrono::milliseconds io_timeout_;
  int fd_ = -1;
  bool last_was_timeout_ = false;
};

// How a reply line to "ms ... c" reads (exposed for the tests and the fuzzer).
StoreReply parse_meta_set_reply(std::string_view line);

}  // namespace clustered
