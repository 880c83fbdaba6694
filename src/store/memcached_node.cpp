#include "store/memcached_node.h"

#include <libmemcached/memcached.h>

#include <cstdlib>
#include <ctime>

namespace clustered {
namespace {

constexpr std::uint32_t kRelativeExpiryLimit = 60 * 60 * 24 * 30;

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
}

NodeOutcome MemcachedNode::outcome(int code) {
  const auto rc = static_cast<memcached_return_t>(code);
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

NodeOutcome MemcachedNode::get(std::string_view key) {
  size_t length = 0;
  uint32_t flags = 0;
  memcached_return_t rc = MEMCACHED_SUCCESS;
  char* bytes = memcached_get(handle_, key.data(), key.size(), &length, &flags, &rc);
  NodeOutcome result = outcome(rc);
  if (result.reply == Reply::kOk && bytes != nullptr) result.value.emplace(bytes, length);
  if (result.reply == Reply::kOk && bytes == nullptr) result.reply = Reply::kNotFound;
  std::free(bytes);
  return result;
}

NodeOutcome MemcachedNode::set(std::string_view key, std::string_view value,
                               std::uint32_t ttl_seconds) {
  const auto expiry = static_cast<time_t>(memcached_expiry(ttl_seconds, std::time(nullptr)));
  return outcome(memcached_set(handle_, key.data(), key.size(), value.data(), value.size(), expiry,
                               0));
}

NodeOutcome MemcachedNode::touch(std::string_view key, std::uint32_t ttl_seconds) {
  const auto expiry = static_cast<time_t>(memcached_expiry(ttl_seconds, std::time(nullptr)));
  return outcome(memcached_touch(handle_, key.data(), key.size(), expiry));
}

NodeOutcome MemcachedNode::remove(std::string_view key) {
  return outcome(memcached_delete(handle_, key.data(), key.size(), 0));
}

NodeOutcome MemcachedNode::ensure_connected() {
  if (connected_) return {};
  return outcome(memcached_version(handle_));
}

}  // namespace clustered
