#include "session/takeover_notices.h"

namespace clustered {
namespace {

constexpr std::size_t kHashDigits = 16;
constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string notice_key(std::string_view route) {
  std::string key("clustered_session.moved:");
  key.append(route);
  return key;
}

std::string notice_line(std::uint64_t key_hash) {
  std::string line(kHashDigits + 1, '\n');
  for (std::size_t i = 0; i < kHashDigits; ++i) {
    line[kHashDigits - 1 - i] = kHexDigits[(key_hash >> (4 * i)) & 0xf];
  }
  return line;
}

std::string notice_list_head(std::uint64_t generation) { return "g " + notice_line(generation); }

Notices parse_notices(std::string_view list, std::size_t offset) {
  Notices notices;
  // The head: "g <16 hex>\n". Without one the list is read whole.
  std::size_t head = 0;
  if (list.size() >= 2 + kHashDigits + 1 && list.substr(0, 2) == "g " &&
      list[2 + kHashDigits] == '\n') {
    std::uint64_t generation = 0;
    bool valid = true;
    for (std::size_t i = 2; valid && i < 2 + kHashDigits; ++i) {
      const int digit = hex_value(list[i]);
      valid = digit >= 0;
      generation = (generation << 4) | static_cast<std::uint64_t>(digit < 0 ? 0 : digit);
    }
    if (valid) {
      notices.generation = generation;
      head = 2 + kHashDigits + 1;
    }
  }
  if (offset == 0) offset = head;
  if (offset < head || offset > list.size()) {
    notices.everything = true;
    return notices;
  }
  list.remove_prefix(offset);
  while (!list.empty()) {
    const std::size_t end = list.find('\n');
    // A line cut short (a half-written append cannot happen in memcached, but a
    // value written by something else can): no way to know what it meant.
    if (end == std::string_view::npos) {
      notices.everything = true;
      break;
    }
    const std::string_view line = list.substr(0, end);
    list.remove_prefix(end + 1);
    if (line == "*") {
      notices.everything = true;
      continue;
    }
    std::uint64_t hash = 0;
    bool valid = line.size() == kHashDigits;
    for (std::size_t i = 0; valid && i < line.size(); ++i) {
      const int digit = hex_value(line[i]);
      valid = digit >= 0;
      hash = (hash << 4) | static_cast<std::uint64_t>(digit < 0 ? 0 : digit);
    }
    if (!valid) {
      notices.everything = true;
      continue;
    }
    notices.key_hashes.push_back(hash);
  }
  return notices;
}

}  // namespace clustered
