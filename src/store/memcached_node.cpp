#include "store/memcached_node.h"

#include <libmemcached/memcached.h>

#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>

namespace clustered {
namespace {

constexpr std::uint32_t kRelativeExpiryLimit = 60 * 60 * 24 * 30;
// memcached stores an item of ~59 bytes of header + key + 1 + value + 2 (CRLF) and
// refuses it when that exceeds item_size_max, whose smallest allowed value is 1k.
constexpr std::uint64_t kItemOverhead = 64;
constexpr std::uint64_t kSmallestItemSizeMax = 1024;
constexpr std::uint64_t kNoKnownLimit = UINT64_MAX;

memcached_return_t read_item_size_max(const memcached_instance_st*, const char* key,
                                      size_t key_length, const char* value, size_t value_length,
                                      void* context) {
  if (std::string_view(key, key_length) == "item_size_max") {
    *static_cast<std::uint64_t*>(context) =
        std::strtoull(std::string(value, value_length).c_str(), nullptr, 10);
  }
  return MEMCACHED_SUCCESS;
}

}  // namespace

std::uint32_t memcached_expiry(std::uint32_t ttl_seconds, std::int64_t unix_now) {
  if (ttl_seconds <= kRelativeExpiryLimit) return ttl_seconds;
  return static_cast<std::uint32_t>(unix_now + ttl_seconds);
}

MemcachedNode::MemcachedNode(NodeAddress address, Timeouts timeouts)
    : address_(std::move(address)), handle_(memcached_create(nullptr)) {
  if (address_.is_unix()) {
    memcached_server_add_unix_socket(handle_, address_.socket_path.c_str());
  } else {
    memcached_server_add(handle_, address_.host.c_str(), address_.port);
  }
  const auto connect_ms = static_cast<uint64_t>(timeouts.connect.count());
  const auto io_ms = static_cast<uint64_t>(timeouts.io.count());
  memcached_behavior_set(handle_, MEMCACHED_BEHAVIOR_NO_BLOCK, 1);
  memcached_behavior_set(handle_, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
  memcached_behavior_set(handle_, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, connect_ms);
  memcached_behavior_set(handle_, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, io_ms);
  memcached_behavior_set(handle_, MEMCACHED_BEHAVIOR_SND_TIMEOUT, io_ms * 1000);
  memcached_behavior_set(handle_, MEMCACHED_BEHAVIOR_RCV_TIMEOUT, io_ms * 1000);
  // Our shared health table decides when to retry; libmemcached must not keep its
  // own per-process notion of a dead server, nor eject or rehash anything.
  memcached_behavior_set(handle_, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 0);
  memcached_behavior_set(handle_, MEMCACHED_BEHAVIOR_DEAD_TIMEOUT, 0);
  memcached_behavior_set(handle_, MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT, 0);
  memcached_behavior_set(handle_, MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS, 0);
  memcached_behavior_set(handle_, MEMCACHED_BEHAVIOR_AUTO_EJECT_HOSTS, 0);
}

MemcachedNode::~MemcachedNode() { memcached_free(handle_); }

void MemcachedNode::drop_connection() {
  // After a timeout a late reply may still arrive on this socket; closing it makes
  // sure it can never be read as the answer to the next request.
  memcached_quit(handle_);
  connected_ = false;
  item_size_max_ = 0;  // the node may come back restarted with another -I
}

NodeOutcome MemcachedNode::outcome(int code) {
  const auto rc = static_cast<memcached_return_t>(code);
  last_was_timeout_ = rc == MEMCACHED_TIMEOUT;
  NodeOutcome result;
  switch (rc) {
    case MEMCACHED_SUCCESS:
    case MEMCACHED_STORED:
    case MEMCACHED_DELETED:
    case MEMCACHED_END:
      connected_ = true;
      result.reply = Reply::kOk;
      return result;
    case MEMCACHED_NOTFOUND:
      connected_ = true;
      result.reply = Reply::kNotFound;
      return result;
    case MEMCACHED_E2BIG:
    case MEMCACHED_NOTSTORED:
    case MEMCACHED_DATA_EXISTS:
    case MEMCACHED_SERVER_ERROR:
    case MEMCACHED_CLIENT_ERROR:
    case MEMCACHED_BAD_KEY_PROVIDED:
    case MEMCACHED_MEMORY_ALLOCATION_FAILURE:
    case MEMCACHED_SERVER_MEMORY_ALLOCATION_FAILURE:
      result.reply = Reply::kRefused;
      result.message = memcached_last_error_message(handle_);
      // The node answered, but the stream may be out of step after an error reply.
      drop_connection();
      return result;
    default:
      result.reply = Reply::kNodeFailed;
      result.message = memcached_last_error_message(handle_);
      drop_connection();
      return result;
  }
}

template <class Call>
NodeOutcome MemcachedNode::with_reconnect(Call call) {
  const bool reused = connected_;
  NodeOutcome result = call();
  // A kept-alive connection that the node closed (it restarted) fails at once:
  // one fresh connection is tried before the node counts as failed. Never after
  // a timeout, which would double the wait on a frozen node.
  if (result.reply == Reply::kNodeFailed && reused && !last_was_timeout_) result = call();
  return result;
}

NodeOutcome MemcachedNode::get(std::string_view key) {
  return with_reconnect([&] { return get_once(key); });
}

NodeOutcome MemcachedNode::get_once(std::string_view key) {
  size_t length = 0;
  uint32_t flags = 0;
  memcached_return_t rc = MEMCACHED_SUCCESS;
  char* bytes = memcached_get(handle_, key.data(), key.size(), &length, &flags, &rc);
  NodeOutcome result = outcome(rc);
  // An item of zero bytes comes back as a null pointer with MEMCACHED_SUCCESS.
  if (result.reply == Reply::kOk && bytes != nullptr) result.value.emplace(bytes, length);
  if (result.reply == Reply::kOk && bytes == nullptr && rc == MEMCACHED_SUCCESS) {
    result.value.emplace();
  }
  if (result.reply == Reply::kOk && !result.value) result.reply = Reply::kNotFound;
  std::free(bytes);
  return result;
}

NodeOutcome MemcachedNode::learn_item_size_max() {
  std::uint64_t limit = 0;
  NodeOutcome result =
      outcome(memcached_stat_execute(handle_, "settings", read_item_size_max, &limit));
  if (result.reply == Reply::kNodeFailed) return result;
  // A node that does not say (or refuses "stats settings") is simply not checked.
  item_size_max_ = result.reply == Reply::kOk && limit > 0 ? limit : kNoKnownLimit;
  return {};
}

NodeOutcome MemcachedNode::set(std::string_view key, std::string_view value,
                               std::uint32_t ttl_seconds) {
  // memcached answers a set that is too large by unlinking the stored item, so
  // the valid copy would be lost; such values are refused here, before sending.
  const std::uint64_t item_size = key.size() + value.size() + kItemOverhead;
  if (item_size > kSmallestItemSizeMax) {
    if (item_size_max_ == 0) {
      NodeOutcome learned = with_reconnect([&] { return learn_item_size_max(); });
      if (learned.reply != Reply::kOk) return learned;
    }
    if (item_size > item_size_max_) {
      NodeOutcome refused;
      refused.reply = Reply::kRefused;
      refused.message = "item of " + std::to_string(value.size()) +
                        " bytes is larger than the node's item size limit of " +
                        std::to_string(item_size_max_) + " bytes (memcached -I)";
      return refused;
    }
  }
  const auto expiry = static_cast<time_t>(memcached_expiry(ttl_seconds, std::time(nullptr)));
  return with_reconnect([&] {
    return outcome(
        memcached_set(handle_, key.data(), key.size(), value.data(), value.size(), expiry, 0));
  });
}

NodeOutcome MemcachedNode::touch(std::string_view key, std::uint32_t ttl_seconds) {
  const auto expiry = static_cast<time_t>(memcached_expiry(ttl_seconds, std::time(nullptr)));
  return with_reconnect(
      [&] { return outcome(memcached_touch(handle_, key.data(), key.size(), expiry)); });
}

NodeOutcome MemcachedNode::remove(std::string_view key) {
  return with_reconnect(
      [&] { return outcome(memcached_delete(handle_, key.data(), key.size(), 0)); });
}

NodeOutcome MemcachedNode::ensure_connected() {
  if (connected_) return {};
  return outcome(memcached_version(handle_));
}

}  // namespace clustered
