#include "store/remote_store.h"

#include <sys/random.h>

#include <functional>

namespace clustered {

RemoteStore::RemoteStore(std::vector<NodeAddress> nodes, RemoteOptions options,
                         NodeHealthTable* health, Counters* counters)
    : options_(options), counters_(counters) {
  for (auto& address : nodes) {
    health_.push_back(health != nullptr ? health->slot_for(address.endpoint()) : nullptr);
    nodes_.push_back(std::make_unique<MemcachedNode>(std::move(address), options.timeouts));
  }
}

std::optional<std::size_t> RemoteStore::index_of(std::string_view node_id) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->address().id == node_id) return i;
  }
  return std::nullopt;
}

bool RemoteStore::is_up(std::size_t index) const {
  return NodeHealthTable::is_up(health_[index], monotonic_ms());
}

std::uint64_t RemoteStore::failures(std::size_t index) const {
  return health_[index] != nullptr ? health_[index]->failures.load() : 0;
}

std::string RemoteStore::describe(std::size_t index, const std::string& message) const {
  const NodeAddress& address = nodes_[index]->address();
  return "memcached node " + address.id + " (" + address.endpoint() + "): " + message;
}

template <class Operation>
NodeOutcome RemoteStore::on_node(std::size_t index, Operation operation) {
  NodeHealthSlot* health = health_[index];
  if (!NodeHealthTable::may_try(health, monotonic_ms())) {
    NodeOutcome skipped;
    skipped.reply = Reply::kNodeFailed;
    skipped.message = "marked down after a recent failure, retried within " +
                      std::to_string(options_.retry_interval_ms / 1000) + " s";
    return skipped;
  }
  NodeOutcome result = operation(*nodes_[index]);
  if (result.reply == Reply::kNodeFailed) {
    NodeHealthTable::report_failure(health, monotonic_ms(), options_.retry_interval_ms);
  } else {
    NodeHealthTable::report_success(health);
  }
  return result;
}

std::optional<std::size_t> RemoteStore::pick_live_node(std::optional<std::size_t> avoid) {
  std::uint32_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) != sizeof seed) seed = 0;
  const std::size_t count = nodes_.size();
  for (std::size_t step = 0; step < count; ++step) {
    const std::size_t index = (seed + step) % count;
    if (avoid && *avoid == index) continue;
    const NodeOutcome connected =
        on_node(index, [](MemcachedNode& node) { return node.ensure_connected(); });
    if (connected.reply != Reply::kNodeFailed) return index;
  }
  return std::nullopt;
}

std::size_t RemoteStore::rendezvous_node(std::string_view session_id) const {
  std::size_t best = 0;
  std::size_t best_score = 0;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    std::string mixed(session_id);
    mixed += '\0';
    mixed += nodes_[i]->address().id;
    const std::size_t score = std::hash<std::string>{}(mixed);
    if (i == 0 || score > best_score) {
      best = i;
      best_score = score;
    }
  }
  return best;
}

std::vector<std::size_t> RemoteStore::copy_nodes(std::size_t primary) const {
  std::vector<std::size_t> result{primary};
  const std::size_t extra = std::min<std::size_t>(options_.replicas, nodes_.size() - 1);
  for (std::size_t i = 1; i <= extra; ++i) result.push_back((primary + i) % nodes_.size());
  return result;
}

RemoteRead RemoteStore::read(std::size_t primary, std::string_view key) {
  // The primary is read first; replicas only when it has no usable copy (it is
  // down, or was restarted empty), and then every replica is read and the highest
  // version wins: one of them may have missed a write the others received.
  RemoteRead result;
  bool primary_failed = false;
  std::string errors;
  for (std::size_t index : copy_nodes(primary)) {
    if (result.kind == RemoteRead::Kind::kFound && result.source_node == primary) break;
    Counters::add(counters_->remote_reads);
    const NodeOutcome got = on_node(index, [&](MemcachedNode& node) { return node.get(key); });
    std::string problem;
    if (got.reply == Reply::kNodeFailed || got.reply == Reply::kRefused) {
      problem = got.message;
    } else if (got.reply == Reply::kOk) {
      auto decoded = decode_value(*got.value);
      if (decoded &&
          (result.kind != RemoteRead::Kind::kFound || decoded->version > result.value.version)) {
        result.kind = RemoteRead::Kind::kFound;
        result.value = std::move(*decoded);
        result.source_node = index;
      } else if (!decoded) {
        problem = decoded.error();
      }
    }
    if (!problem.empty()) {
      if (index == primary) primary_failed = true;
      if (!errors.empty()) errors += "; ";
      errors += describe(index, problem);
    }
  }
  if (result.kind != RemoteRead::Kind::kFound && primary_failed) {
    result.kind = RemoteRead::Kind::kFailed;
    result.error = errors;
  }
  return result;
}

RemoteWrite RemoteStore::write(std::size_t primary, std::string_view key, std::uint64_t version,
                               std::string_view payload, std::uint32_t ttl_seconds) {
  const std::string bytes = encode_value(version, payload);
  RemoteWrite result;
  for (std::size_t index : copy_nodes(primary)) {
    Counters::add(counters_->remote_writes);
    const NodeOutcome put =
        on_node(index, [&](MemcachedNode& node) { return node.set(key, bytes, ttl_seconds); });
    if (put.reply == Reply::kOk) {
      if (index == primary) result.stored = true;
      continue;
    }
    if (put.reply == Reply::kRefused && index == primary) result.refused_too_large = true;
    if (!result.error.empty()) result.error += "; ";
    result.error += describe(index, put.message);
  }
  return result;
}

void RemoteStore::write_forward(std::size_t primary, std::string_view key, std::string_view new_id,
                                std::uint64_t version, std::uint32_t ttl_seconds) {
  const std::string bytes = encode_value(version, new_id, kValueFlagForward);
  for (std::size_t index : copy_nodes(primary)) {
    on_node(index, [&](MemcachedNode& node) { return node.set(key, bytes, ttl_seconds); });
  }
}

Reply RemoteStore::touch(std::size_t primary, std::string_view key, std::uint32_t ttl_seconds,
                         std::string* error) {
  Reply primary_reply = Reply::kOk;
  for (std::size_t index : copy_nodes(primary)) {
    const NodeOutcome touched =
        on_node(index, [&](MemcachedNode& node) { return node.touch(key, ttl_seconds); });
    if (index == primary) primary_reply = touched.reply;
    if (touched.reply == Reply::kNotFound && index != primary) primary_reply = Reply::kNotFound;
    if (touched.reply == Reply::kNodeFailed && error != nullptr) {
      *error = describe(index, touched.message);
    }
  }
  return primary_reply;
}

bool RemoteStore::remove(std::size_t primary, std::string_view key, std::string* error) {
  bool ok = true;
  for (std::size_t index : copy_nodes(primary)) {
    const NodeOutcome removed =
        on_node(index, [&](MemcachedNode& node) { return node.remove(key); });
    if (removed.reply == Reply::kOk || removed.reply == Reply::kNotFound) continue;
    ok = false;
    if (error != nullptr) *error = describe(index, removed.message);
  }
  return ok;
}

NodeOutcome RemoteStore::get_plain(std::size_t index, std::string_view key) {
  return on_node(index, [&](MemcachedNode& node) { return node.get(key); });
}

NodeOutcome RemoteStore::append_plain(std::size_t index, std::string_view key,
                                      std::string_view line, std::string_view when_full,
                                      std::uint32_t ttl_seconds) {
  return on_node(index, [&](MemcachedNode& node) {
    return node.append_line(key, line, when_full, ttl_seconds);
  });
}

}  // namespace clustered
