// SPDX-License-Identifier: BSD-3-Clause
// The one connection of one MemcachedNode: opened on first use (so after fork;
// a connection inherited across fork is never used), kept across requests, and
// dropped whenever what happened on it leaves it in doubt (a timeout, a bad or
// error reply, a close). It sends a request and reads exactly its reply, all
// within the operation's deadline, and turns every failure into a StoreReply
// with a short message in plain words (docs/design.md, section 3). Opening it
// costs two round trips: "stats settings", for the node's item size limit and
// whether it gives CAS tokens, and "stats", for who the server is (a restart
// since the last contact is noticed before this connection writes anything).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/memcached_reply.h"
#include "store/node_socket.h"
#include "store/save_path.h"
#include "store/store_node.h"
#include "util/clock.h"

namespace clustered {

// clustered_session.connect_timeout and clustered_session.io_timeout.
struct Timeouts {
  std::chrono::milliseconds connect{100};
  std::chrono::milliseconds io{250};
};

// What "stats settings" and "stats" said when the connection opened.
struct ServerSettings {
  std::uint64_t item_size_max = 0;      // memcached -I; 0: not said
  std::optional<bool> cas_enabled;      // false: memcached -C; nullopt: not said
  std::optional<ServerStats> identity;  // pid and start time; nullopt: not said
};

class NodeConnection {
 public:
  NodeConnection(NodeAddress address, Timeouts timeouts, const Clock& clock);

  struct Exchange {
    ParsedReply parsed;  // complete or bad; on a failure, bad with its code (kDown, kTimeout ...)
    // The whole request reached the kernel: the server may have acted on it.
    bool sent = false;
  };

  // Makes sure a usable connection is open: keeps the current one when the
  // server has not closed it, else connects and reads the settings. `reused`
  // tells whether it was opened by an earlier call.
  StoreReply open(Deadline& deadline, bool& reused);
  // Sends `request` on the open connection and reads its reply (a reply about
  // `key`, a value of at most `max_value` bytes; 0: no limit known). A failure
  // or a bad reply drops the connection.
  Exchange exchange(std::string_view request, ReplyTo command, std::string_view key,
                    std::uint64_t max_value, Deadline& deadline);
  void drop() { socket_.close(); }

  const ServerSettings& settings() const { return settings_; }
  std::uint64_t opened() const { return opened_; }
  Deadline io_deadline() const { return Deadline(clock_, timeouts_.io); }

 private:
  StoreReply connect();
  StoreReply learn_settings(Deadline& deadline);
  // What a failure while sending or reading means, as a reply; the connection
  // is dropped.
  StoreReply failed(const SocketResult& result, bool sending, bool reply_begun);

  NodeAddress address_;
  Timeouts timeouts_;
  const Clock& clock_;
  NodeSocket socket_;
  ServerSettings settings_;
  std::uint64_t opened_ = 0;
};

}  // namespace clustered
