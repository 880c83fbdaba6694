// SPDX-License-Identifier: BSD-3-Clause
#include "seal/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "seal/crypto.h"

namespace clustered {
namespace {

std::string in_file(std::string_view path) {
  return "clustered_session.secret_file " + std::string(path) + ": ";
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string_view trimmed(std::string_view line) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  return line;
}

}  // namespace

Result<std::vector<std::string>> parse_secrets(std::string_view text, std::string_view path) {
  std::vector<std::string> secrets;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    const std::string_view line = trimmed(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.empty() || line.front() == '#') continue;
    if (line.size() < kMinSecretLength) {
      for (std::string& secret : secrets) crypto::wipe(secret.data(), secret.size());
      return Error{in_file(path) + "line " + std::to_string(line_number) + " holds a key of " +
                   std::to_string(line.size()) + " characters; a key needs at least " +
                   std::to_string(kMinSecretLength) + " (make one with: openssl rand -base64 32)"};
    }
    secrets.emplace_back(line);
  }
  if (secrets.empty()) {
    return Error{in_file(path) +
                 "holds no key (one a line; make one with: openssl rand -base64 32)"};
  }
  return secrets;
}

Result<std::vector<std::string>> read_secret_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    const int error = errno;
    if (error == ELOOP) return Error{in_file(path) + "is a symbolic link; name the file itself"};
    return Error{in_file(path) + "cannot be opened: " + std::strerror(error)};
  }
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    ::close(fd);
    return Error{in_file(path) + "is not a regular file"};
  }
  if ((status.st_mode & (S_IROTH | S_IWOTH)) != 0) {
    ::close(fd);
    return Error{in_file(path) + "has mode " + octal_mode(status.st_mode) +
                 ": every user of this machine can " +
                 ((status.st_mode & S_IROTH) != 0 ? "read" : "change") +
                 " the keys; chmod 0600 (or 0640 with the web server's group)"};
  }
  if (status.st_size > static_cast<off_t>(kMaxSecretFileBytes)) {
    ::close(fd);
    return Error{in_file(path) + "is " + std::to_string(status.st_size) +
                 " bytes; a key file holds a few lines (at most 64 KiB)"};
  }
  std::string text(static_cast<std::size_t>(status.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  text.resize(got);
  auto secrets = parse_secrets(text, path);
  crypto::wipe(text.data(), text.size());
  return secrets;
}

}  // namespace clustered
