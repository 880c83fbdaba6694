// SPDX-License-Identifier: BSD-3-Clause
// clustered_session_stats() and the phpinfo() section: both render one core
// snapshot (stats/stats_snapshot.h); nothing here reads a figure twice.
#include "stats.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "handler_registry.h"
#include "php_clustered_session.h"
#include "sealing.h"

extern "C" {
#include "ext/standard/info.h"
}

namespace {

using clustered::SessionHandler;
using clustered::StatsSnapshot;

SessionHandler* handler_for_stats() {
  if (SessionHandler* handler = clustered::ext::current_handler()) return handler;
  // No session opened yet in this process: use the configured save_path.
  const char* save_path =
      zend_ini_string(const_cast<char*>("session.save_path"), sizeof("session.save_path") - 1, 0);
  std::string ignored;
  return clustered::ext::handler_for(save_path != nullptr ? save_path : "", &ignored);
}

// The "cache" sub-array's keys, as they have always been: without a cache only
// its size (0); the segment's figures whenever there is a segment.
std::vector<std::pair<const char*, std::uint64_t>> cache_entries(const StatsSnapshot& snapshot) {
  std::vector<std::pair<const char*, std::uint64_t>> entries;
  if (snapshot.cache) {
    entries = {
        {"size", snapshot.cache->capacity_bytes}, {"used", snapshot.cache->used_bytes},
        {"entries", snapshot.cache->entries},     {"max_entries", snapshot.cache->max_entries},
        {"evictions", snapshot.cache->evictions}, {"repairs", snapshot.cache->repairs}};
  } else {
    entries = {{"size", 0}};
  }
  if (snapshot.segment) {
    entries.push_back({"segment_bytes", snapshot.segment->mapped_bytes});
    entries.push_back({"reattached", snapshot.segment->reattach_count});
  }
  return entries;
}

zend_long as_long(std::uint64_t value) { return static_cast<zend_long>(value); }

}  // namespace

StatsSnapshot clustered_session_stats_snapshot() {
  static const clustered::Counters kNoCounters;  // before MINIT mapped a segment
  clustered::SharedSegment* segment = clustered::ext::shared_segment();
  std::optional<clustered::SegmentInfo> segment_info;
  if (segment != nullptr) {
    segment_info = clustered::SegmentInfo{segment->mapped_bytes(), segment->reattach_count()};
  }
  const clustered::HandlerConfig config = clustered::ext::current_config();
  SessionHandler* handler = handler_for_stats();
  StatsSnapshot snapshot =
      clustered::take_stats_snapshot(segment != nullptr ? segment->counters() : kNoCounters,
                                     segment != nullptr ? segment->cache() : nullptr, segment_info,
                                     config, handler != nullptr ? &handler->remote() : nullptr,
                                     segment != nullptr ? &segment->lock_waits() : nullptr);
  if (const std::string& refusal = clustered::ext::seal_refusal(); !refusal.empty()) {
    snapshot.sealing = "refused, every session fails: " + refusal;
  }
  return snapshot;
}

