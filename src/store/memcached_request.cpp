// SPDX-License-Identifier: BSD-3-Clause
#include "store/memcached_request.h"

namespace clustered {
namespace {

// memcached's limit for a key (KEY_MAX_LENGTH).
constexpr std::size_t kMaxKeyLength = 250;

std::string with_data(std::string line, std::string_view value) {
  line += "\r\n";
  line.append(value);
  line += "\r\n";
  return line;
}

std::string storage(std::string_view verb, std::string_view key, std::string_view value,
                    std::uint32_t exptime) {
  std::string line(verb);
  line += ' ';
  line.append(key);
  line += " 0 " + std::to_string(exptime) + ' ' + std::to_string(value.size());
  return line;
}

}  // namespace

bool valid_memcached_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyLength) return false;
  for (const char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= ' ' || byte >= 0x7f) return false;
  }
  return true;
}

std::string get_request(std::string_view key) {
  std::string line = "mg ";
  line.append(key);
  line += " k v c\r\n";
  return line;
}

std::string touch_request(std::string_view key, std::uint32_t exptime) {
  std::string line = "mg ";
  line.append(key);
  line += " T" + std::to_string(exptime) + "\r\n";
  return line;
}

std::string set_request(std::string_view key, std::string_view value, std::uint32_t exptime,
                        bool want_token, std::uint64_t compare) {
  std::string line = "ms ";
  line.append(key);
  line += ' ' + std::to_string(value.size());
  if (want_token) line += " c";
  line += " T" + std::to_string(exptime);
  if (compare != 0) line += " C" + std::to_string(compare);
  return with_data(std::move(line), value);
}

std::string add_checked_request(std::string_view key, std::string_view value,
                                std::uint32_t exptime) {
  std::string line = "ms ";
  line.append(key);
  line += ' ' + std::to_string(value.size()) + " c T" + std::to_string(exptime) + " ME";
  return with_data(std::move(line), value);
}

std::string add_request(std::string_view key, std::string_view value, std::uint32_t exptime) {
  return with_data(storage("add", key, value, exptime), value);
}

std::string append_request(std::string_view key, std::string_view value) {
  // memcached ignores an append's flags and exptime: the item keeps its own.
  return with_data(storage("append", key, value, 0), value);
}

std::string cas_request(std::string_view key, std::string_view value, std::uint32_t exptime,
                        std::uint64_t cas) {
  return with_data(storage("cas", key, value, exptime) + ' ' + std::to_string(cas), value);
}

std::string delete_request(std::string_view key) {
  std::string line = "md ";
  line.append(key);
  line += "\r\n";
  return line;
}

std::string stats_request(std::string_view group) {
  std::string line = "stats";
  if (!group.empty()) {
    line += ' ';
    line.append(group);
  }
  line += "\r\n";
  return line;
}

}  // namespace clustered
