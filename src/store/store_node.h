// SPDX-License-Identifier: BSD-3-Clause
// What the handler needs of one memcached node: memcached's item commands with
// replies that tell apart every way they can end. MemcachedNode (our own client
// of memcached's protocol, store/memcached_node.h) implements it for production;
// an in-memory model (tests/support/memcached_model.h) implements it for the
// tests and the cluster simulator. One StoreNode stands for one node as one app
// process sees it: it never picks or ejects servers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/save_path.h"
#include "util/result.h"

namespace clustered {

// What a memcached node answered to one call: the item (a get's bytes and CAS
// token, a store's new token) or a Failure whose Cause tells every way it can
// end apart (util/result.h: kNotFound ... kNoCas).
struct StoreItem {
  std::optional<std::string> value;  // get: the item's bytes
  std::uint64_t cas = 0;             // get: the item's CAS token; set_checked: the new one
};
using StoreReply = Result<StoreItem>;

// Who a memcached process is (a restart makes a new one, empty) and what it has
// dropped to make room: from "stats" (pid, time - uptime, evictions).
struct ServerStats {
  std::int64_t pid = 0;
  std::int64_t started_at_s = 0;  // the server's own time minus its uptime
  std::int64_t uptime_s = -1;     // how long it has run (-1: not known)
  std::uint64_t evictions = 0;
};

// The figures of a "stats" reply (name, value pairs); nullopt when pid, uptime or
// time is missing.
std::optional<ServerStats> server_stats_of(
    const std::vector<std::pair<std::string, std::string>>& stats);

// TTLs are relative seconds; an implementation turns one over 30 days into the
// absolute Unix time memcached expects (memcached_expiry()).
class StoreNode {
 public:
  virtual ~StoreNode() = default;

  virtual const NodeAddress& address() const = 0;

  virtual StoreReply get(std::string_view key) = 0;
  virtual StoreReply set(std::string_view key, std::string_view value, std::uint32_t ttl) = 0;
  virtual StoreReply add(std::string_view key, std::string_view value, std::uint32_t ttl) = 0;
  // Stores only when the item still has the CAS token `cas` (kExists when it
  // changed, kNotFound when it is gone; kNoCas, unsent, on a server without
  // tokens).
  virtual StoreReply cas(std::string_view key, std::string_view value, std::uint32_t ttl,
                         std::uint64_t cas) = 0;
  // Stores the item and answers its new CAS token in reply.cas (memcached's meta
  // "ms ... c"); with `expected_cas` != 0 only when the item still has that token
  // (kExists when it changed, kNotFound when it is gone). One round trip, like set:
  // the session write path keeps the token and its next write is conditional. On
  // a server without tokens (memcached -C) it answers kNoCas and stores nothing
  // (when the server had not said so beforehand, the reply's token of 0 shows it
  // only after the store: kNoCas then says it was stored).
  virtual StoreReply set_checked(std::string_view key, std::string_view value, std::uint32_t ttl,
                                 std::uint64_t expected_cas) = 0;
  // Stores the item only where the key is missing (kNotStored when something is
  // there) and answers its new CAS token in reply.cas, in one round trip: a
  // write whose copy is gone (evicted, restarted) takes its place only if
  // nothing was written since (docs/design.md, "Conditional writes").
  virtual StoreReply add_checked(std::string_view key, std::string_view value,
                                 std::uint32_t ttl) = 0;
  // Appends to an existing item (its expiry is kept); kNotStored when missing.
  virtual StoreReply append(std::string_view key, std::string_view value) = 0;
  virtual StoreReply touch(std::string_view key, std::uint32_t ttl) = 0;
  virtual StoreReply remove(std::string_view key) = 0;
  // Opens the connection when it is not open; no item is read or written.
  virtual StoreReply ping() = 0;
  // memcached's "stats": one round trip, once per takeover check.
  virtual StoreReply stats(ServerStats& out) = 0;

  // Whether the server gives CAS tokens (memcached without -C), which
  // set_checked and cas need (docs/design.md, "Conditional writes"); nullopt
  // while not known yet (no connection so far, or the server did not say).
  virtual std::optional<bool> cas_supported() const = 0;
  // How many connections this StoreNode has opened so far. Each new one may reach
  // a restarted server, so the layer above reads the server's identity (stats())
  // again whenever the number changes: a restart is seen at the first contact after it.
  virtual std::uint64_t connections() const = 0;
  // Who the server was when the current connection opened (pid, start time),
  // read before anything of a request was sent on it: compared with the server
  // last seen, a restart is noticed at the first contact after it, even before a
  // first write (docs/design.md, "Forwards and notices"). nullopt: not known.
  virtual std::optional<ServerStats> identity() const = 0;
  // The node's refusal of an item of `value_size` bytes under `key` for its item
  // size limit (memcached -I), when the limit is known (after the first contact):
  // the writer checks every copy's node before it sends anything, so no copy takes
  // what another refuses. nullopt: it fits, or the limit is not known.
  virtual std::optional<Failure> refuses_size(std::string_view key,
                                              std::size_t value_size) const = 0;
};

// memcached reads an expiry over 30 days as an absolute Unix time.
std::uint32_t memcached_expiry(std::uint32_t ttl_seconds, std::int64_t unix_now);

}  // namespace clustered
