// SPDX-License-Identifier: BSD-3-Clause
#include "store/memcached_node.h"

#include <libmemcached/memcached.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>

namespace clustered {
namespace {

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

// "stats": pid, uptime, time and evictions; time - uptime is when the process
// started, by the server's own clock (a restart, even under the same pid, moves it).
struct StatsRead {
  ServerStats stats;
  std::int64_t uptime = 0;
  std::int64_t time = 0;
  int found = 0;
};

memcached_return_t read_server_stats(const memcached_instance_st*, const char* key,
                                     size_t key_length, const char* value, size_t value_length,
                                     void* context) {
  auto& read = *static_cast<StatsRead*>(context);
  const std::string_view name(key, key_length);
  const std::string text(value, value_length);
  const auto number = [&] { return std::strtoll(text.c_str(), nullptr, 10); };
  if (name == "pid") {
    read.stats.pid = number();
    ++read.found;
  } else if (name == "uptime") {
    read.uptime = number();
    ++read.found;
  } else if (name == "time") {
    read.time = number();
    ++read.found;
  } else if (name == "evictions") {
    read.stats.evictions = std::strtoull(text.c_str(), nullptr, 10);
  }
  return MEMCACHED_SUCCESS;
}

}  // namespace

MemcachedNode::MemcachedNode(NodeAddress address, Timeouts timeouts, const Clock& clock)
    : address_(std::move(address)),
      clock_(clock),
      handle_(memcached_create(nullptr)),
      meta_(address_, timeouts.connect, timeouts.io) {
  if (address_.is_unix()) {
    memcached_server_add_unix_socket(handle_, address_.socket_path.c_str());
  } else {
    memcached_server_add(handle_, address_.host.c_str(), address_.port);
  }
  const auto connect_ms = static_cast<uint64_t>(timeouts.connect.count());
  const auto io_ms = static_cast<uint64_t>(timeouts.io.count());
  memcached_behavior_set(handle_, MEMCACHED_BEHAVIOR_NO_BLOCK, 1);
  memcached_behavior_set(handle_, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
  // "gets": every read brings the item's CAS token (conditional writes).
  memcached_behavior_set(handle_, MEMCACHED_BEHAVIOR_SUPPORT_CAS, 1);
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

StoreReply MemcachedNode::unexpected_reply(std::string message) {
  last_was_timeout_ = false;
  drop_connection();
  return StoreReply::with(StoreCode::kBadReply, std::move(message));
}

std::string MemcachedNode::error_words(int code) const {
  const auto rc = static_cast<memcached_return_t>(code);
  // libmemcached keeps no message for the replies it maps to a code of its own
  // (memcached_last_error_message() says "SUCCESS"): memcached's words, then.
  switch (rc) {
    case MEMCACHED_SERVER_MEMORY_ALLOCATION_FAILURE:
      return "out of memory: SERVER_ERROR out of memory storing object (memcached's -m is "
             "full and it does not evict: -M, or the item's slab class has no page left)";
    case MEMCACHED_E2BIG:
      return "too large: SERVER_ERROR object too large for cache (memcached -I)";
    default:
      break;
  }
  const char* message = memcached_last_error_message(handle_);
  if (message == nullptr || *message == '\0' || std::string_view(message) == "SUCCESS") {
    return memcached_strerror(handle_, rc);
  }
  return message;
}

StoreReply MemcachedNode::outcome(int code, std::initializer_list<int> success_codes) {
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
  const auto failed = [&](StoreCode code) {
    StoreReply result = StoreReply::with(code, error_words(rc));
    // The node answered, but the stream may be out of step after an error reply.
    drop_connection();
    return result;
  };
  switch (rc) {
    case MEMCACHED_SUCCESS:
    case MEMCACHED_STORED:
    case MEMCACHED_DELETED:
    case MEMCACHED_END:
      connected_ = true;
      return {};
    case MEMCACHED_NOTFOUND:
      connected_ = true;
      return StoreReply::with(StoreCode::kNotFound);
    // Ordinary answers about the item, on a stream that stays in step.
    case MEMCACHED_NOTSTORED:
      connected_ = true;
      return StoreReply::with(StoreCode::kNotStored, memcached_last_error_message(handle_));
    case MEMCACHED_DATA_EXISTS:
      connected_ = true;
      return StoreReply::with(StoreCode::kExists, memcached_last_error_message(handle_));
    case MEMCACHED_E2BIG:
      return failed(StoreCode::kTooLarge);
    // "SERVER_ERROR out of memory storing object": memcached unlinked the item.
    case MEMCACHED_SERVER_MEMORY_ALLOCATION_FAILURE:
      return failed(StoreCode::kOutOfMemory);
    case MEMCACHED_SERVER_ERROR:
    case MEMCACHED_CLIENT_ERROR:
    case MEMCACHED_BAD_KEY_PROVIDED:
    case MEMCACHED_MEMORY_ALLOCATION_FAILURE:
      return failed(StoreCode::kRefused);
    case MEMCACHED_TIMEOUT:
      return failed(StoreCode::kTimeout);
    default:
      return failed(StoreCode::kDown);
  }
}

template <class Call>
StoreReply MemcachedNode::with_reconnect(Call call) {
  const bool reused = connected_;
  StoreReply result = call();
  // A kept-alive connection that the node closed (it restarted) fails at once:
  // one fresh connection is tried before the node counts as failed. Never after
  // a timeout, which would double the wait on a frozen node.
  if (node_failed(result.code) && reused && !last_was_timeout_) result = call();
  return result;
}

StoreReply MemcachedNode::get(std::string_view key) {
  return with_reconnect([&] { return get_once(key); });
}

StoreReply MemcachedNode::failed_get(int rc) {
  const auto code = static_cast<memcached_return_t>(rc);
  // A storage command's answer (NOT_STORED, EXISTS) does not fit a get: the
  // stream is out of step.
  if (code == MEMCACHED_NOTSTORED || code == MEMCACHED_DATA_EXISTS) {
    return unexpected_reply(std::string("memcached answered a get with \"") +
                            memcached_strerror(handle_, code) + "\"");
  }
  StoreReply failed = outcome(rc, {});
  // "out of memory" to a get concerns the reply, not a stored item.
  if (failed.code == StoreCode::kOutOfMemory) failed.code = StoreCode::kRefused;
  return failed;
}

StoreReply MemcachedNode::get_once(std::string_view key) {
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
                                                           : failed_get(rc);
  }
  const std::string_view got_key(memcached_result_key_value(found),
                                 memcached_result_key_length(found));
  const std::size_t length = memcached_result_length(found);
  const std::uint64_t cas = memcached_result_cas(found);
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
    StoreReply failed = failed_get(rc);
    if (!failed.ok() && failed.code != StoreCode::kNotFound) return failed;
    return unexpected_reply("memcached did not end the value with END");
  }
  connected_ = true;
  last_was_timeout_ = false;
  StoreReply result;
  result.value = std::move(value);
  result.cas = cas;
  return result;
}

StoreReply MemcachedNode::learn_item_size_max() {
  std::uint64_t limit = 0;
  StoreReply result =
      outcome(memcached_stat_execute(handle_, "settings", read_item_size_max, &limit),
              {MEMCACHED_SUCCESS, MEMCACHED_END});
  if (node_failed(result.code)) return result;
  // A node that does not say (or refuses "stats settings") is simply not checked.
  item_size_max_ = result.ok() && limit > 0 ? limit : kNoKnownLimit;
  return {};
}

time_t MemcachedNode::expiry(std::uint32_t ttl) const {
  return static_cast<time_t>(memcached_expiry(ttl, clock_.wall_s()));
}

StoreReply MemcachedNode::check_item_size(std::string_view key, std::string_view value) {
  const std::uint64_t item_size = key.size() + value.size() + kItemOverhead;
  if (item_size <= kSmallestItemSizeMax) return {};
  if (item_size_max_ == 0) {
    StoreReply learned = with_reconnect([&] { return learn_item_size_max(); });
    if (!learned.ok()) return learned;
  }
  if (item_size <= item_size_max_) return {};
  return StoreReply::with(StoreCode::kTooLarge,
                          "item of " + std::to_string(value.size()) +
                              " bytes is larger than the node's item size limit of " +
                              std::to_string(item_size_max_) + " bytes (memcached -I)");
}

StoreReply MemcachedNode::set(std::string_view key, std::string_view value, std::uint32_t ttl) {
  if (StoreReply checked = check_item_size(key, value); !checked.ok()) return checked;
  StoreReply result = with_reconnect([&] {
    return outcome(
        memcached_set(handle_, key.data(), key.size(), value.data(), value.size(), expiry(ttl), 0),
        {MEMCACHED_SUCCESS, MEMCACHED_STORED});
  });
  // memcached unlinks the stored item when it cannot store a SET ("Avoid stale
  // data persisting in cache because we failed alloc").
  result.stored_copy_dropped =
      result.code == StoreCode::kTooLarge || result.code == StoreCode::kOutOfMemory;
  return result;
}

StoreReply MemcachedNode::add(std::string_view key, std::string_view value, std::uint32_t ttl) {
  if (StoreReply checked = check_item_size(key, value); !checked.ok()) return checked;
  return with_reconnect([&] {
    const memcached_return_t rc =
        memcached_add(handle_, key.data(), key.size(), value.data(), value.size(), expiry(ttl), 0);
    // libmemcached reports an add of an existing key as DATA_EXISTS; memcached
    // itself says NOT_STORED, which is what the interface promises.
    return outcome(rc == MEMCACHED_DATA_EXISTS ? MEMCACHED_NOTSTORED : rc,
                   {MEMCACHED_SUCCESS, MEMCACHED_STORED});
  });
}

StoreReply MemcachedNode::cas(std::string_view key, std::string_view value, std::uint32_t ttl,
                              std::uint64_t cas) {
  if (StoreReply checked = check_item_size(key, value); !checked.ok()) return checked;
  // Never retried on a fresh connection: the first attempt may have stored.
  return outcome(memcached_cas(handle_, key.data(), key.size(), value.data(), value.size(),
                               expiry(ttl), 0, cas),
                 {MEMCACHED_SUCCESS, MEMCACHED_STORED});
}

StoreReply MemcachedNode::set_checked(std::string_view key, std::string_view value,
                                      std::uint32_t ttl, std::uint64_t expected_cas) {
  if (StoreReply checked = check_item_size(key, value); !checked.ok()) return checked;
  return meta_.set(key, value, expiry(ttl), expected_cas);
}

StoreReply MemcachedNode::append(std::string_view key, std::string_view value) {
  return with_reconnect([&] {
    return outcome(
        memcached_append(handle_, key.data(), key.size(), value.data(), value.size(), 0, 0),
        {MEMCACHED_SUCCESS, MEMCACHED_STORED});
  });
}

StoreReply MemcachedNode::touch(std::string_view key, std::uint32_t ttl) {
  return with_reconnect([&] {
    return outcome(memcached_touch(handle_, key.data(), key.size(), expiry(ttl)),
                   {MEMCACHED_SUCCESS});
  });
}

StoreReply MemcachedNode::remove(std::string_view key) {
  return with_reconnect([&] {
    return outcome(memcached_delete(handle_, key.data(), key.size(), 0),
                   {MEMCACHED_SUCCESS, MEMCACHED_DELETED});
  });
}

StoreReply MemcachedNode::stats(ServerStats& out) {
  return with_reconnect([&] {
    StatsRead read;
    StoreReply result = outcome(memcached_stat_execute(handle_, nullptr, read_server_stats, &read),
                                {MEMCACHED_SUCCESS, MEMCACHED_END});
    if (!result.ok()) return result;
    if (read.found < 3)
      return StoreReply::with(StoreCode::kRefused, "stats without pid/uptime/time");
    out = read.stats;
    out.started_at_s = read.time - read.uptime;
    return result;
  });
}

StoreReply MemcachedNode::ping() {
  if (connected_) return {};
  return outcome(memcached_version(handle_), {MEMCACHED_SUCCESS});
}

std::vector<std::unique_ptr<StoreNode>> memcached_nodes(std::vector<NodeAddress> addresses,
                                                        Timeouts timeouts, const Clock& clock) {
  std::vector<std::unique_ptr<StoreNode>> nodes;
  nodes.reserve(addresses.size());
  for (auto& address : addresses) {
    nodes.push_back(std::make_unique<MemcachedNode>(std::move(address), timeouts, clock));
  }
  return nodes;
}

}  // namespace clustered
