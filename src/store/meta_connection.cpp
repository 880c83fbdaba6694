// SPDX-License-Identifier: BSD-3-Clause
#include "store/meta_connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace clustered {
namespace {

constexpr std::size_t kMaxReplyLine = 1024;

bool wait_for(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd watched{fd, events, 0};
  for (;;) {
    const int ready = ::poll(&watched, 1, static_cast<int>(timeout.count()));
    if (ready >= 0) return ready == 1;
    if (errno != EINTR) return false;
  }
}

}  // namespace

StoreReply parse_meta_set_reply(std::string_view line) {
  if (line.starts_with("HD")) {
    StoreReply stored;
    // Flags follow as " <letter><token>"; ours is c<cas>.
    for (std::size_t at = line.find(" c"); at != std::string_view::npos;
         at = line.find(" c", at + 1)) {
      const char* begin = line.data() + at + 2;
      const char* end = line.data() + line.size();
      std::uint64_t cas = 0;
      const auto [stop, ec] = std::from_chars(begin, end, cas);
      if (ec == std::errc() && (stop == end || *stop == ' ')) {
        stored.cas = cas;
        return stored;
      }
    }
    return StoreReply::with(StoreCode::kBadReply,
                            "memcached stored the item but sent no CAS token: \"" +
                                std::string(line.substr(0, 80)) + "\"");
  }
  if (line.starts_with("EX")) return StoreReply::with(StoreCode::kExists, "EXISTS");
  if (line.starts_with("NF")) return StoreReply::with(StoreCode::kNotFound, "NOT_FOUND");
  if (line.starts_with("NS")) return StoreReply::with(StoreCode::kNotStored, "NOT_STORED");
  const std::string words(line.substr(0, 200));
  if (line.starts_with("SERVER_ERROR out of memory")) {
    return StoreReply::dropped(StoreCode::kOutOfMemory, "out of memory: " + words);
  }
  if (line.starts_with("SERVER_ERROR object too large")) {
    return StoreReply::dropped(StoreCode::kTooLarge, "too large: " + words);
  }
  if (line.starts_with("SERVER_ERROR") || line.starts_with("CLIENT_ERROR")) {
    return StoreReply::with(StoreCode::kRefused, words);
  }
  return StoreReply::with(StoreCode::kBadReply, "unexpected reply from memcached to a set: \"" +
                                                    std::string(line.substr(0, 80)) + "\"");
}

MetaConnection::MetaConnection(NodeAddress address, std::chrono::milliseconds connect_timeout,
                               std::chrono::milliseconds io_timeout)
    : address_(std::move(address)), connect_timeout_(connect_timeout), io_timeout_(io_timeout) {}

MetaConnection::~MetaConnection() { close(); }

void MetaConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

StoreReply MetaConnection::failure(StoreCode code, std::string message) {
  // The stream may be out of step (a late reply could be read as the next one's).
  close();
  last_was_timeout_ = code == StoreCode::kTimeout;
  // With libmemcached's words, as the node's other calls report these.
  if (code == StoreCode::kDown) message += " (CONNECTION FAILURE)";
  if (code == StoreCode::kTimeout) message += " (A TIMEOUT OCCURRED)";
  return StoreReply::with(code, std::move(message));
}

StoreReply MetaConnection::open() {
  int fd = -1;
  if (address_.is_unix()) {
    sockaddr_un where{};
    where.sun_family = AF_UNIX;
    std::memcpy(where.sun_path, address_.socket_path.c_str(), address_.socket_path.size() + 1);
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return failure(StoreCode::kDown, std::strerror(errno));
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&where), sizeof where) != 0) {
      const int error = errno;
      ::close(fd);
      return failure(StoreCode::kDown, std::string("connect: ") + std::strerror(error));
    }
    fd_ = fd;
    return {};
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address_.port);
  if (const int rc = ::getaddrinfo(address_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return failure(StoreCode::kDown, std::string("cannot resolve host: ") + gai_strerror(rc));
  }
  std::string error = "no address";
  StoreCode code = StoreCode::kDown;
  for (addrinfo* at = found; at != nullptr && fd_ < 0; at = at->ai_next) {
    fd = ::socket(at->ai_family, at->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, at->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, at->ai_addr, at->ai_addrlen) == 0 ||
        (errno == EINPROGRESS && wait_for(fd, POLLOUT, connect_timeout_))) {
      int so_error = 0;
      socklen_t length = sizeof so_error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length);
      if (so_error == 0) {
        const int on = 1;  // the request is one write; its reply must not wait on Nagle
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        fd_ = fd;
        break;
      }
      error = std::string("connect: ") + std::strerror(so_error);
    } else {
      error = errno == EINPROGRESS ? "connect timed out"
                                   : std::string("connect: ") + std::strerror(errno);
      if (errno == EINPROGRESS) code = StoreCode::kTimeout;
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) return failure(code, error);
  return {};
}

StoreReply MetaConnection::send_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd_, POLLOUT, io_timeout_))
        return failure(StoreCode::kTimeout, "send timed out");
      continue;
    }
    return failure(StoreCode::kDown, std::string("send: ") + std::strerror(errno));
  }
  return {};
}

StoreReply MetaConnection::read_line(std::string& line) {
  line.clear();
  char buffer[256];
  while (line.size() < kMaxReplyLine) {
    if (!wait_for(fd_, POLLIN, io_timeout_)) return failure(StoreCode::kTimeout, "timed out");
    // One byte at a time past what a reply line holds never happens: replies
    // to a set are one short line, and nothing else is ever asked here.
    const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
    if (got == 0) return failure(StoreCode::kDown, "connection closed by memcached");
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return failure(StoreCode::kDown, std::string("recv: ") + std::strerror(errno));
    }
    line.append(buffer, static_cast<std::size_t>(got));
    if (const auto end = line.find("\r\n"); end != std::string::npos) {
      if (end + 2 != line.size()) {
        return failure(StoreCode::kBadReply, "memcached sent more than the one reply asked for");
      }
      line.resize(end);
      return {};
    }
  }
  return failure(StoreCode::kBadReply, "reply line longer than any memcached reply");
}

StoreReply MetaConnection::set_once(std::string_view key, std::string_view value, time_t expiry,
                                    std::uint64_t expected) {
  if (fd_ < 0) {
    if (StoreReply opened = open(); !opened.ok()) return opened;
  }
  std::string request = "ms ";
  request.append(key);
  request += ' ' + std::to_string(value.size()) + " c T" + std::to_string(expiry);
  if (expected != 0) request += " C" + std::to_string(expected);
  request += "\r\n";
  request.append(value);
  request += "\r\n";
  if (StoreReply sent = send_all(request); !sent.ok()) return sent;
  std::string line;
  if (StoreReply read = read_line(line); !read.ok()) return read;
  last_was_timeout_ = false;
  StoreReply reply = parse_meta_set_reply(line);
  // An error line may leave the value unread by memcached: start afresh.
  if (reply.code == StoreCode::kRefused || reply.code == StoreCode::kBadReply ||
      reply.code == StoreCode::kTooLarge) {
    close();
  }
  return reply;
}

StoreReply MetaConnection::set(std::string_view key, std::string_view value, time_t expiry,
                               std::uint64_t expected) {
  const bool reused = fd_ >= 0;
  StoreReply reply = set_once(key, value, expiry, expected);
  // A kept-alive connection that memcached closed (it restarted) fails at once:
  // one fresh connection is tried. Never after a timeout (a frozen node).
  if (reply.code == StoreCode::kDown && reused && !last_was_timeout_) {
    reply = set_once(key, value, expiry, expected);
  }
  return reply;
}

}  // namespace clustered
