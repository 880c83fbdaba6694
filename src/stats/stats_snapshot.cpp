// SPDX-License-Identifier: BSD-3-Clause
#include "stats/stats_snapshot.h"

#include <ctime>
#include <string_view>

namespace clustered {

std::uint64_t StatsSnapshot::counter(std::string_view name) const {
  for (const CounterValue& counter : counters) {
    if (name == counter.name) return counter.value;
  }
  return 0;
}

std::string NodeState::state() const {
  if (down_since_s == 0) {
    return without_cas ? "up, no CAS tokens (memcached -C): stores no session" : "up";
  }
  char when[32] = "?";
  const std::time_t since = down_since_s;
  std::tm utc{};
  if (gmtime_r(&since, &utc) != nullptr) std::strftime(when, sizeof when, "%F %T UTC", &utc);
  return "down since " + std::string(when) + " (" + down_cause + ")";
}

StatsSnapshot take_stats_snapshot(const Counters& counters, SessionCache* cache,
                                  std::optional<SegmentInfo> segment, const HandlerConfig& config,
                                  const RemoteStore* remote) {
  StatsSnapshot snapshot;
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    const CounterInfo& info = kCounterList[i];
    snapshot.counters[i] = {info.name, info.help,
                            (counters.*info.member).load(std::memory_order_relaxed)};
  }
  snapshot.route = config.route;
  snapshot.mode = config.mode_description();
  const Sealer unsealed;
  const Sealer& sealer = config.sealer != nullptr ? *config.sealer : unsealed;
  snapshot.sealing = sealer.description();
  snapshot.sealed = sealer.seals_writes();
  // Trust needs a cache to serve from, whatever the settings say.
  snapshot.trusted = config.trusts_local_copy() && cache != nullptr;
  if (cache != nullptr) snapshot.cache = cache->stats();
  snapshot.segment = segment;
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
