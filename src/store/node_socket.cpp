// SPDX-License-Identifier: BSD-3-Clause
#include "store/node_socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace clustered {
namespace {

// What one recv() may bring; the buffer it goes to grows by what it brought.
constexpr std::size_t kReceiveChunk = 16 * 1024;

SocketResult status(SocketStatus status, int error = 0) { return {status, error, {}}; }

// Waits until `fd` is ready for `events`, never past `deadline`. A poll that
// waited out what was left is the deadline passed, whatever the clock says: a
// clock that does not move (a test's stopped clock) never holds a worker longer.
SocketResult wait_for(int fd, short events, const Deadline& deadline) {
  for (;;) {
    const int left = deadline.remaining_ms();
    if (left <= 0) return status(SocketStatus::kTimeout);
    pollfd watched{fd, events, 0};
    const int ready = ::poll(&watched, 1, left);
    if (ready > 0) return {};
    if (ready == 0) return status(SocketStatus::kTimeout);
    if (errno != EINTR) return status(SocketStatus::kFailed, errno);
  }
}

// The outcome of a non-blocking connect that has finished.
int pending_error(int fd) {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

int open_socket(int family) {
  return ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

}  // namespace

int Deadline::remaining_ms() const {
  if (!at_ms_) return static_cast<int>(std::min<std::int64_t>(budget_.count(), INT_MAX));
  const std::int64_t left = *at_ms_ - clock_.monotonic_ms();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, INT_MAX));
}

void NodeSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

SocketResult NodeSocket::connect(const NodeAddress& address, const Deadline& deadline) {
  close();
  SocketResult result =
      address.is_unix() ? connect_unix(address.socket_path) : connect_tcp(address, deadline);
  if (result.ok()) owner_ = ::getpid();
  return result;
}

SocketResult NodeSocket::connect_unix(const std::string& path) {
  sockaddr_un where{};
  where.sun_family = AF_UNIX;
  // save_path refuses longer paths (store/save_path.h); never overrun sun_path.
  if (path.size() >= sizeof where.sun_path) return status(SocketStatus::kFailed, ENAMETOOLONG);
  std::memcpy(where.sun_path, path.c_str(), path.size() + 1);
  const int fd = open_socket(AF_UNIX);
  if (fd < 0) return status(SocketStatus::kFailed, errno);
  // A unix socket connects at once or not at all (EAGAIN: its backlog is full).
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&where), sizeof where) != 0) {
    const int error = errno;
    ::close(fd);
    return status(error == ECONNREFUSED ? SocketStatus::kRefused : SocketStatus::kFailed, error);
  }
  fd_ = fd;
  return {};
}

SocketResult NodeSocket::connect_tcp(const NodeAddress& address, const Deadline& deadline) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  if (const int rc = ::getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    SocketResult result = status(SocketStatus::kUnresolved);
    result.detail = rc == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(rc);
    return result;
  }
  SocketResult result = status(SocketStatus::kFailed, EADDRNOTAVAIL);
  // Every address the name has, in the resolver's order, within one deadline.
  for (addrinfo* at = found; at != nullptr && fd_ < 0; at = at->ai_next) {
    const int fd = open_socket(at->ai_family);
    if (fd < 0) {
      result = status(SocketStatus::kFailed, errno);
      continue;
    }
    int error = 0;
    if (::connect(fd, at->ai_addr, at->ai_addrlen) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        const SocketResult ready = wait_for(fd, POLLOUT, deadline);
        if (ready.status == SocketStatus::kTimeout) {
          ::close(fd);
          result = ready;
          break;
        }
        error = ready.ok() ? pending_error(fd) : ready.error;
      }
    }
    if (error != 0) {
      result =
          status(error == ECONNREFUSED ? SocketStatus::kRefused : SocketStatus::kFailed, error);
      ::close(fd);
      continue;
    }
    const int on = 1;  // a request is one write; its reply must not wait on Nagle
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    fd_ = fd;
    result = {};
  }
  ::freeaddrinfo(found);
  return result;
}

bool NodeSocket::idle_and_clean() const {
  if (fd_ < 0 || owner_ != ::getpid()) return false;
  // Readable while no request is out: end of file (the server closed it, e.g. a
  // restart), a reset, or bytes nobody asked for. Any of them ends this connection.
  pollfd watched{fd_, POLLIN, 0};
  int ready = 0;
  do {
    ready = ::poll(&watched, 1, 0);
  } while (ready < 0 && errno == EINTR);
  return ready == 0;
}

SocketResult NodeSocket::send_all(std::string_view bytes, const Deadline& deadline) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (SocketResult ready = wait_for(fd_, POLLOUT, deadline); !ready.ok()) return ready;
      continue;
    }
    return status(SocketStatus::kFailed, sent < 0 ? errno : EPIPE);
  }
  return {};
}

SocketResult NodeSocket::receive(std::string& into, const Deadline& deadline) {
  char chunk[kReceiveChunk];
  for (;;) {
    if (SocketResult ready = wait_for(fd_, POLLIN, deadline); !ready.ok()) return ready;
    const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got > 0) {
      into.append(chunk, static_cast<std::size_t>(got));
      return {};
    }
    if (got == 0) return status(SocketStatus::kClosed);
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
    return status(SocketStatus::kFailed, errno);
  }
}

}  // namespace clustered
