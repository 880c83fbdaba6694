// SPDX-License-Identifier: BSD-3-Clause
#include "support/memcached_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace clustered::testing {
namespace {

// Only ever loopback: these helpers must never reach another address.
constexpr const char* kLoopback = "127.0.0.1";

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, kLoopback, &address.sin_addr);
  return address;
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("memcached test server: " + what);
}

// A connected socket to 127.0.0.1:port, or -1.
int connect_to(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval timeout{};
  timeout.tv_sec = 5;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  const sockaddr_in address = loopback(port);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

class Connection {
 public:
  explicit Connection(std::uint16_t port) : fd_(connect_to(port)) {
    if (fd_ < 0) fail("cannot connect to port " + std::to_string(port));
  }
  ~Connection() { close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent <= 0) fail(std::string("send failed: ") + std::strerror(errno));
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
  }

  // Reads until `size` bytes are buffered.
  void fill(std::size_t size) {
    char chunk[65536];
    while (buffer_.size() < size) {
      const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) fail("connection closed or timed out while reading a reply");
      buffer_.append(chunk, static_cast<std::size_t>(got));
    }
  }

  std::string line() {
    for (;;) {
      if (const auto end = buffer_.find("\r\n"); end != std::string::npos) {
        std::string result = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return result;
      }
      fill(buffer_.size() + 1);
    }
  }

  std::string bytes(std::size_t size) {
    fill(size);
    std::string result = buffer_.substr(0, size);
    buffer_.erase(0, size);
    return result;
  }

 private:
  int fd_;
  std::string buffer_;
};

void check_key(std::string_view key) {
  for (unsigned char c : key) {
    if (c <= 0x20 || c == 0x7f) fail("raw helper refuses a key with a space or control byte");
  }
}

}  // namespace

std::uint16_t free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket() failed");
  sockaddr_in address = loopback(0);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    fail("cannot bind 127.0.0.1:0");
  }
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

MemcachedServer::MemcachedServer() : MemcachedServer(Options{}) {}

MemcachedServer::MemcachedServer(Options options) : options_(std::move(options)) {
  // Another process may grab the port between free_port() and memcached's bind;
  // then memcached exits and we try another port.
  for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) {
    port_ = free_port();
    try {
      start();
    } catch (const std::exception&) {
      if (attempt == 4) throw;
    }
  }
}

MemcachedServer::~MemcachedServer() { stop(); }

NodeAddress loopback_node(const std::string& id, std::uint16_t port) {
  NodeAddress node;
  node.id = id;
  node.host = kLoopback;
  node.port = port;
  return node;
}

NodeAddress MemcachedServer::address(const std::string& id) const {
  return loopback_node(id, port_);
}

std::string MemcachedServer::endpoint() const {
  return std::string(kLoopback) + ":" + std::to_string(port_);
}

void MemcachedServer::start() {
  std::vector<std::string> args = {
      "memcached", "-u", "nobody", "-l", kLoopback, "-p", std::to_string(port_),
      "-U",        "0",  "-m",     "64", "-t",      "2"};
  if (!options_.max_item_size.empty()) {
    args.emplace_back("-I");
    args.push_back(options_.max_item_size);
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // As root, the child drops to nobody itself before exec (memcached then ignores
  // its -u), so that the parent-death signal set afterwards survives: memcached's
  // own setuid() would clear it, and a test that crashes would leave it running.
  uid_t nobody_uid = 0;
  gid_t nobody_gid = 0;
  const bool drop = geteuid() == 0;
  if (drop) {
    const passwd* nobody = getpwnam("nobody");
    if (nobody == nullptr) fail("no user nobody");
    nobody_uid = nobody->pw_uid;
    nobody_gid = nobody->pw_gid;
  }
  const pid_t parent = getpid();

  const pid_t child = fork();
  if (child < 0) fail("fork failed");
  if (child == 0) {
    // Own process group, so a terminal's ^C does not reach it twice.
    setpgid(0, 0);
    const int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, STDIN_FILENO);
      dup2(null, STDOUT_FILENO);
    }
    if (drop &&
        (setgroups(0, nullptr) != 0 || setgid(nobody_gid) != 0 || setuid(nobody_uid) != 0)) {
      _exit(126);
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(125);  // the test died before prctl()
    execvp("memcached", argv.data());
    _exit(127);
  }
  pid_ = child;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      fail("memcached exited at start (port " + std::to_string(port_) + ", status " +
           std::to_string(status) + ")");
    }
    if (const int fd = connect_to(port_); fd >= 0) {
      close(fd);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop();
  fail("memcached did not accept connections within 5 s");
}

