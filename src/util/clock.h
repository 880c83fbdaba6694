// SPDX-License-Identifier: BSD-3-Clause
// Time, as the core sees it: wall time (what memcached expiries, versions and
// takeover notices are made of) and monotonic time (intervals: retry windows,
// check intervals). Passed in, never read directly, so the simulator and the
// tests own time (docs/design.md, "Seams").
#pragma once

#include <cstdint>

namespace clustered {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch; may jump (NTP steps, skew between nodes).
  virtual std::int64_t wall_us() const = 0;
  // Milliseconds since an arbitrary start; never goes back.
  virtual std::int64_t monotonic_ms() const = 0;
  // The same in microseconds, for durations under a millisecond (lock waits);
  // a clock that only keeps milliseconds gives those.
  virtual std::int64_t monotonic_us() const { return monotonic_ms() * 1000; }

  std::int64_t wall_s() const { return wall_us() / 1000000; }
};

// The machine's clocks (CLOCK_REALTIME, CLOCK_MONOTONIC).
class SystemClock final : public Clock {
 public:
  std::int64_t wall_us() const override;
  std::int64_t monotonic_ms() const override;
  std::int64_t monotonic_us() const override;
};

// One per process: stateless, so sharing it is free.
Clock& system_clock();

}  // namespace clustered
