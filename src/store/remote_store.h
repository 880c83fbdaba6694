// The memcached side of the handler: one MemcachedNode per save_path node, the
// shared health table in front of them, replicas in save_path ring order, and the
// versioned value header. Knows nothing about PHP, the cache or ownership.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stats/counters.h"
#include "store/memcached_node.h"
#include "store/node_health.h"
#include "store/value_header.h"

namespace clustered {

struct RemoteOptions {
  Timeouts timeouts;
  std::int64_t retry_interval_ms = 2000;
  unsigned replicas = 0;
};

// Result of reading one session: found (with the newest copy), missing, or failed
// (no node that should hold it could be read, so "missing" cannot be claimed).
struct RemoteRead {
  enum class Kind { kFound, kMissing, kFailed } kind = Kind::kMissing;
  StoredValue value;
  std::size_t source_node = 0;  // node the winning copy came from
  std::string error;            // for kFailed: which node and libmemcached's message
};

struct RemoteWrite {
  bool stored = false;             // at least the primary copy is on its node
  bool refused_too_large = false;  // the node answered that the item is too large
  std::string error;
};

class RemoteStore {
 public:
  RemoteStore(std::vector<NodeAddress> nodes, RemoteOptions options, NodeHealthTable* health,
              Counters* counters);

  std::size_t node_count() const { return nodes_.size(); }
  const NodeAddress& address(std::size_t index) const { return nodes_[index]->address(); }
  std::optional<std::size_t> index_of(std::string_view node_id) const;
  bool is_up(std::size_t index) const;
  std::uint64_t failures(std::size_t index) const;

  // A random node that is believed up and answers (never `avoid`); nullopt when
  // none does.
  std::optional<std::size_t> pick_live_node(std::optional<std::size_t> avoid = std::nullopt);
  // Deterministic node for IDs without a usable store suffix (rendezvous hashing).
  std::size_t rendezvous_node(std::string_view session_id) const;
  // The primary and the next `replicas` nodes in ring order.
  std::vector<std::size_t> copy_nodes(std::size_t primary) const;

  RemoteRead read(std::size_t primary, std::string_view key);
  RemoteWrite write(std::size_t primary, std::string_view key, std::uint64_t version,
                    std::string_view payload, std::uint32_t ttl_seconds);
  // Leaves a forward under an old key: readers of the old ID learn the new one.
  // Its version is above the data's, so of a forward and an older copy on a
  // replica, the forward wins.
  void write_forward(std::size_t primary, std::string_view key, std::string_view new_id,
                     std::uint64_t version, std::uint32_t ttl_seconds);
  // Touch: kOk, kNotFound (the copy is gone: caller writes in full) or kNodeFailed.
  Reply touch(std::size_t primary, std::string_view key, std::uint32_t ttl_seconds,
              std::string* error);
  // Delete from the primary and the replicas; a missing key is not an error.
  bool remove(std::size_t primary, std::string_view key, std::string* error);

  // Plain items on one node, without the value header (the takeover notices):
  // a get, and an append that creates the item when it is missing.
  NodeOutcome get_plain(std::size_t index, std::string_view key);
  NodeOutcome append_plain(std::size_t index, std::string_view key, std::string_view line,
                           std::string_view when_full, std::uint32_t ttl_seconds);

 private:
  struct Node {
    std::unique_ptr<MemcachedNode> client;
    NodeHealthSlot* health = nullptr;
  };
  // Runs one operation on one node, honouring and updating shared health.
  template <class Operation>
  NodeOutcome on_node(std::size_t index, Operation operation);
  std::string describe(std::size_t index, const std::string& message) const;

  std::vector<std::unique_ptr<MemcachedNode>> nodes_;
  std::vector<NodeHealthSlot*> health_;
  RemoteOptions options_;
  Counters* counters_;
};

}  // namespace clustered
