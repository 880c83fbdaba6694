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

}  // namespace clustered
