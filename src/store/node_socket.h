// SPDX-License-Identifier: BSD-3-Clause
// The socket of one connection to one memcached node, and the deadlines that
// bound everything done on it: non-blocking, every wait a poll() of at most what
// is left of the deadline, so a server that trickles or stops answering holds a
// worker no longer than the deadline (docs/design.md, section 3). Syscalls only:
// what a failure means, and its message, is store/node_connection.h's business.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/save_path.h"
#include "util/clock.h"

namespace clustered {

// When an operation must be over, on the injected clock's monotonic time. It
// starts when first needed (an operation's io_timeout runs from when its first
// byte can be sent, after connecting), and then keeps running: a retry on a new
// connection shares it.
class Deadline {
 public:
  Deadline(const Clock& clock, std::chrono::milliseconds budget) : clock_(clock), budget_(budget) {}

  void start() {
    if (!at_ms_) at_ms_ = clock_.monotonic_ms() + budget_.count();
  }
  // Milliseconds left (0 once passed); the whole budget while not started.
  int remaining_ms() const;
  std::chrono::milliseconds budget() const { return budget_; }

 private:
  const Clock& clock_;
  std::chrono::milliseconds budget_;
  std::optional<std::int64_t> at_ms_;
};

enum class SocketStatus : std::uint8_t {
  kOk,
  kRefused,     // connect: nothing listens there
  kUnresolved,  // connect: the host name does not resolve (detail: the resolver's words)
  kClosed,      // the server closed the connection
  kTimeout,     // the deadline passed
  kFailed,      // another error (error: errno)
};

struct SocketResult {
  SocketStatus status = SocketStatus::kOk;
  int error = 0;       // errno, for kFailed
  std::string detail;  // the resolver's words, for kUnresolved
  bool ok() const { return status == SocketStatus::kOk; }
};

class NodeSocket {
 public:
  NodeSocket() = default;
  ~NodeSocket() { close(); }
  NodeSocket(const NodeSocket&) = delete;
  NodeSocket& operator=(const NodeSocket&) = delete;

  bool is_open() const { return fd_ >= 0; }
  // Connects (TCP with TCP_NODELAY, or a unix socket) before `deadline`.
  SocketResult connect(const NodeAddress& address, const Deadline& deadline);
  // Whether an open connection is still as the last reply left it: opened by this
  // process (not inherited across fork), not closed or reset by the server, and
  // nothing arrived that was not asked for. Costs no round trip.
  bool idle_and_clean() const;
  SocketResult send_all(std::string_view bytes, const Deadline& deadline);
  // Waits for what arrives next and appends it to `into` (at least one byte);
  // `into` grows only by bytes received.
  SocketResult receive(std::string& into, const Deadline& deadline);
  void close();

 private:
  SocketResult connect_unix(const std::string& path);
  SocketResult connect_tcp(const NodeAddress& address, const Deadline& deadline);

  int fd_ = -1;
  pid_t owner_ = 0;  // the process that opened fd_
};

}  // namespace clustered
