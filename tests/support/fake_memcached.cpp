// SPDX-License-Identifier: BSD-3-Clause
#include "support/fake_memcached.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "support/memcached_server.h"

namespace clustered::testing {
namespace {

// Only ever loopback: this helper must never listen on another address.
constexpr const char* kLoopback = "127.0.0.1";
// A line longer than this without CRLF is not a memcached command: drop the peer.
constexpr std::size_t kMaxLine = 64 * 1024;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("fake memcached: " + what + ": " + std::strerror(errno));
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> tokens;
  std::istringstream in(line);
  for (std::string token; in >> token;) tokens.push_back(token);
  return tokens;
}

bool is_storage(const std::string& command) {
  return command == "set" || command == "add" || command == "replace" || command == "append" ||
         command == "prepend" || command == "cas";
}

// The length of the data block that follows a command line, if it has one: the
// classic storage commands name it fifth, "ms" third.
std::optional<std::size_t> data_length(const std::vector<std::string>& tokens) {
  if (tokens.empty()) return std::nullopt;
  if (is_storage(tokens[0]) && tokens.size() >= 5)
    return std::strtoull(tokens[4].c_str(), nullptr, 10);
  if (tokens[0] == "ms" && tokens.size() >= 3) return std::strtoull(tokens[2].c_str(), nullptr, 10);
  return std::nullopt;
}

// Commands that never take a scripted action: connection housekeeping.
bool is_housekeeping(const std::string& command) {
  return command == "version" || command == "stats" || command == "quit" ||
         command == "verbosity" || command == "mn";
}

// A meta command's flags (the tokens after the key, or after the data length of
// "ms"): letter -> the rest of the token.
std::map<char, std::string> meta_flags(const std::vector<std::string>& tokens, std::size_t from) {
  std::map<char, std::string> flags;
  for (std::size_t i = from; i < tokens.size(); ++i) {
    if (!tokens[i].empty()) flags[tokens[i][0]] = tokens[i].substr(1);
  }
  return flags;
}

}  // namespace

struct FakeMemcached::Connection {
  int fd = -1;
  std::string input;
  bool hung = false;
  // Replies not sent yet, in order; each goes out once its time has come.
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> output;
  bool close_after_output = false;
};

FakeMemcached::FakeMemcached() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) fail("socket");
  const int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  inet_pton(AF_INET, kLoopback, &address.sin_addr);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail("bind");
  if (listen(listen_fd_, 16) != 0) fail("listen");
  socklen_t length = sizeof address;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  if (pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) fail("pipe");
  thread_ = std::thread([this] { run(); });
}

FakeMemcached::~FakeMemcached() {
  stopping_ = true;
  const char byte = 'x';
  [[maybe_unused]] const ssize_t ignored = write(wake_pipe_[1], &byte, 1);
  if (thread_.joinable()) thread_.join();
  for (auto& connection : connections_) close(connection->fd);
  close(listen_fd_);
  close(wake_pipe_[0]);
  close(wake_pipe_[1]);
}

NodeAddress FakeMemcached::address(const std::string& id) const { return loopback_node(id, port_); }

void FakeMemcached::push(Action action) {
  std::lock_guard lock(mutex_);
  script_.push_back(std::move(action));
}

void FakeMemcached::put(const std::string& key, std::string value) {
  std::lock_guard lock(mutex_);
  store_[key] = std::move(value);
  cas_[key] = ++last_cas_;
}

std::vector<std::string> FakeMemcached::commands() const {
  std::lock_guard lock(mutex_);
  return commands_;
}

std::vector<std::string> FakeMemcached::item_commands() const {
  std::lock_guard lock(mutex_);
  return item_commands_;
}

std::size_t FakeMemcached::connections_open() const {
  std::lock_guard lock(mutex_);
  return open_count_;
}

std::size_t FakeMemcached::script_left() const {
  std::lock_guard lock(mutex_);
  return script_.size();
}

bool FakeMemcached::wait_for_item_commands(std::size_t count,
                                           std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return item_commands_.size() >= count; });
}

bool FakeMemcached::send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

void FakeMemcached::accept_one() {
  const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  auto connection = std::make_unique<Connection>();
  connection->fd = fd;
  connections_.push_back(std::move(connection));
  accepted_.fetch_add(1);
  std::lock_guard lock(mutex_);
  ++open_count_;
  changed_.notify_all();
}

