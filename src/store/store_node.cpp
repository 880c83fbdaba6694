// SPDX-License-Identifier: BSD-3-Clause
#include "store/store_node.h"

#include <algorithm>
#include <charconv>
#include <climits>

namespace clustered {
namespace {

constexpr std::uint32_t kRelativeExpiryLimit = 60 * 60 * 24 * 30;

}  // namespace

std::optional<ServerStats> server_stats_of(
    const std::vector<std::pair<std::string, std::string>>& stats) {
  const auto number = [](const std::string& text) {
    std::int64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
  };
  ServerStats read;
  std::int64_t uptime = 0;
  std::int64_t time = 0;
  int found = 0;
  for (const auto& [name, value] : stats) {
    if (name == "pid") {
      read.pid = number(value);
      ++found;
    } else if (name == "uptime") {
      uptime = number(value);
      ++found;
    } else if (name == "time") {
      time = number(value);
      ++found;
    } else if (name == "evictions") {
      read.evictions = static_cast<std::uint64_t>(number(value));
    }
  }
  if (found < 3) return std::nullopt;
  // time - uptime is when the process started, by the server's own clock (a
  // restart, even under the same pid, moves it).
  read.started_at_s = time - uptime;
  read.uptime_s = uptime;
  return read;
}

std::uint32_t memcached_expiry(std::uint32_t ttl_seconds, std::int64_t unix_now) {
  if (ttl_seconds <= kRelativeExpiryLimit) return ttl_seconds;
  // memcached reads exptime as a signed 32-bit number and expires a negative one
  // at once: a later time is held as its last second (2038-01-19).
  constexpr std::int64_t kLastExpiry = INT32_MAX;
  return static_cast<std::uint32_t>(std::min(unix_now + ttl_seconds, kLastExpiry));
}

}  // namespace clustered
