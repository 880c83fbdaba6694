// SPDX-License-Identifier: BSD-3-Clause
#include "store/store_node.h"

#include <algorithm>
#include <climits>

namespace clustered {
namespace {

constexpr std::uint32_t kRelativeExpiryLimit = 60 * 60 * 24 * 30;

}  // namespace

std::string_view describe(StoreCode code) {
  switch (code) {
    case StoreCode::kOk:
      return "ok";
    case StoreCode::kNotFound:
      return "not found";
    case StoreCode::kNotStored:
      return "not stored";
    case StoreCode::kExists:
      return "changed since it was read";
    case StoreCode::kTooLarge:
      return "too large";
    case StoreCode::kOutOfMemory:
      return "out of memory";
    case StoreCode::kRefused:
      return "refused";
    case StoreCode::kDown:
      return "down";
    case StoreCode::kTimeout:
      return "timed out";
    case StoreCode::kBadReply:
      return "bad reply";
    case StoreCode::kNoCas:
      return "no CAS tokens (memcached -C)";
  }
  return "unknown";
}

std::uint32_t memcached_expiry(std::uint32_t ttl_seconds, std::int64_t unix_now) {
  if (ttl_seconds <= kRelativeExpiryLimit) return ttl_seconds;
  // memcached reads exptime as a signed 32-bit number and expires a negative one
  // at once: a later time is held as its last second (2038-01-19).
  constexpr std::int64_t kLastExpiry = INT32_MAX;
  return static_cast<std::uint32_t>(std::min(unix_now + ttl_seconds, kLastExpiry));
}

}  // namespace clustered