void FakeMemcached::answer_healthy(Connection& connection, const std::string& line,
                                   const std::string& data) {
  const std::vector<std::string> tokens = split(line);
  const std::string& command = tokens.empty() ? line : tokens[0];
  const bool noreply = !tokens.empty() && tokens.back() == "noreply";
  std::string reply;
  std::lock_guard lock(mutex_);
  const auto stored = [&](const std::string& key, std::string value) {
    store_[key] = std::move(value);
    cas_[key] = ++last_cas_;
  };
  if (command == "get" || command == "gets") {
    for (std::size_t i = 1; i < tokens.size(); ++i) {
      const auto found = store_.find(tokens[i]);
      if (found == store_.end()) continue;
      reply += "VALUE " + tokens[i] + " 0 " + std::to_string(found->second.size());
      if (command == "gets") reply += " " + std::to_string(cas_[tokens[i]]);
      reply += "\r\n" + found->second + "\r\n";
    }
    reply += "END\r\n";
  } else if (command == "mg" && tokens.size() >= 2) {
    const std::string& key = tokens[1];
    const auto flags = meta_flags(tokens, 2);
    const auto found = store_.find(key);
    const std::string echoed = flags.count('k') != 0 ? " k" + key : std::string();
    if (found == store_.end()) {
      reply = "EN" + echoed + "\r\n";
    } else {
      std::string returned = echoed;
      if (flags.count('c') != 0) returned += " c" + std::to_string(cas_[key]);
      if (flags.count('v') != 0) {
        reply = "VA " + std::to_string(found->second.size()) + returned + "\r\n" + found->second +
                "\r\n";
      } else {
        reply = "HD" + returned + "\r\n";
      }
    }
  } else if (command == "ms" && tokens.size() >= 3) {
    const std::string& key = tokens[1];
    const auto flags = meta_flags(tokens, 3);
    const bool exists = store_.count(key) != 0;
    const std::string mode = flags.count('M') != 0 ? flags.at('M') : "S";
    const std::string token = flags.count('c') != 0 ? " c" : "";
    if (flags.count('C') != 0 && !exists) {
      reply = "NF" + (token.empty() ? "" : token + "0") + "\r\n";
    } else if (flags.count('C') != 0 && std::to_string(cas_[key]) != flags.at('C')) {
      reply = "EX" + (token.empty() ? "" : token + "0") + "\r\n";
    } else if ((mode == "E" && exists) || (mode == "A" && !exists)) {
      reply = "NS" + (token.empty() ? "" : token + "0") + "\r\n";
    } else {
      stored(key, mode == "A" ? store_[key] + data : data);
      reply = "HD" + (token.empty() ? "" : token + std::to_string(cas_[key])) + "\r\n";
    }
  } else if (command == "md" && tokens.size() >= 2) {
    reply = store_.erase(tokens[1]) != 0 ? "HD\r\n" : "NF\r\n";
  } else if (command == "mn") {
    reply = "MN\r\n";
  } else if (is_storage(command) && tokens.size() >= 5) {
    const bool exists = store_.count(tokens[1]) != 0;
    if (command == "cas" && !exists) {
      reply = "NOT_FOUND\r\n";
    } else if (command == "cas" &&
               (tokens.size() < 6 || std::to_string(cas_[tokens[1]]) != tokens[5])) {
      reply = "EXISTS\r\n";
    } else if ((command == "add" && exists) ||
               ((command == "replace" || command == "append" || command == "prepend") && !exists)) {
      reply = "NOT_STORED\r\n";
    } else {
      std::string value = data;
      if (command == "append") value = store_[tokens[1]] + data;
      if (command == "prepend") value = data + store_[tokens[1]];
      stored(tokens[1], std::move(value));
      reply = "STORED\r\n";
    }
  } else if (command == "touch" && tokens.size() >= 3) {
    reply = store_.count(tokens[1]) != 0 ? "TOUCHED\r\n" : "NOT_FOUND\r\n";
  } else if (command == "delete" && tokens.size() >= 2) {
    reply = store_.erase(tokens[1]) != 0 ? "DELETED\r\n" : "NOT_FOUND\r\n";
  } else if (command == "version") {
    reply = "VERSION 1.6.18-fake\r\n";
  } else if (command == "stats") {
    if (tokens.size() >= 2 && tokens[1] == "settings") {
      reply = "STAT item_size_max 1048576\r\nSTAT cas_enabled yes\r\nEND\r\n";
    } else {
      reply = "STAT pid 1\r\nSTAT uptime 10\r\nSTAT time 1700000010\r\nEND\r\n";
    }
  } else if (command == "verbosity") {
    reply = "OK\r\n";
  } else {
    reply = "ERROR\r\n";
  }
  if (!noreply) connection.output.emplace_back(std::chrono::steady_clock::now(), reply);
}

