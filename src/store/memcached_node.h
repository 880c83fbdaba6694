// One libmemcached handle for one memcached node. libmemcached never picks or
// ejects servers here: each handle holds exactly one server, and the shared health
// table decides whether the node is tried at all.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "sid/save_path.h"
#include "util/result.h"

struct memcached_st;

namespace clustered {

struct Timeouts {
  std::chrono::milliseconds connect{100};
  std::chrono::milliseconds io{250};
};

// How an operation ended: the node answered (whatever it said), or it did not.
enum class Reply {
  kOk,
  kNotFound,   // get/touch/delete of a missing key
  kRefused,    // the node answered with an error for this item (too large, ...)
  kNodeFailed  // connection refused, timeout, broken reply: the node is suspect
};

struct NodeOutcome {
  Reply reply = Reply::kOk;
  std::string message;               // libmemcached's own message when reply != kOk
  std::optional<std::string> value;  // for get
};

class MemcachedNode {
 public:
  MemcachedNode(NodeAddress address, Timeouts timeouts);
  ~MemcachedNode();
  MemcachedNode(const MemcachedNode&) = delete;
  MemcachedNode& operator=(const MemcachedNode&) = delete;

  const NodeAddress& address() const { return address_; }

  NodeOutcome get(std::string_view key);
  NodeOutcome set(std::string_view key, std::string_view value, std::uint32_t ttl_seconds);
  NodeOutcome touch(std::string_view key, std::uint32_t ttl_seconds);
  NodeOutcome remove(std::string_view key);
  // Appends `line` to the value under `key`, creating it with `ttl_seconds` when it
  // is missing (an append keeps the item's first expiry). When the value cannot
  // grow (item size limit), it is replaced by `when_full`, a line that stands for
  // everything the lost lines could have said.
  NodeOutcome append_line(std::string_view key, std::string_view line, std::string_view when_full,
                          std::uint32_t ttl_seconds);
  // Opens the connection if it is not open (one "version" exchange, no item op).
  NodeOutcome ensure_connected();

 private:
  // How a libmemcached return code reads for an operation that may legitimately
  // end only with one of `success_codes`.
  NodeOutcome outcome(int rc, std::initializer_list<int> success_codes);
  // The reply did not fit the request (another key, a second value, a line meant
  // for another command): the stream is out of step, the connection is dropped.
  NodeOutcome unexpected_reply(std::string message);
  template <class Call>
  NodeOutcome with_reconnect(Call call);
  NodeOutcome get_once(std::string_view key);
  void drop_connection();
  // Reads the node's item size limit ("stats settings" item_size_max) once per
  // connection, so that over-size values are refused before they are sent.
  NodeOutcome learn_item_size_max();

  NodeAddress address_;
  memcached_st* handle_ = nullptr;
  bool connected_ = false;
  bool last_was_timeout_ = false;
  std::uint64_t item_size_max_ = 0;  // 0 = not known yet for this connection
};

// memcached reads an expiry over 30 days as an absolute Unix time.
std::uint32_t memcached_expiry(std::uint32_t ttl_seconds, std::int64_t unix_now);

}  // namespace clustered
