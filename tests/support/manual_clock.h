// SPDX-License-Identifier: BSD-3-Clause
// A Clock the test owns: nothing moves unless the test moves it. Wall and
// monotonic time are set apart, so a test can step the wall clock back (NTP)
// or skew it while intervals keep running forward.
#pragma once

#include <cstdint>

#include "util/clock.h"

namespace clustered::testing {

class ManualClock final : public clustered::Clock {
 public:
  // 2026-01-01T00:00:00Z, far from 0 so no expiry arithmetic goes negative.
  static constexpr std::int64_t kStartWallUs = 1767225600LL * 1000000;

  std::int64_t wall_us() const override { return wall_us_; }
  std::int64_t monotonic_ms() const override { return monotonic_ms_; }

  // Moves both clocks forward together, as real time passing does.
  void advance_ms(std::int64_t ms) {
    wall_us_ += ms * 1000;
    monotonic_ms_ += ms;
  }
  void advance_s(std::int64_t s) { advance_ms(s * 1000); }
  // Steps only the wall clock (either way): an NTP step or a skewed node.
  void step_wall_ms(std::int64_t ms) { wall_us_ += ms * 1000; }
  void set_wall_us(std::int64_t us) { wall_us_ = us; }

 private:
  std::int64_t wall_us_ = kStartWallUs;
  std::int64_t monotonic_ms_ = 1000;
};

}  // namespace clustered::testing