bool FakeMemcached::serve(Connection& connection) {
  for (;;) {
    const std::size_t end = connection.input.find("\r\n");
    if (end == std::string::npos) return connection.input.size() <= kMaxLine;
    const std::string line = connection.input.substr(0, end);
    const std::vector<std::string> tokens = split(line);
    const std::string command = tokens.empty() ? std::string() : tokens[0];
    std::size_t consumed = end + 2;
    std::string data;
    if (const std::optional<std::size_t> length = data_length(tokens)) {
      const std::size_t bytes = *length;
      if (connection.input.size() < consumed + bytes + 2) return true;  // wait for the data
      data = connection.input.substr(consumed, bytes);
      consumed += bytes + 2;
    }
    connection.input.erase(0, consumed);
    {
      std::lock_guard lock(mutex_);
      commands_.push_back(line);
      if (!is_housekeeping(command)) item_commands_.push_back(line);
      changed_.notify_all();
    }
    if (connection.hung) continue;  // swallowed: this connection never answers again
    if (command == "quit") return false;
    if (is_housekeeping(command)) {
      answer_healthy(connection, line, data);
      continue;
    }
    Action action = Action::healthy();
    {
      std::lock_guard lock(mutex_);
      if (!script_.empty()) {
        action = std::move(script_.front());
        script_.pop_front();
      }
    }
    const auto now = std::chrono::steady_clock::now();
    switch (action.kind) {
      case Action::Kind::kHealthy:
        answer_healthy(connection, line, data);
        break;
      case Action::Kind::kReply:
        connection.output.emplace_back(now, std::move(action.bytes));
        break;
      case Action::Kind::kReplyThenClose:
        connection.output.emplace_back(now, std::move(action.bytes));
        connection.close_after_output = true;
        connection.hung = true;  // nothing after this is answered
        break;
      case Action::Kind::kHang:
        connection.hung = true;
        break;
      case Action::Kind::kDelayedReply:
        connection.output.emplace_back(now + action.delay, std::move(action.bytes));
        break;
      case Action::Kind::kTrickle:
        for (std::size_t i = 0; i < action.bytes.size(); ++i) {
          connection.output.emplace_back(now + action.delay * static_cast<int>(i + 1),
                                         std::string(1, action.bytes[i]));
        }
        break;
    }
  }
}

void FakeMemcached::run() {
  while (!stopping_) {
    std::vector<pollfd> fds;
    fds.push_back({wake_pipe_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    auto wait = std::chrono::milliseconds(200);
    const auto now = std::chrono::steady_clock::now();
    for (const auto& connection : connections_) {
      fds.push_back({connection->fd, POLLIN, 0});
      if (!connection->output.empty()) {
        const auto due = std::chrono::duration_cast<std::chrono::milliseconds>(
            connection->output.front().first - now);
        wait = std::clamp(due, std::chrono::milliseconds(0), wait);
      }
    }
    if (poll(fds.data(), fds.size(), static_cast<int>(wait.count())) < 0 && errno != EINTR) return;
    if (stopping_) return;
    if ((fds[1].revents & POLLIN) != 0) accept_one();

    std::vector<std::unique_ptr<Connection>> kept;
    for (std::size_t i = 0; i < connections_.size(); ++i) {
      Connection& connection = *connections_[i];
      bool open = true;
      // Only sockets that were polled (accept_one may just have added one).
      const short events = i + 2 < fds.size() ? fds[i + 2].revents : 0;
      if ((events & (POLLIN | POLLHUP | POLLERR)) != 0) {
        char chunk[65536];
        const ssize_t got = recv(connection.fd, chunk, sizeof chunk, MSG_DONTWAIT);
        if (got > 0) {
          connection.input.append(chunk, static_cast<std::size_t>(got));
          open = serve(connection);
        } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
          open = false;
        }
      }
      const auto sent_at = std::chrono::steady_clock::now();
      while (open && !connection.output.empty() && connection.output.front().first <= sent_at) {
        open = send_all(connection.fd, connection.output.front().second);
        connection.output.pop_front();
      }
      if (open && connection.close_after_output && connection.output.empty()) open = false;
      if (open) {
        kept.push_back(std::move(connections_[i]));
      } else {
        close(connection.fd);
        std::lock_guard lock(mutex_);
        --open_count_;
        changed_.notify_all();
      }
    }
    connections_ = std::move(kept);
  }
}

}  // namespace clustered::testing
