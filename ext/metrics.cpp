// clustered_session_metrics(): the figures of clustered_session_stats() in the
// Prometheus text exposition format, one metric family per counter, with the
// route (and for memcached nodes the node id and address) as labels.
#include "metrics.h"

#include <string>

#include "stats.h"

namespace {

struct CounterHelp {
  const char* name;
  const char* help;
};

constexpr CounterHelp kCounters[] = {
    {"local_hits", "Session reads served from the node-local shared-memory cache."},
    {"local_misses", "Owned sessions not found in the local cache (fetched from memcached)."},
    {"remote_reads", "memcached get operations."},
    {"remote_writes", "memcached set operations (replicas included)."},
    {"writes_skipped", "Writes of unchanged data turned into timestamp updates."},
    {"touches", "memcached touch operations (TTL refreshes of unchanged sessions)."},
    {"touches_skipped", "TTL refreshes skipped because touch_interval had not passed."},
    {"migrations", "Sessions taken over from another app node (route rewritten)."},
    {"relocations", "Sessions moved to another memcached node (store rewritten)."},
    {"lock_waits", "Session lock acquisitions that had to wait."},
    {"lock_timeouts", "Session lock waits that ran into lock_timeout."},
    {"takeover_checks",
     "Reads of this node's takeover notices (at most one per takeover_check_interval)."},
    {"takeover_notices",
     "Cached sessions dropped because another node took them over (or everything, after a gap)."},
    {"errors", "Failed memcached operations and other handler errors."},
};

// Label values may not carry raw quotes, backslashes or newlines.
std::string label(const char* text) {
  std::string out;
  for (const char* c = text; *c != '\0'; ++c) {
    if (*c == '\\' || *c == '"') out += '\\';
    if (*c == '\n') {
      out += "\\n";
      continue;
    }
    out += *c;
  }
  return out;
}

long value_of(zval* array, const char* key) {
  zval* found = zend_hash_str_find(Z_ARRVAL_P(array), key, strlen(key));
  if (found == nullptr) return 0;
  if (Z_TYPE_P(found) == IS_TRUE) return 1;
  if (Z_TYPE_P(found) == IS_LONG) return Z_LVAL_P(found);
  return 0;
}

void family(std::string& out, const std::string& name, const char* type, const char* help) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

std::string clustered_session_metrics_text() {
  zval stats;
  clustered_session_fill_stats(&stats);
  zval* route_value = zend_hash_str_find(Z_ARRVAL(stats), "route", sizeof("route") - 1);
  const std::string route = label(Z_STRVAL_P(route_value));
  const std::string node_label = "route=\"" + route + "\"";
  std::string out;
  for (const CounterHelp& counter : kCounters) {
    const std::string name = std::string("clustered_session_") + counter.name + "_total";
    family(out, name, "counter", counter.help);
    out += name + "{" + node_label + "} " + std::to_string(value_of(&stats, counter.name)) + "\n";
  }
  family(out, "clustered_session_trusted", "gauge",
         "1 when owned sessions are served from the local cache (strict mode, route set).");
  out += "clustered_session_trusted{" + node_label + "} " +
         std::to_string(value_of(&stats, "trusted")) + "\n";

  zval* cache = zend_hash_str_find(Z_ARRVAL(stats), "cache", sizeof("cache") - 1);
  const struct {
    const char* key;
    const char* name;
    const char* type;
    const char* help;
  } cache_metrics[] = {
      {"size", "clustered_session_cache_capacity_bytes", "gauge", "Session data the cache holds."},
      {"used", "clustered_session_cache_used_bytes", "gauge", "Bytes of the cache in use."},
      {"entries", "clustered_session_cache_entries", "gauge", "Sessions in the cache."},
      {"evictions", "clustered_session_cache_evictions_total", "counter",
       "Sessions evicted to make room."},
      {"repairs", "clustered_session_cache_repairs_total", "counter",
       "Cache rebuilds after a process died holding its lock."},
  };
  for (const auto& metric : cache_metrics) {
    family(out, metric.name, metric.type, metric.help);
    out += std::string(metric.name) + "{" + node_label + "} " +
           std::to_string(value_of(cache, metric.key)) + "\n";
  }

  zval* nodes = zend_hash_str_find(Z_ARRVAL(stats), "nodes", sizeof("nodes") - 1);
  family(out, "clustered_session_memcached_up", "gauge",
         "1 when the memcached node is believed up by this app node.");
  std::string failures;
  zend_string* id = nullptr;
  zval* node = nullptr;
  ZEND_HASH_FOREACH_STR_KEY_VAL(Z_ARRVAL_P(nodes), id, node) {
    zval* address = zend_hash_str_find(Z_ARRVAL_P(node), "address", sizeof("address") - 1);
    const std::string labels = node_label + ",node=\"" + label(ZSTR_VAL(id)) + "\",address=\"" +
                               label(Z_STRVAL_P(address)) + "\"";
    out += "clustered_session_memcached_up{" + labels + "} " +
           std::to_string(value_of(node, "up")) + "\n";
    failures += "clustered_session_memcached_failures_total{" + labels + "} " +
                std::to_string(value_of(node, "failures")) + "\n";
  }
  ZEND_HASH_FOREACH_END();
  family(out, "clustered_session_memcached_failures_total", "counter",
         "Failed operations (connect, timeout, broken reply) per memcached node.");
  out += failures;
  zval_ptr_dtor(&stats);
  return out;
}
