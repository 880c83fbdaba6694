// clustered_session_stats() and the phpinfo() section: the shared counters, the
// cache, each node's state and the mode in force.
#include "stats.h"

#include <string>

#include "handler_registry.h"
#include "php_clustered_session.h"

extern "C" {
#include "ext/standard/info.h"
}

namespace {

using clustered::Counters;
using clustered::SessionHandler;

SessionHandler* handler_for_stats() {
  if (SessionHandler* handler = clustered::ext::current_handler()) return handler;
  // No session opened yet in this process: use the configured save_path.
  const char* save_path =
      zend_ini_string(const_cast<char*>("session.save_path"), sizeof("session.save_path") - 1, 0);
  std::string ignored;
  return clustered::ext::handler_for(save_path, &ignored);
}

}  // namespace

void clustered_session_fill_stats(zval* result) {
  array_init(result);
  clustered::SharedSegment* segment = clustered::ext::shared_segment();
  Counters empty;
  Counters& counters = segment != nullptr ? segment->counters() : empty;
#define CLUSTERED_ADD_COUNTER(name, help) \
  add_assoc_long(result, #name, static_cast<zend_long>(counters.name.load()));
  CLUSTERED_COUNTERS(CLUSTERED_ADD_COUNTER)
#undef CLUSTERED_ADD_COUNTER

  const clustered::HandlerConfig config = clustered::ext::current_config();
  add_assoc_string(result, "route", config.route.c_str());
  add_assoc_bool(result, "trusted",
                 config.trusts_local_copy() && segment != nullptr && segment->cache() != nullptr);
  add_assoc_string(result, "mode", config.mode_description().c_str());

  zval cache;
  array_init(&cache);
  if (segment != nullptr && segment->cache() != nullptr) {
    const clustered::CacheStats stats = segment->cache()->stats();
    add_assoc_long(&cache, "size", static_cast<zend_long>(stats.capacity_bytes));
    add_assoc_long(&cache, "used", static_cast<zend_long>(stats.used_bytes));
    add_assoc_long(&cache, "entries", static_cast<zend_long>(stats.entries));
    add_assoc_long(&cache, "max_entries", static_cast<zend_long>(stats.max_entries));
    add_assoc_long(&cache, "evictions", static_cast<zend_long>(stats.evictions));
    add_assoc_long(&cache, "repairs", static_cast<zend_long>(stats.repairs));
  } else {
    add_assoc_long(&cache, "size", 0);
  }
  if (segment != nullptr) {
    add_assoc_long(&cache, "segment_bytes", static_cast<zend_long>(segment->mapped_bytes()));
    add_assoc_long(&cache, "reattached", static_cast<zend_long>(segment->reattach_count()));
  }
  add_assoc_zval(result, "cache", &cache);

  zval nodes;
  array_init(&nodes);
  if (SessionHandler* handler = handler_for_stats()) {
    clustered::RemoteStore& remote = handler->remote();
    for (std::size_t i = 0; i < remote.node_count(); ++i) {
      zval node;
      array_init(&node);
      add_assoc_string(&node, "address", remote.address(i).endpoint().c_str());
      add_assoc_bool(&node, "up", remote.is_up(i));
      add_assoc_long(&node, "failures", static_cast<zend_long>(remote.failures(i)));
      add_assoc_zval(&nodes, remote.address(i).id.c_str(), &node);
    }
  }
  add_assoc_zval(result, "nodes", &nodes);
}

void clustered_session_print_info() {
  zval stats;
  clustered_session_fill_stats(&stats);
  php_info_print_table_start();
  php_info_print_table_header(2, "clustered_session", "enabled");
  php_info_print_table_row(2, "Version", PHP_CLUSTERED_SESSION_VERSION);
  zval* value = nullptr;
  zend_string* name = nullptr;
  ZEND_HASH_FOREACH_STR_KEY_VAL(Z_ARRVAL(stats), name, value) {
    if (Z_TYPE_P(value) == IS_ARRAY) continue;
    zend_string* text = zval_get_string(value);
    php_info_print_table_row(2, ZSTR_VAL(name), ZSTR_VAL(text));
    zend_string_release(text);
  }
  ZEND_HASH_FOREACH_END();
  zval* cache = zend_hash_str_find(Z_ARRVAL(stats), "cache", sizeof("cache") - 1);
  ZEND_HASH_FOREACH_STR_KEY_VAL(Z_ARRVAL_P(cache), name, value) {
    const std::string label = "cache " + std::string(ZSTR_VAL(name));
    zend_string* text = zval_get_string(value);
    php_info_print_table_row(2, label.c_str(), ZSTR_VAL(text));
    zend_string_release(text);
  }
  ZEND_HASH_FOREACH_END();
  zval* nodes = zend_hash_str_find(Z_ARRVAL(stats), "nodes", sizeof("nodes") - 1);
  ZEND_HASH_FOREACH_STR_KEY_VAL(Z_ARRVAL_P(nodes), name, value) {
    zval* address = zend_hash_str_find(Z_ARRVAL_P(value), "address", sizeof("address") - 1);
    zval* up = zend_hash_str_find(Z_ARRVAL_P(value), "up", sizeof("up") - 1);
    zval* failures = zend_hash_str_find(Z_ARRVAL_P(value), "failures", sizeof("failures") - 1);
    const std::string label = "node " + std::string(ZSTR_VAL(name));
    const std::string state = std::string(Z_STRVAL_P(address)) +
                              (Z_TYPE_P(up) == IS_TRUE ? " up" : " DOWN") + ", failures " +
                              std::to_string(Z_LVAL_P(failures));
    php_info_print_table_row(2, label.c_str(), state.c_str());
  }
  ZEND_HASH_FOREACH_END();
  php_info_print_table_end();
  zval_ptr_dtor(&stats);
}
