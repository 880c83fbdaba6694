// SPDX-License-Identifier: BSD-3-Clause
#include "session/stats_reading.h"

#include <utility>

namespace clustered {

StatsSnapshot take_stats_snapshot(const Counters& counters, SessionCache* cache,
                                  std::optional<SegmentInfo> segment, const HandlerConfig& config,
                                  const RemoteStore* remote, const LockWaits* lock_waits) {
  StatsSnapshot snapshot;
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    const CounterInfo& info = kCounterList[i];
    snapshot.counters[i] = {info.name, info.help,
                            (counters.*info.member).load(std::memory_order_relaxed)};
  }
  snapshot.route = config.route;
  snapshot.mode = config.mode_description();
  const ValueCodec codec(config.sealer, config.compression);
  snapshot.sealing = codec.sealer().description();
  snapshot.sealed = codec.sealer().seals_writes();
  snapshot.compression = codec.compression_description();
  // Trust needs a cache to serve from, whatever the settings say.
  snapshot.trusted = config.trusts_local_copy() && cache != nullptr;
  if (cache != nullptr) {
    const CacheStats stats = cache->stats();
    snapshot.cache = CacheFigures{stats.capacity_bytes, stats.used_bytes, stats.entries,
                                  stats.max_entries,    stats.evictions,  stats.repairs};
  }
  snapshot.segment = segment;
  if (lock_waits != nullptr) {
    snapshot.lock_wait = lock_waits->wait.figures();
    snapshot.lock_wake = lock_waits->wake.figures();
  }
  if (remote != nullptr) {
    for (std::size_t i = 0; i < remote->node_count(); ++i) {
      NodeState node;
      node.id = remote->address(i).id;
      node.endpoint = remote->address(i).endpoint();
      node.role = role_name(remote->address(i).role);
      node.up = remote->is_up(i);
      node.failures = remote->failures(i);
      node.evictions = remote->evictions(i);
      node.restarts = remote->restarts(i);
      node.without_cas = remote->without_cas(i);
      if (const auto outage = remote->outage(i)) {
        node.down_since_s = outage->since_s;
        node.down_cause = std::string(describe_outage(outage->cause));
      }
      snapshot.nodes.push_back(std::move(node));
    }
  }
  return snapshot;
}

}  // namespace clustered
