// SPDX-License-Identifier: BSD-3-Clause
#include "stats/prometheus_text.h"

#include <cstdint>

namespace clustered {

namespace {

void family(std::string& out, const std::string& name, const char* type, const char* help) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void sample(std::string& out, const std::string& name, const std::string& labels,
            std::uint64_t value) {
  out += name + "{" + labels + "} " + std::to_string(value) + "\n";
}

// Seconds with as many decimals as a µs bound needs ("0.00005", "2.5", "10").
std::string seconds(std::uint64_t us) {
  std::string text = std::to_string(us / 1000000);
  std::string fraction = std::to_string(1000000 + us % 1000000).substr(1);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  return fraction.empty() ? text : text + "." + fraction;
}

// A Prometheus histogram: cumulative buckets, then +Inf, sum and count.
void histogram(std::string& out, const std::string& name, const char* help,
               const std::string& route, const HistogramFigures& figures) {
  family(out, name, "histogram", help);
  for (std::size_t i = 0; i < kWaitBoundsUs.size(); ++i) {
    sample(out, name + "_bucket", route + ",le=\"" + seconds(kWaitBoundsUs[i]) + "\"",
           figures.cumulative[i]);
  }
  sample(out, name + "_bucket", route + ",le=\"+Inf\"", figures.count);
  out += name + "_sum{" + route + "} " + seconds(figures.sum_us) + "\n";
  sample(out, name + "_count", route, figures.count);
}

struct CacheMetric {
  const char* name;
  const char* type;
  const char* help;
  std::uint64_t CacheFigures::*field;
};

// No cache (cache_size = 0) reads as zeros, so every family is always there.
constexpr CacheMetric kCacheMetrics[] = {
    {"clustered_session_cache_capacity_bytes", "gauge", "Session data the cache holds.",
     &CacheFigures::capacity_bytes},
    {"clustered_session_cache_used_bytes", "gauge", "Bytes of the cache in use.",
     &CacheFigures::used_bytes},
    {"clustered_session_cache_entries", "gauge", "Sessions in the cache.", &CacheFigures::entries},
    {"clustered_session_cache_evictions_total", "counter", "Sessions evicted to make room.",
     &CacheFigures::evictions},
    {"clustered_session_cache_repairs_total", "counter",
     "Cache rebuilds after a process died holding its lock.", &CacheFigures::repairs},
};

}  // namespace

std::string prometheus_label(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

std::string prometheus_text(const StatsSnapshot& snapshot) {
  const std::string route = "route=\"" + prometheus_label(snapshot.route) + "\"";
  std::string out;
  for (const CounterValue& counter : snapshot.counters) {
    const std::string name = std::string("clustered_session_") + counter.name + "_total";
    family(out, name, "counter", counter.help);
    sample(out, name, route, counter.value);
  }
  family(out, "clustered_session_trusted", "gauge",
         "1 when owned sessions are served from the local cache (strict mode, route set).");
  sample(out, "clustered_session_trusted", route, snapshot.trusted ? 1 : 0);
  family(out, "clustered_session_sealed", "gauge",
         "1 when what this node writes to memcached is sealed (clustered_session.secret_file).");
  sample(out, "clustered_session_sealed", route, snapshot.sealed ? 1 : 0);

  const CacheFigures cache = snapshot.cache.value_or(CacheFigures{});
  for (const CacheMetric& metric : kCacheMetrics) {
    family(out, metric.name, metric.type, metric.help);
    sample(out, metric.name, route, cache.*metric.field);
  }

  histogram(out, "clustered_session_lock_wait_seconds",
            "How long requests waited for a session lock that another request held (also "
            "those that timed out).",
            route, snapshot.lock_wait);
  histogram(out, "clustered_session_lock_wake_seconds",
            "After a wait: from the holder's unlock to the waiting request holding the lock.",
            route, snapshot.lock_wake);

  // A family's samples must follow its own HELP/TYPE lines: one pass per family.
  family(out, "clustered_session_memcached_up", "gauge",
         "1 when the memcached node is believed up by this app node.");
  std::string failures;
  std::string evictions;
  std::string restarts;
  std::string down_since;
  std::string cas_tokens;
  for (const NodeState& node : snapshot.nodes) {
    const std::string labels = route + ",node=\"" + prometheus_label(node.id) + "\",address=\"" +
                               prometheus_label(node.endpoint) + "\"";
    sample(out, "clustered_session_memcached_up", labels, node.up ? 1 : 0);
    sample(failures, "clustered_session_memcached_failures_total", labels, node.failures);
    sample(evictions, "clustered_session_memcached_evictions_total", labels, node.evictions);
    sample(restarts, "clustered_session_memcached_restarts_total", labels, node.restarts);
    sample(down_since, "clustered_session_memcached_down_since_seconds", labels,
           static_cast<std::uint64_t>(node.down_since_s));
    sample(cas_tokens, "clustered_session_memcached_cas_tokens", labels, node.without_cas ? 0 : 1);
  }
  family(out, "clustered_session_memcached_failures_total", "counter",
         "Failed operations (connect, timeout, broken reply) per memcached node.");
  out += failures;
  family(out, "clustered_session_memcached_evictions_total", "counter",
         "Items the memcached node evicted to make room (its own stats, read with each "
         "takeover check): sessions it evicts live only in their owner's cache.");
  out += evictions;
  family(out, "clustered_session_memcached_restarts_total", "counter",
         "Restarts of the memcached node this app node noticed (another pid or start time).");
  out += restarts;
  family(out, "clustered_session_memcached_down_since_seconds", "gauge",
         "Unix time since which this app node has the memcached node down (0: up), as its "
         "log said.");
  out += down_since;
  family(out, "clustered_session_memcached_cas_tokens", "gauge",
         "0 when the memcached node gives no CAS tokens (memcached -C): no session is stored "
         "on it; 1 otherwise.");
  out += cas_tokens;
  return out;
}

}  // namespace clustered
