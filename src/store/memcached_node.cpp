#include "store/memcached_node.h"

#include <libmemcached/memcached.h>

#include <algorithm>
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
// Largest value a reply may announce: memcached's own ceiling for -I is 1 GiB.
// libmemcached takes a "VALUE k 0 18446744073709551615" header as a one-byte
// value whose length it then reports as 2^64-1; such a length is never copied.
constexpr std::size_t kMaxReplyValue = std::size_t{1} << 30;

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

NodeOutcome MemcachedNode::unexpected_reply(std::string message) {
  last_was_timeout_ = false;
  NodeOutcome result;
  result.reply = Reply::kNodeFailed;
  result.message = std::move(message);
  drop_connection();
  return result;
}

NodeOutcome MemcachedNode::outcome(int code, std::initializer_list<int> success_codes) {
  const auto rc = static_cast<memcached_return_t>(code);
  last_was_timeout_ = rc == MEMCACHED_TIMEOUT;
  // libmemcached returns the code of whatever line came back: "DELETED" to a
  // touch or "STORED" to a get would pass as success. Only the operation's own
  // success codes are success; any other is a stream out of step.
  if (memcached_success(rc) &&
      std::find(success_codes.begin(), success_codes.end(), code) == success_codes.end()) {
    return unexpected_reply(std::string("unexpected reply from memcached (") +
                            memcached_strerror(handle_, rc) + ")");
  }
  // A reply that left more to read behind it ("VALUE ..." to a touch) would be
  // taken for the answer to the next request.
  if (memcached_success(rc) || rc == MEMCACHED_NOTFOUND) {
    const memcached_instance_st* server = memcached_server_instance_by_position(handle_, 0);
    if (server != nullptr && memcached_server_response_count(server) != 0) {
      return unexpected_reply("memcached sent more than the one reply asked for");
    }
  }
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
  // Not memcached_get(): it turns every error reply (garbage, "ERROR",
  // "SERVER_ERROR out of memory ...") into "not found", which would start an
  // empty session over the real one, and it returns a value for whatever key the
  // reply names. The reply is read here and must be exactly one VALUE for this
  // key and END, or END alone.
  const char* keys[] = {key.data()};
  const std::size_t lengths[] = {key.size()};
  const memcached_return_t sent = memcached_mget(handle_, keys, lengths, 1);
  if (sent != MEMCACHED_SUCCESS) return outcome(sent, {});

  // On the heap, like the result memcached_get() uses: libmemcached 1.1.4 copies
  // a reply's key into item_key[251] without a bound (see the known crashes in
  // tests/store/fake_memcached_test.cpp), which must not land on our stack.
  // Ownership follows libmemcached: memcached_fetch_result() frees an allocated
  // result itself whenever it returns null.
  struct OwnedResult {
    memcached_result_st* result;
    ~OwnedResult() {
      if (result != nullptr) memcached_result_free(result);
    }
  } reply{memcached_result_create(handle_, nullptr)};
  if (reply.result == nullptr) return outcome(MEMCACHED_MEMORY_ALLOCATION_FAILURE, {});
  // memcached_fetch_result() reports an error line as "not found" while its
  // result has counted no value yet; a count above zero makes it report the
  // line's own code (END for a clean miss, ERROR, SERVER_ERROR, ...).
  reply.result->count = 1;
  memcached_return_t rc = MEMCACHED_SUCCESS;
  const memcached_result_st* found = memcached_fetch_result(handle_, reply.result, &rc);
  if (found == nullptr) {
    reply.result = nullptr;  // freed by libmemcached
    // END (or NOT_FOUND) is a miss; anything else failed or is out of step.
    return rc == MEMCACHED_END || rc == MEMCACHED_NOTFOUND ? outcome(MEMCACHED_NOTFOUND, {})
                                                           : outcome(rc, {});
  }
  const std::string_view got_key(memcached_result_key_value(found),
                                 memcached_result_key_length(found));
  const std::size_t length = memcached_result_length(found);
  if (got_key != key) {
    return unexpected_reply("memcached answered a get of one key with another key's value");
  }
  if (length > kMaxReplyValue) {
    return unexpected_reply("memcached announced a value of " + std::to_string(length) + " bytes");
  }
  std::string value =
      length == 0 ? std::string() : std::string(memcached_result_value(found), length);
  // The value must be followed by END: a second VALUE, garbage or silence means
  // the stream cannot be trusted, nor this value with it.
  if (memcached_fetch_result(handle_, reply.result, &rc) != nullptr) {
    return unexpected_reply("memcached answered a get of one key with several values");
  }
  reply.result = nullptr;  // freed by libmemcached
  if (rc != MEMCACHED_END) {
    NodeOutcome failed = outcome(rc, {});
    if (failed.reply == Reply::kNodeFailed || failed.reply == Reply::kRefused) return failed;
    return unexpected_reply("memcached did not end the value with END");
  }
  connected_ = true;
  last_was_timeout_ = false;
  NodeOutcome result;
  result.value = std::move(value);
  return result;
}

