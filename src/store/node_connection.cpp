// SPDX-License-Identifier: BSD-3-Clause
#include "store/node_connection.h"

#include <cerrno>
#include <charconv>
#include <cstring>

#include "store/memcached_request.h"

namespace clustered {
namespace {

std::string in_ms(std::chrono::milliseconds value) { return std::to_string(value.count()) + " ms"; }

// strerror's words, lower-cased at the start to read inside a sentence.
std::string system_words(int error) {
  std::string words = std::strerror(error);
  if (!words.empty() && words[0] >= 'A' && words[0] <= 'Z') {
    words[0] = static_cast<char>(words[0] - 'A' + 'a');
  }
  return words;
}

}  // namespace

NodeConnection::NodeConnection(NodeAddress address, Timeouts timeouts, const Clock& clock)
    : address_(std::move(address)), timeouts_(timeouts), clock_(clock) {}

StoreReply NodeConnection::failed(const SocketResult& result, bool sending, bool reply_begun) {
  // After a timeout a late reply may still come on this socket; after anything
  // else the stream is in doubt. Closing it means neither can answer a later request.
  socket_.close();
  if (result.status == SocketStatus::kTimeout) {
    return Failure::of(Cause::kTimeout,
                            sending ? "the request could not be sent within "
                                      "clustered_session.io_timeout (" +
                                          in_ms(timeouts_.io) + ")"
                                    : "no complete reply within clustered_session.io_timeout (" +
                                          in_ms(timeouts_.io) + ")");
  }
  if (result.status == SocketStatus::kClosed) {
    return Failure::of(Cause::kDown,
                            reply_begun ? "connection closed by the server in the middle of a reply"
                                        : "connection closed by the server");
  }
  if (result.error == ECONNRESET || result.error == EPIPE) {
    return Failure::of(Cause::kDown, "connection reset by the server");
  }
  return Failure::of(Cause::kDown, "connection failed: " + system_words(result.error));
}

StoreReply NodeConnection::connect() {
  Deadline deadline(clock_, timeouts_.connect);
  deadline.start();
  const SocketResult result = socket_.connect(address_, deadline);
  switch (result.status) {
    case SocketStatus::kOk:
      ++opened_;
      return {};
    case SocketStatus::kTimeout:
      socket_.close();
      return Failure::of(Cause::kTimeout,
                              "no connection within clustered_session.connect_timeout (" +
                                  in_ms(timeouts_.connect) + ")");
    case SocketStatus::kRefused:
      return Failure::of(Cause::kDown, "connection refused");
    case SocketStatus::kUnresolved:
      return Failure::of(Cause::kDown, "cannot resolve the host name: " + result.detail);
    case SocketStatus::kClosed:
    case SocketStatus::kFailed:
      break;
  }
  socket_.close();
  return Failure::of(Cause::kDown, "cannot connect: " + system_words(result.error));
}

StoreReply NodeConnection::learn_settings(Deadline& deadline) {
  settings_ = {};
  Exchange settings = exchange(stats_request("settings"), ReplyTo::kStats, {}, 0, deadline);
  if (settings.parsed.bad()) return settings.parsed.reply;
  // A server that refuses "stats settings" (CLIENT_ERROR or SERVER_ERROR: the
  // request had no data block, so the stream is in step) is simply not checked.
  for (const auto& [name, value] : settings.parsed.stats) {
    if (name == "item_size_max") {
      std::uint64_t limit = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (ec == std::errc() && end == value.data() + value.size()) settings_.item_size_max = limit;
    } else if (name == "cas_enabled") {
      // "no": memcached -C, whose tokens are all 0 (store/memcached_reply.h).
      if (value == "yes") settings_.cas_enabled = true;
      if (value == "no") settings_.cas_enabled = false;
    }
  }
  Exchange stats = exchange(stats_request(), ReplyTo::kStats, {}, 0, deadline);
  if (stats.parsed.bad()) return stats.parsed.reply;
  settings_.identity = server_stats_of(stats.parsed.stats);
  return {};
}

StoreReply NodeConnection::open(Deadline& deadline, bool& reused) {
  reused = socket_.idle_and_clean();
  if (reused) return {};
  // Closed by the server while idle (a restart), inherited across fork, or never
  // opened: a fresh connection, before anything of this request was sent.
  socket_.close();
  if (StoreReply connected = connect(); !connected.ok()) return connected;
  return learn_settings(deadline);
}

NodeConnection::Exchange NodeConnection::exchange(std::string_view request, ReplyTo command,
                                                  std::string_view key, std::uint64_t max_value,
                                                  Deadline& deadline) {
  Exchange result;
  deadline.start();
  if (const SocketResult sent = socket_.send_all(request, deadline); !sent.ok()) {
    result.parsed.status = ParsedReply::Status::kBad;
    result.parsed.reply = failed(sent, true, false);
    return result;
  }
  result.sent = true;
  std::string received;
  for (;;) {
    if (const SocketResult got = socket_.receive(received, deadline); !got.ok()) {
      result.parsed.status = ParsedReply::Status::kBad;
      result.parsed.reply = failed(got, false, !received.empty());
      return result;
    }
    result.parsed =
        parse_reply(command, key, received, max_value == 0 ? kMaxValueBytes : max_value);
    if (result.parsed.status != ParsedReply::Status::kIncomplete) break;
  }
  // A bad reply leaves the stream out of step. (After an error line the caller
  // decides: memcached may have read a storage request's data block as commands.)
  if (result.parsed.bad()) socket_.close();
  return result;
}

}  // namespace clustered
