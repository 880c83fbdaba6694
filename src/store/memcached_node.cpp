// SPDX-License-Identifier: BSD-3-Clause
#include "store/memcached_node.h"

#include <charconv>
#include <utility>

#include "store/memcached_request.h"

namespace clustered {
namespace {

// memcached stores an item of ~59 bytes of header + key + 1 + value + 2 (CRLF) and
// refuses it when that exceeds item_size_max.
constexpr std::uint64_t kItemOverhead = 64;

// A failure of the call itself (no reply to read), as ParsedReply carries it.
ParsedReply failed(StoreReply reply) {
  ParsedReply parsed;
  parsed.status = ParsedReply::Status::kBad;
  parsed.reply = std::move(reply);
  return parsed;
}

// "ms" answers a refusal by unlinking the stored item in every mode (memcached
// 1.6.18, proto_text.c: "Avoid stale data persisting in cache because we failed
// alloc"), the classic add, append and cas do not (store/memcached_request.h).
bool is_meta_set(ReplyTo command) {
  return command == ReplyTo::kSet || command == ReplyTo::kSetChecked ||
         command == ReplyTo::kSetCompare || command == ReplyTo::kSetAdd;
}

}  // namespace

MemcachedNode::MemcachedNode(NodeAddress address, Timeouts timeouts, const Clock& clock)
    : address_(std::move(address)), clock_(clock), connection_(address_, timeouts, clock) {}

std::uint32_t MemcachedNode::expiry(std::uint32_t ttl) const {
  return memcached_expiry(ttl, clock_.wall_s());
}

void MemcachedNode::note_connection() {
  if (connection_.opened() == settings_seen_) return;
  // A new connection may reach another server process: what it said decides.
  settings_seen_ = connection_.opened();
  cas_supported_ = connection_.settings().cas_enabled;
}

void MemcachedNode::note_token(const ParsedReply& parsed) {
  // memcached -C answers every token as 0 ("VA ... c0", "HD c0"); a server with
  // tokens never gives an item 0. (EX, NF and NS say "c0" on any server: there
  // is no item whose token they could tell, so they are not counted here.)
  if (parsed.complete() && parsed.reply.ok() && parsed.token) cas_supported_ = *parsed.token != 0;
}

std::optional<Failure> MemcachedNode::refuses_size(std::string_view key,
                                                   std::size_t value_size) const {
  const std::uint64_t limit = connection_.settings().item_size_max;
  if (limit == 0 || key.size() + value_size + kItemOverhead <= limit) return std::nullopt;
  const std::size_t item = key.size() + value_size + kItemOverhead;
  return Failure::of(Cause::kTooLarge,
                     "item of " + std::to_string(item) + " bytes (a value of " +
                         std::to_string(value_size) + " bytes, its key and memcached's " +
                         std::to_string(kItemOverhead) +
                         " bytes per item) is larger than the node's item size limit of " +
                         std::to_string(limit) + " bytes (memcached -I)");
}

std::optional<StoreReply> MemcachedNode::refuse_before_sending(const Call& call) const {
  if (call.needs_cas && cas_supported_ == false) {
    return Failure::of(Cause::kNoCas,
                       "the server gives no CAS tokens (memcached -C), which conditional "
                       "writes need: restart it without -C; nothing was stored");
  }
  if (call.value_size) {
    if (std::optional<Failure> refused = refuses_size(call.key, *call.value_size)) return *refused;
  }
  return std::nullopt;
}

ParsedReply MemcachedNode::run(const Call& call, const std::string& request) {
  // Never sent: it could break the request line, or memcached would refuse it.
  if (!valid_memcached_key(call.key) && call.command != ReplyTo::kStats) {
    return failed(
        Failure::of(Cause::kRefused, "key of " + std::to_string(call.key.size()) +
                                         " bytes is not a memcached key (1 to 250 bytes, no "
                                         "spaces or control bytes)"));
  }
  Deadline deadline = connection_.io_deadline();
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    if (StoreReply opened = connection_.open(deadline, reused); !opened.ok()) {
      return failed(std::move(opened));
    }
    note_connection();
    if (std::optional<StoreReply> refused = refuse_before_sending(call)) {
      ParsedReply parsed;
      parsed.status = ParsedReply::Status::kComplete;
      parsed.reply = std::move(*refused);
      return parsed;
    }
    NodeConnection::Exchange exchange = connection_.exchange(
        request, call.command, call.key, connection_.settings().item_size_max, deadline);
    if (exchange.parsed.complete()) {
      // After an error line memcached may read a request's data block as
      // commands: the next call starts on a fresh connection.
      if (exchange.parsed.error_line) connection_.drop();
      note_token(exchange.parsed);
      return std::move(exchange.parsed);
    }
    const bool again = attempt == 0 && reused && exchange.parsed.reply.cause() != Cause::kTimeout &&
                       (call.repeatable || !exchange.sent);
    if (!again) return std::move(exchange.parsed);
  }
}

