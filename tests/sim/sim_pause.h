// SPDX-License-Identifier: BSD-3-Clause
// The Pause of one simulated handler process: a request that lets time pass
// (the restart hold, docs/design.md, "Lost copies") parks its fiber until that
// much simulated time has passed, as sim_locks.h parks lock waiters; nothing
// sleeps.
#pragma once

#include <cstdint>

#include "util/pause.h"

namespace clustered::sim {

class SimPause final : public Pause {
 public:
  explicit SimPause(const std::int64_t& now_ms) : now_ms_(now_ms) {}
  void pause_ms(std::int64_t ms) override;

  // While a request of this process is parked: when it may run again (the
  // simulator does not resume it before); 0 otherwise.
  std::int64_t wake_at_ms = 0;

 private:
  const std::int64_t& now_ms_;
};

}  // namespace clustered::sim
