// SPDX-License-Identifier: BSD-3-Clause
#include "session/handler_config.h"

#include "sid/session_id.h"
#include "store/store_node.h"
#include "util/node_id.h"

#include <algorithm>
#include <climits>

namespace clustered {

std::string HandlerConfig::mode_description() const {
  if (!trust_route) {
    return "untrusted: clustered_session.route=off, every read is fetched from memcached";
  }
  if (!strict_mode) {
    return "untrusted: session.use_strict_mode=0 (IDs cannot be rewritten), every read is "
           "fetched from memcached";
  }
  if (!local_cache) {
    return "untrusted: clustered_session.cache_size=0 (no local cache), every read is fetched "
           "from memcached";
  }
  return "owner: sessions routed to " + route + " are served from the local cache";
}

void HandlerConfig::apply(const RequestSettings& settings) {
  strict_mode = settings.strict_mode;
  if (prefix != settings.prefix) prefix = settings.prefix;
  sid_length = settings.sid_length;
  sid_bits_per_character = settings.sid_bits_per_character;
  gc_maxlifetime_s = settings.gc_maxlifetime_s;
}

std::size_t longest_key(const HandlerConfig& config) {
  return config.prefix.size() +
         effective_random_length(config.sid_length, config.sid_bits_per_character) + 1 +
         kMaxNodeIdLength + 1 + config.route.size();
}

std::uint32_t remote_ttl_s(const HandlerConfig& config) {
  // Saturating: gc_maxlifetime is any PHP integer (PHP_INT_MAX must not wrap to
  // a 1-second TTL); memcached_expiry() then holds what memcached can store.
  constexpr std::int64_t kLongest = UINT32_MAX;
  const std::int64_t gc = std::clamp<std::int64_t>(config.gc_maxlifetime_s, 0, kLongest);
  const std::int64_t touch = std::clamp<std::int64_t>(config.touch_interval_s, 0, kLongest);
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(gc + touch, 1, kLongest));
}

std::optional<std::string> ttl_clamp_notice(const HandlerConfig& config, std::int64_t unix_now) {
  const std::int64_t gc = std::max<std::int64_t>(config.gc_maxlifetime_s, 0);
  const std::int64_t touch = std::clamp<std::int64_t>(config.touch_interval_s, 0, INT32_MAX);
  const std::int64_t asked = gc > INT64_MAX - touch ? INT64_MAX : gc + touch;
  const std::uint32_t ttl = remote_ttl_s(config);
  const std::int64_t expiry = memcached_expiry(ttl, unix_now);
  const bool held = asked > static_cast<std::int64_t>(ttl) ||
                    (ttl > 60 * 60 * 24 * 30 && expiry < unix_now + ttl);
  if (!held) return std::nullopt;
  return "session.gc_maxlifetime + clustered_session.touch_interval = " + std::to_string(asked) +
         " s reaches past 2038-01-19 03:14:07 UTC, the last expiry memcached can store: sessions "
         "expire in memcached then at the latest";
}

}  // namespace clustered
