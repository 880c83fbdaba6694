// SPDX-License-Identifier: BSD-3-Clause
// INI settings (README "php.ini"). Each value is checked when set; an out-of-range
// value is refused with a warning naming the setting, and the old value stays.
#include "settings.h"

#include <cstring>
#include <string>

#include "codec/value_codec.h"
#include "node/machine_memory.h"
#include "php_clustered_session.h"
#include "seal/sealer.h"
#include "session/takeover_notices.h"
#include "util/node_id.h"

ZEND_DECLARE_MODULE_GLOBALS(clustered_session)

// php.ini defaults are strings: these are codec/value_codec.h's, as the asserts hold.
#define CLUSTERED_DEFAULT_COMPRESSION_THRESHOLD "2048"
#define CLUSTERED_DEFAULT_COMPRESSION_LEVEL "3"
static_assert(clustered::kDefaultCompressionThreshold == 2048);
static_assert(clustered::kDefaultCompressionLevel == 3);

namespace {

int refuse(zend_ini_entry* entry, zend_string* value, const char* expected) {
  php_error_docref(nullptr, E_WARNING, "clustered_session: %s=\"%s\" refused: %s",
                   ZSTR_VAL(entry->name), ZSTR_VAL(value), expected);
  return FAILURE;
}

int update_ranged(zend_ini_entry* entry, zend_string* value, void* mh_arg1, void* mh_arg2,
                  void* mh_arg3, int stage, zend_long min, zend_long max, const char* expected) {
  zend_string* error = nullptr;
  const zend_long parsed = zend_ini_parse_quantity(value, &error);
  if (error != nullptr) {
    zend_string_release(error);
    return refuse(entry, value, expected);
  }
  if (parsed < min || parsed > max) return refuse(entry, value, expected);
  return OnUpdateLong(entry, value, mh_arg1, mh_arg2, mh_arg3, stage);
}

#define CLUSTERED_RANGED(name, min, max, expected)                                                \
  ZEND_INI_MH(name) {                                                                             \
    return update_ranged(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage, min, max, expected); \
  }

ZEND_INI_MH(OnUpdateCacheSize) {
  // Under 1M the cache would hold a few dozen sessions (one entry per 8 KiB):
  // refused rather than quietly made into something nobody asked for.
  constexpr const char* kExpected = "expected 0 (no cache) or a size from 1M to 64G, e.g. 64M";
  zend_string* error = nullptr;
  const zend_long parsed = zend_ini_parse_quantity(new_value, &error);
  if (error != nullptr) zend_string_release(error);
  if (error != nullptr || parsed < 0 || (parsed > 0 && parsed < (zend_long{1} << 20)) ||
      parsed > (zend_long{64} << 30)) {
    return refuse(entry, new_value, kExpected);
  }
  const auto refusal = clustered::cache_size_refusal(static_cast<std::uint64_t>(parsed),
                                                     clustered::machine_memory_bytes());
  if (refusal) return refuse(entry, new_value, refusal->c_str());
  return OnUpdateLong(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}
CLUSTERED_RANGED(OnUpdateReplicas, 0, 8, "expected 0 to 8")
CLUSTERED_RANGED(OnUpdateLockTimeout, 1, 3600, "expected 1 to 3600 seconds")
CLUSTERED_RANGED(OnUpdateConnectTimeout, 1, 60000, "expected 1 to 60000 ms")
CLUSTERED_RANGED(OnUpdateIoTimeout, 1, 60000, "expected 1 to 60000 ms")
CLUSTERED_RANGED(OnUpdateRetryInterval, 0, 3600, "expected 0 to 3600 seconds")
CLUSTERED_RANGED(OnUpdateTouchInterval, 0, 86400, "expected 0 to 86400 seconds")
CLUSTERED_RANGED(OnUpdateCompressionThreshold, 0,
                 static_cast<zend_long>(clustered::kMaxSessionBytes),
                 "expected a size from 0 (compress every session) to 64M, e.g. 2K")
CLUSTERED_RANGED(OnUpdateCompressionLevel, clustered::kMinCompressionLevel,
                 clustered::kMaxCompressionLevel, "expected a zstd level from 1 to 19")
CLUSTERED_RANGED(OnUpdateTakeoverCheckInterval, 0, clustered::kMaxCheckIntervalSeconds,
                 "expected 0 (off) or 1 to 20 seconds")

ZEND_INI_MH(OnUpdateRoute) {
  const std::string_view route(ZSTR_VAL(new_value), ZSTR_LEN(new_value));
  if (!route.empty() && route != "off" && !clustered::is_valid_node_id(route)) {
    return refuse(entry, new_value, "expected [a-z0-9]{1,16}, \"off\" or empty (short host name)");
  }
  return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

ZEND_INI_MH(OnUpdatePrefix) {
  if (ZSTR_LEN(new_value) > 64) return refuse(entry, new_value, "expected at most 64 bytes");
  for (size_t i = 0; i < ZSTR_LEN(new_value); ++i) {
    const auto c = static_cast<unsigned char>(ZSTR_VAL(new_value)[i]);
    if (c <= 0x20 || c >= 0x7f) {
      return refuse(entry, new_value, "expected printable ASCII without spaces (memcached keys)");
    }
  }
  return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

ZEND_INI_MH(OnUpdateSeal) {
  if (!clustered::parse_seal_mode(std::string_view(ZSTR_VAL(new_value), ZSTR_LEN(new_value)))) {
    return refuse(entry, new_value, "expected encrypt, authenticate or off");
  }
  return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

ZEND_INI_MH(OnUpdateCompression) {
  if (!clustered::parse_compression(std::string_view(ZSTR_VAL(new_value), ZSTR_LEN(new_value)))) {
    return refuse(entry, new_value, "expected off, lz4 or zstd");
  }
  return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

}  // namespace

// clang-format off
PHP_INI_BEGIN()
  STD_PHP_INI_ENTRY("clustered_session.route", "", PHP_INI_SYSTEM, OnUpdateRoute, route, zend_clustered_session_globals, clustered_session_globals)
  STD_PHP_INI_ENTRY("clustered_session.cache_size", "64M", PHP_INI_SYSTEM, OnUpdateCacheSize, cache_size, zend_clustered_session_globals, clustered_session_globals)
  STD_PHP_INI_ENTRY("clustered_session.replicas", "0", PHP_INI_SYSTEM, OnUpdateReplicas, replicas, zend_clustered_session_globals, clustered_session_globals)
  STD_PHP_INI_BOOLEAN("clustered_session.locking", "1", PHP_INI_SYSTEM, OnUpdateBool, locking, zend_clustered_session_globals, clustered_session_globals)
  STD_PHP_INI_ENTRY("clustered_session.lock_timeout", "30", PHP_INI_SYSTEM, OnUpdateLockTimeout, lock_timeout, zend_clustered_session_globals, clustered_session_globals)
  STD_PHP_INI_ENTRY("clustered_session.connect_timeout", "100", PHP_INI_SYSTEM, OnUpdateConnectTimeout, connect_timeout, zend_clustered_session_globals, clustered_session_globals)
  STD_PHP_INI_ENTRY("clustered_session.io_timeout", "250", PHP_INI_SYSTEM, OnUpdateIoTimeout, io_timeout, zend_clustered_session_globals, clustered_session_globals)
  STD_PHP_INI_ENTRY("clustered_session.retry_interval", "2", PHP_INI_SYSTEM, OnUpdateRetryInterval, retry_interval, zend_clustered_session_globals, clustered_session_globals)
  STD_PHP_INI_ENTRY("clustered_session.touch_interval", "60", PHP_INI_SYSTEM, OnUpdateTouchInterval, touch_interval, zend_clustered_session_globals, clustered_session_globals)
  STD_PHP_INI_ENTRY("clustered_session.takeover_check_interval", "1", PHP_INI_SYSTEM, OnUpdateTakeoverCheckInterval, takeover_check_interval, zend_clustered_session_globals, clustered_session_globals)
  STD_PHP_INI_ENTRY("clustered_session.prefix", "sess.", PHP_INI_ALL, OnUpdatePrefix, prefix, zend_clustered_session_globals, clustered_session_globals)
  STD_PHP_INI_ENTRY("clustered_session.secret_file", "", PHP_INI_SYSTEM, OnUpdateString, secret_file, zend_clustered_session_globals, clustered_session_globals)
  STD_PHP_INI_ENTRY("clustered_session.seal", "encrypt", PHP_INI_SYSTEM, OnUpdateSeal, seal, zend_clustered_session_globals, clustered_session_globals)
  STD_PHP_INI_BOOLEAN("clustered_session.accept_unsealed", "0", PHP_INI_SYSTEM, OnUpdateBool, accept_unsealed, zend_clustered_session_globals, clustered_session_globals)
  STD_PHP_INI_ENTRY("clustered_session.compression", "off", PHP_INI_SYSTEM, OnUpdateCompression, compression, zend_clustered_session_globals, clustered_session_globals)
  STD_PHP_INI_ENTRY("clustered_session.compression_threshold", CLUSTERED_DEFAULT_COMPRESSION_THRESHOLD, PHP_INI_SYSTEM, OnUpdateCompressionThreshold, compression_threshold, zend_clustered_session_globals, clustered_session_globals)
  STD_PHP_INI_ENTRY("clustered_session.compression_level", CLUSTERED_DEFAULT_COMPRESSION_LEVEL, PHP_INI_SYSTEM, OnUpdateCompressionLevel, compression_level, zend_clustered_session_globals, clustered_session_globals)
PHP_INI_END()
// clang-format on

void clustered_session_register_ini(int type, int module_number) { REGISTER_INI_ENTRIES(); }
void clustered_session_unregister_ini(int type, int module_number) { UNREGISTER_INI_ENTRIES(); }
void clustered_session_display_ini(zend_module_entry* zend_module) { DISPLAY_INI_ENTRIES(); }

void clustered_session_init_globals(zend_clustered_session_globals* globals) {
  std::memset(globals, 0, sizeof *globals);
}
