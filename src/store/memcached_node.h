// SPDX-License-Identifier: BSD-3-Clause
// One memcached node as one app process sees it, over one connection of our own
// (store/node_connection.h) that speaks memcached's protocol (the requests in
// store/memcached_request.h, their replies in store/memcached_reply.h). It never
// picks or ejects servers: the shared health table decides whether the node is
// tried at all (docs/design.md, section 3). Whatever a node answers -- hostile,
// broken or slow -- a call ends within connect_timeout + io_timeout with a
// StoreReply, never a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/memcached_reply.h"
#include "store/node_connection.h"
#include "store/save_path.h"
#include "store/store_node.h"
#include "util/clock.h"

namespace clustered {

class MemcachedNode final : public StoreNode {
 public:
  // `clock` turns TTLs over 30 days into the absolute times memcached expects, and
  // its monotonic time bounds every call.
  MemcachedNode(NodeAddress address, Timeouts timeouts, const Clock& clock = system_clock());

  const NodeAddress& address() const override { return address_; }

  StoreReply get(std::string_view key) override;
  StoreReply set(std::string_view key, std::string_view value, std::uint32_t ttl) override;
  StoreReply add(std::string_view key, std::string_view value, std::uint32_t ttl) override;
  StoreReply add_checked(std::string_view key, std::string_view value, std::uint32_t ttl) override;
  StoreReply cas(std::string_view key, std::string_view value, std::uint32_t ttl,
                 std::uint64_t cas) override;
  StoreReply set_checked(std::string_view key, std::string_view value, std::uint32_t ttl,
                         std::uint64_t expected_cas) override;
  StoreReply append(std::string_view key, std::string_view value) override;
  StoreReply touch(std::string_view key, std::uint32_t ttl) override;
  StoreReply remove(std::string_view key) override;
  StoreReply stats(ServerStats& out) override;
  // Opens the connection when it is not open (its one "stats settings" round trip).
  StoreReply ping() override;

  std::optional<bool> cas_supported() const override { return cas_supported_; }
  std::uint64_t connections() const override { return connection_.opened(); }
  std::optional<ServerStats> identity() const override { return connection_.settings().identity; }
  std::optional<Failure> refuses_size(std::string_view key, std::size_t value_size) const override;

 private:
  // What a call is, beyond its request bytes.
  struct Call {
    ReplyTo command = ReplyTo::kGet;
    std::string_view key{};
    // A store's value size, checked against the node's item size limit before
    // it is sent: memcached answers an over-size SET by unlinking the stored item.
    std::optional<std::size_t> value_size{};
    // set_checked and cas: refused (kNoCas) on a server without tokens, unsent.
    bool needs_cas = false;
    // May go out again on a fresh connection after it reached the server: not a
    // conditional or appending store that may have happened.
    bool repeatable = true;
  };

  // Runs one call within one io_timeout: opens the connection when needed, checks
  // the call, sends it, reads its reply. A kept-alive connection that fails (the
  // server closed it, or its reply is bad) is replaced once, never after a
  // timeout (a frozen node would cost twice) and never for an unrepeatable call
  // that went out.
  ParsedReply run(const Call& call, const std::string& request);
  // Refuses a call before it is sent: a key memcached cannot take, a token
  // needed from a server that has none, a value over the item size limit.
  std::optional<StoreReply> refuse_before_sending(const Call& call) const;
  // What a new connection's settings, and a reply's token, say about CAS tokens.
  void note_connection();
  void note_token(const ParsedReply& parsed);
  // A store's outcome: a token of 0 on a stored item is a server without CAS
  // tokens, and a refused set drops the stored copy.
  StoreReply stored(const Call& call, ParsedReply parsed);
  std::uint32_t expiry(std::uint32_t ttl) const;

  NodeAddress address_;
  const Clock& clock_;
  NodeConnection connection_;
  std::optional<bool> cas_supported_;
  std::uint64_t settings_seen_ = 0;  // the connection whose settings cas_supported_ reflects
};

// One MemcachedNode per save_path node, in order.
std::vector<std::unique_ptr<StoreNode>> memcached_nodes(std::vector<NodeAddress> addresses,
                                                        Timeouts timeouts,
                                                        const Clock& clock = system_clock());

}  // namespace clustered