void MemcachedServer::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGCONT);  // a frozen process still dies of SIGKILL, but be explicit
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void MemcachedServer::freeze() {
  if (pid_ <= 0) return;
  kill(pid_, SIGSTOP);
  // kill() returns before every thread has stopped; a worker could still answer
  // one more request. Wait for the group stop, which waitpid() reports.
  int status = 0;
  while (waitpid(pid_, &status, WUNTRACED) < 0 && errno == EINTR) {
  }
  if (!WIFSTOPPED(status)) fail("memcached did not stop");
}

void MemcachedServer::thaw() {
  if (pid_ <= 0) return;
  kill(pid_, SIGCONT);
  int status = 0;
  while (waitpid(pid_, &status, WCONTINUED) < 0 && errno == EINTR) {
  }
}

void MemcachedServer::restart() {
  stop();
  start();
}

std::map<std::string, std::string> MemcachedServer::stats() const {
  Connection connection(port_);
  connection.send_all("stats\r\n");
  std::map<std::string, std::string> result;
  for (;;) {
    const std::string line = connection.line();
    if (line == "END") break;
    // STAT <name> <value>
    if (!line.starts_with("STAT ")) fail("unexpected stats line: " + line);
    const auto space = line.find(' ', 5);
    if (space == std::string::npos) fail("unexpected stats line: " + line);
    result[line.substr(5, space - 5)] = line.substr(space + 1);
  }
  return result;
}

std::uint64_t MemcachedServer::stat(const std::string& name) const {
  const auto all = stats();
  const auto found = all.find(name);
  if (found == all.end()) fail("memcached has no stat named " + name);
  return std::stoull(found->second);
}

std::optional<std::string> MemcachedServer::get(std::string_view key) const {
  check_key(key);
  Connection connection(port_);
  connection.send_all("get " + std::string(key) + "\r\n");
  const std::string header = connection.line();
  if (header == "END") return std::nullopt;
  // VALUE <key> <flags> <bytes>
  if (!header.starts_with("VALUE ")) fail("unexpected get reply: " + header);
  const auto last_space = header.rfind(' ');
  const std::size_t size = std::stoull(header.substr(last_space + 1));
  std::string value = connection.bytes(size);
  if (connection.line() != "") fail("value not followed by CRLF");
  if (connection.line() != "END") fail("get reply not ended by END");
  return value;
}

bool MemcachedServer::set(std::string_view key, std::string_view value, std::uint32_t ttl) const {
  check_key(key);
  Connection connection(port_);
  std::string request = "set " + std::string(key) + " 0 " + std::to_string(ttl) + " " +
                        std::to_string(value.size()) + "\r\n";
  request.append(value);
  request += "\r\n";
  connection.send_all(request);
  return connection.line() == "STORED";
}

std::optional<long long> MemcachedServer::ttl_left(std::string_view key) const {
  check_key(key);
  Connection connection(port_);
  connection.send_all("mg " + std::string(key) + " t\r\n");
  const std::string reply = connection.line();
  if (reply.starts_with("EN")) return std::nullopt;
  const auto flag = reply.find(" t");
  if (!reply.starts_with("HD") || flag == std::string::npos) fail("unexpected mg reply: " + reply);
  return std::stoll(reply.substr(flag + 2));
}

}  // namespace clustered::testing
