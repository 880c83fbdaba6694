// SPDX-License-Identifier: BSD-3-Clause
// One libmemcached handle for one memcached node. libmemcached never picks or
// ejects servers here: each handle holds exactly one server, and the shared health
// table decides whether the node is tried at all.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sid/save_path.h"
#include "store/meta_connection.h"
#include "store/store_node.h"
#include "util/clock.h"

struct memcached_st;

namespace clustered {

struct Timeouts {
  std::chrono::milliseconds connect{100};
  std::chrono::milliseconds io{250};
};

class MemcachedNode final : public StoreNode {
 public:
  // `clock` turns TTLs over 30 days into the absolute times memcached expects.
  MemcachedNode(NodeAddress address, Timeouts timeouts, const Clock& clock = system_clock());
  ~MemcachedNode();
  MemcachedNode(const MemcachedNode&) = delete;
  MemcachedNode& operator=(const MemcachedNode&) = delete;

  const NodeAddress& address() const override { return address_; }

  StoreReply get(std::string_view key) override;
  StoreReply set(std::string_view key, std::string_view value, std::uint32_t ttl) override;
  StoreReply add(std::string_view key, std::string_view value, std::uint32_t ttl) override;
  StoreReply cas(std::string_view key, std::string_view value, std::uint32_t ttl,
                 std::uint64_t cas) override;
  StoreReply set_checked(std::string_view key, std::string_view value, std::uint32_t ttl,
                         std::uint64_t expected_cas) override;
  StoreReply append(std::string_view key, std::string_view value) override;
  StoreReply touch(std::string_view key, std::uint32_t ttl) override;
  StoreReply remove(std::string_view key) override;
  // One "version" exchange when the connection is not open.
  StoreReply stats(ServerStats& out) override;
  StoreReply ping() override;

 private:
  // How a libmemcached return code reads for an operation that may legitimately
  // end only with one of `success_codes`.
  StoreReply outcome(int rc, std::initializer_list<int> success_codes);
  // memcached's (or libmemcached's) words for a failed `rc`.
  std::string error_words(int rc) const;
  // The reply did not fit the request (another key, a second value, a line meant
  // for another command): the stream is out of step, the connection is dropped.
  StoreReply unexpected_reply(std::string message);
  template <class Call>
  StoreReply with_reconnect(Call call);
  StoreReply get_once(std::string_view key);
  // How a get that ended with `rc` (not END) reads.
  StoreReply failed_get(int rc);
  void drop_connection();
  // Reads the node's item size limit ("stats settings" item_size_max) once per
  // connection, so that over-size values are refused before they are sent.
  StoreReply learn_item_size_max();

  // Refuses, before sending, a value over the node's item size limit: memcached
  // answers such a set by unlinking the stored item, so the valid copy would go.
  StoreReply check_item_size(std::string_view key, std::string_view value);
  time_t expiry(std::uint32_t ttl) const;

  NodeAddress address_;
  const Clock& clock_;
  memcached_st* handle_ = nullptr;
  bool connected_ = false;
  bool last_was_timeout_ = false;
  std::uint64_t item_size_max_ = 0;  // 0 = not known yet for this connection
  MetaConnection meta_;              // for set_checked (libmemcached has no meta commands)
};

// One MemcachedNode per save_path node, in order.
std::vector<std::unique_ptr<StoreNode>> memcached_nodes(std::vector<NodeAddress> addresses,
                                                        Timeouts timeouts,
                                                        const Clock& clock = system_clock());

}  // namespace clustered
