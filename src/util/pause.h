// SPDX-License-Identifier: BSD-3-Clause
// Letting time pass, as the core sees it: a request that must wait for something
// another node does (the restart hold, docs/design.md, "Lost copies") asks this
// seam and never sleeps directly, so the simulator parks the request instead and
// tests let a fake clock run (docs/design.md, "Seams").
#pragma once

#include <cstdint>

namespace clustered {

class Pause {
 public:
  virtual ~Pause() = default;
  // Returns after about `ms` milliseconds (at once for 0 or less).
  virtual void pause_ms(std::int64_t ms) = 0;
};

// nanosleep, resumed after a signal until the time has passed.
class SystemPause final : public Pause {
 public:
  void pause_ms(std::int64_t ms) override;
};

// One per process: stateless, so sharing it is free.
Pause& system_pause();

}  // namespace clustered
