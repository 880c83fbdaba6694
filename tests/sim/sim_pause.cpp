// SPDX-License-Identifier: BSD-3-Clause
#include "sim/sim_pause.h"

#include "sim/fiber.h"

namespace clustered::sim {

void SimPause::pause_ms(std::int64_t ms) {
  if (ms <= 0) return;
  wake_at_ms = now_ms_ + ms;
  // Cleared however the fiber leaves (FiberKilled when its app node dies).
  struct Clear {
    std::int64_t& at;
    ~Clear() { at = 0; }
  } clear{wake_at_ms};
  while (now_ms_ < wake_at_ms) Fiber::yield();
}

}  // namespace clustered::sim