void clustered_session_fill_stats(zval* result) {
  const StatsSnapshot snapshot = clustered_session_stats_snapshot();
  array_init(result);
  for (const clustered::CounterValue& counter : snapshot.counters) {
    add_assoc_long(result, counter.name, as_long(counter.value));
  }
  add_assoc_string(result, "route", snapshot.route.c_str());
  add_assoc_bool(result, "trusted", snapshot.trusted);
  add_assoc_string(result, "mode", snapshot.mode.c_str());
  add_assoc_string(result, "sealing", snapshot.sealing.c_str());
  add_assoc_string(result, "compression", snapshot.compression.c_str());

  zval cache;
  array_init(&cache);
  for (const auto& [key, value] : cache_entries(snapshot)) {
    add_assoc_long(&cache, key, as_long(value));
  }
  add_assoc_zval(result, "cache", &cache);

  zval nodes;
  array_init(&nodes);
  for (const clustered::NodeState& state : snapshot.nodes) {
    zval node;
    array_init(&node);
    add_assoc_string(&node, "address", state.endpoint.c_str());
    add_assoc_string(&node, "role", state.role.c_str());
    add_assoc_bool(&node, "up", state.up);
    add_assoc_long(&node, "failures", as_long(state.failures));
    add_assoc_long(&node, "evictions", as_long(state.evictions));
    add_assoc_long(&node, "restarts", as_long(state.restarts));
    add_assoc_string(&node, "state", state.state().c_str());
    add_assoc_long(&node, "down_since", static_cast<zend_long>(state.down_since_s));
    add_assoc_bool(&node, "cas_tokens", !state.without_cas);
    add_assoc_zval(&nodes, state.id.c_str(), &node);
  }
  add_assoc_zval(result, "nodes", &nodes);

  // Lock waits: cumulative counts under each bound (µs; "inf": all), as Prometheus has them.
  for (const auto& [name, figures] :
       {std::pair{"lock_wait", &snapshot.lock_wait}, std::pair{"lock_wake", &snapshot.lock_wake}}) {
    zval histogram;
    array_init(&histogram);
    add_assoc_long(&histogram, "count", as_long(figures->count));
    add_assoc_long(&histogram, "sum_us", as_long(figures->sum_us));
    zval buckets;
    array_init(&buckets);
    for (std::size_t i = 0; i < clustered::kWaitBoundsUs.size(); ++i) {
      add_index_long(&buckets, static_cast<zend_ulong>(clustered::kWaitBoundsUs[i]),
                     as_long(figures->cumulative[i]));
    }
    add_assoc_long(&buckets, "inf", as_long(figures->count));
    add_assoc_zval(&histogram, "le_us", &buckets);
    add_assoc_string(&histogram, "summary", figures->summary().c_str());
    add_assoc_zval(result, name, &histogram);
  }

  // The counters' help texts, so deploy/status.php can list them without its own copy.
  zval help;
  array_init(&help);
  for (const clustered::CounterValue& counter : snapshot.counters) {
    add_assoc_string(&help, counter.name, counter.help);
  }
  add_assoc_zval(result, "help", &help);
}

void clustered_session_print_info() {
  const StatsSnapshot snapshot = clustered_session_stats_snapshot();
  php_info_print_table_start();
  php_info_print_table_header(2, "clustered_session", "enabled");
  php_info_print_table_row(2, "Version", PHP_CLUSTERED_SESSION_VERSION);
  for (const clustered::CounterValue& counter : snapshot.counters) {
    php_info_print_table_row(2, counter.name, std::to_string(counter.value).c_str());
  }
  php_info_print_table_row(2, "route", snapshot.route.c_str());
  php_info_print_table_row(2, "trusted", snapshot.trusted ? "yes" : "no");
  php_info_print_table_row(2, "mode", snapshot.mode.c_str());
  php_info_print_table_row(2, "sealing", snapshot.sealing.c_str());
  php_info_print_table_row(2, "compression", snapshot.compression.c_str());
  php_info_print_table_row(2, "lock waits", snapshot.lock_wait.summary().c_str());
  php_info_print_table_row(2, "lock hand-overs (unlock to waiter running)",
                           snapshot.lock_wake.summary().c_str());
  for (const auto& [key, value] : cache_entries(snapshot)) {
    php_info_print_table_row(2, ("cache " + std::string(key)).c_str(),
                             std::to_string(value).c_str());
  }
  for (const clustered::NodeState& node : snapshot.nodes) {
    const std::string state = node.endpoint + (node.up ? " up" : " DOWN") +
                              (node.state() != "up" ? " (" + node.state() + ")" : "") +
                              (node.role == "active" ? "" : ", " + node.role) + ", failures " +
                              std::to_string(node.failures) + ", evictions " +
                              std::to_string(node.evictions) + ", restarts " +
                              std::to_string(node.restarts);
    php_info_print_table_row(2, ("node " + node.id).c_str(), state.c_str());
  }
  php_info_print_table_end();
}
