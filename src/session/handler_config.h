// SPDX-License-Identifier: BSD-3-Clause
// Everything the handler needs to know, gathered by ext/ from php.ini and the
// session module's own settings, so the core never reads PHP state.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "codec/value_codec.h"
#include "seal/sealer.h"

namespace clustered {

// The settings PHP lets change between requests (ini_set(), per-directory
// php_value); read on every session_start(), so kept to plain values.
struct RequestSettings {
  bool strict_mode = false;
  std::string_view prefix;
  std::size_t sid_length = 32;
  int sid_bits_per_character = 4;
  std::int64_t gc_maxlifetime_s = 1440;
};

struct HandlerConfig {
  std::string route;         // this node's id in session IDs
  bool trust_route = true;   // false with route=off: never trust the local copy
  bool strict_mode = false;  // session.use_strict_mode: needed to rewrite IDs
  bool local_cache = true;   // false with cache_size = 0: nothing to trust
  unsigned replicas = 0;
  bool locking = true;
  std::chrono::milliseconds lock_timeout{30000};
  std::chrono::milliseconds connect_timeout{100};
  std::chrono::milliseconds io_timeout{250};
  std::int64_t retry_interval_ms = 2000;
  std::int64_t touch_interval_s = 60;
  // How often (s) the node reads its takeover notices (session/takeover_notices.h);
  // 0 = never.
  std::int64_t takeover_check_interval_s = 1;
  std::string prefix = "sess.";
  std::size_t sid_length = 32;
  int sid_bits_per_character = 4;
  std::int64_t gc_maxlifetime_s = 1440;
  // Seals what goes to memcached (clustered_session.secret_file); null: plain.
  std::shared_ptr<const Sealer> sealer;
  // Compresses session data before sealing (clustered_session.compression).
  CompressionOptions compression;

  // Why the local copy is (not) trusted, for phpinfo() and the stats.
  bool trusts_local_copy() const { return trust_route && strict_mode && local_cache; }
  std::string mode_description() const;
  // Takes over this request's settings.
  void apply(const RequestSettings& settings);
};

inline constexpr std::size_t kMaxMemcachedKey = 250;

// Longest key this configuration can produce: prefix + random + '-' + store + '.' + route.
std::size_t longest_key(const HandlerConfig& config);

// memcached's TTL of a session: gc_maxlifetime + touch_interval, added without
// overflow and held to 1 .. 2^32 - 1 s.
std::uint32_t remote_ttl_s(const HandlerConfig& config);
// What a start-up notice says when that TTL cannot be kept as asked (held at
// 2^32 - 1 s, or past memcached's last absolute expiry, 2038-01-19 03:14:07
// UTC); nullopt when it can.
std::optional<std::string> ttl_clamp_notice(const HandlerConfig& config, std::int64_t unix_now);

}  // namespace clustered