StoreReply MemcachedNode::stored(const Call& call, ParsedReply parsed) {
  StoreReply reply = std::move(parsed.reply);
  if (call.needs_cas && reply.ok() && parsed.token == std::uint64_t{0}) {
    // The server had not said beforehand that it gives no tokens.
    return Failure::of(Cause::kNoCas,
                       "the server gives no CAS tokens (memcached -C), which conditional "
                       "writes need: restart it without -C; this write was stored without "
                       "one");
  }
  // Only memcached's own refusal (an error line) dropped anything: a value this
  // node refused before sending left the stored copy as it was.
  if (is_meta_set(call.command) && parsed.error_line &&
      (reply.cause() == Cause::kTooLarge || reply.cause() == Cause::kOutOfMemory)) {
    return Failure::dropped(reply.cause(), reply.error());
  }
  return reply;
}

StoreReply MemcachedNode::get(std::string_view key) {
  return run(Call{.command = ReplyTo::kGet, .key = key}, get_request(key)).reply;
}

StoreReply MemcachedNode::set(std::string_view key, std::string_view value, std::uint32_t ttl) {
  const Call call{.command = ReplyTo::kSet, .key = key, .value_size = value.size()};
  return stored(call, run(call, set_request(key, value, expiry(ttl), false, 0)));
}

StoreReply MemcachedNode::set_checked(std::string_view key, std::string_view value,
                                      std::uint32_t ttl, std::uint64_t expected_cas) {
  // Unconditional, it may go out again (the same bytes under the key); a
  // conditional one that went out may have stored, and a second try would be
  // refused by the token it changed itself.
  const Call call{.command = expected_cas == 0 ? ReplyTo::kSetChecked : ReplyTo::kSetCompare,
                  .key = key,
                  .value_size = value.size(),
                  .needs_cas = true,
                  .repeatable = expected_cas == 0};
  return stored(call, run(call, set_request(key, value, expiry(ttl), true, expected_cas)));
}

StoreReply MemcachedNode::add_checked(std::string_view key, std::string_view value,
                                      std::uint32_t ttl) {
  // Never sent twice: a first one that went out may have stored.
  const Call call{.command = ReplyTo::kSetAdd,
                  .key = key,
                  .value_size = value.size(),
                  .needs_cas = true,
                  .repeatable = false};
  return stored(call, run(call, add_checked_request(key, value, expiry(ttl))));
}

StoreReply MemcachedNode::add(std::string_view key, std::string_view value, std::uint32_t ttl) {
  const Call call{
      .command = ReplyTo::kAdd, .key = key, .value_size = value.size(), .repeatable = false};
  return stored(call, run(call, add_request(key, value, expiry(ttl))));
}

StoreReply MemcachedNode::cas(std::string_view key, std::string_view value, std::uint32_t ttl,
                              std::uint64_t cas) {
  const Call call{.command = ReplyTo::kCas,
                  .key = key,
                  .value_size = value.size(),
                  .needs_cas = true,
                  .repeatable = false};
  return stored(call, run(call, cas_request(key, value, expiry(ttl), cas)));
}

StoreReply MemcachedNode::append(std::string_view key, std::string_view value) {
  // memcached refuses appended data that alone exceeds the limit as too large.
  const Call call{
      .command = ReplyTo::kAppend, .key = key, .value_size = value.size(), .repeatable = false};
  return stored(call, run(call, append_request(key, value)));
}

StoreReply MemcachedNode::touch(std::string_view key, std::uint32_t ttl) {
  return run(Call{.command = ReplyTo::kTouch, .key = key}, touch_request(key, expiry(ttl))).reply;
}

StoreReply MemcachedNode::remove(std::string_view key) {
  return run(Call{.command = ReplyTo::kDelete, .key = key}, delete_request(key)).reply;
}

StoreReply MemcachedNode::stats(ServerStats& out) {
  ParsedReply parsed = run(Call{.command = ReplyTo::kStats}, stats_request());
  if (!parsed.complete() || !parsed.reply.ok()) return std::move(parsed.reply);
  const std::optional<ServerStats> read = server_stats_of(parsed.stats);
  if (!read) return Failure::of(Cause::kRefused, "stats without pid/uptime/time");
  out = *read;
  return {};
}

StoreReply MemcachedNode::ping() {
  Deadline deadline = connection_.io_deadline();
  bool reused = false;
  StoreReply opened = connection_.open(deadline, reused);
  note_connection();
  return opened;
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
