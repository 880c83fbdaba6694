#include "store/store_node.h"

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
  }
  return "unknown";
}

std::uint32_t memcached_expiry(std::uint32_t ttl_seconds, std::int64_t unix_now) {
  if (ttl_seconds <= kRelativeExpiryLimit) return ttl_seconds;
  return static_cast<std::uint32_t>(unix_now + ttl_seconds);
}

}  // namespace clustered