NodeOutcome MemcachedNode::learn_item_size_max() {
  std::uint64_t limit = 0;
  NodeOutcome result =
      outcome(memcached_stat_execute(handle_, "settings", read_item_size_max, &limit),
              {MEMCACHED_SUCCESS, MEMCACHED_END});
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
        memcached_set(handle_, key.data(), key.size(), value.data(), value.size(), expiry, 0),
        {MEMCACHED_SUCCESS, MEMCACHED_STORED});
  });
}

NodeOutcome MemcachedNode::touch(std::string_view key, std::uint32_t ttl_seconds) {
  const auto expiry = static_cast<time_t>(memcached_expiry(ttl_seconds, std::time(nullptr)));
  return with_reconnect([&] {
    return outcome(memcached_touch(handle_, key.data(), key.size(), expiry), {MEMCACHED_SUCCESS});
  });
}

NodeOutcome MemcachedNode::remove(std::string_view key) {
  return with_reconnect([&] {
    return outcome(memcached_delete(handle_, key.data(), key.size(), 0),
                   {MEMCACHED_SUCCESS, MEMCACHED_DELETED});
  });
}

NodeOutcome MemcachedNode::append_line(std::string_view key, std::string_view line,
                                       std::string_view when_full, std::uint32_t ttl_seconds) {
  const auto expiry = static_cast<time_t>(memcached_expiry(ttl_seconds, std::time(nullptr)));
  return with_reconnect([&] {
    // NOT_STORED is an ordinary answer here (append: no such key; add: it exists
    // now, another node created it meanwhile), so it is retried, not failed.
    memcached_return_t rc = MEMCACHED_NOTSTORED;
    for (int attempt = 0; attempt < 2 && rc == MEMCACHED_NOTSTORED; ++attempt) {
      rc = memcached_append(handle_, key.data(), key.size(), line.data(), line.size(), 0, 0);
      if (rc != MEMCACHED_NOTSTORED) break;
      rc = memcached_add(handle_, key.data(), key.size(), line.data(), line.size(), expiry, 0);
      if (rc == MEMCACHED_DATA_EXISTS) rc = MEMCACHED_NOTSTORED;
    }
    if (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_E2BIG || rc == MEMCACHED_SERVER_ERROR) {
      // The key exists and refuses to grow: the node's item size limit.
      rc = memcached_set(handle_, key.data(), key.size(), when_full.data(), when_full.size(),
                         expiry, 0);
    }
    return outcome(rc, {MEMCACHED_SUCCESS, MEMCACHED_STORED});
  });
}

NodeOutcome MemcachedNode::ensure_connected() {
  if (connected_) return {};
  return outcome(memcached_version(handle_), {MEMCACHED_SUCCESS});
}

}  // namespace clustered
