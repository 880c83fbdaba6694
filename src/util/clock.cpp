// SPDX-License-Identifier: BSD-3-Clause
#include "util/clock.h"

#include <ctime>

namespace clustered {
namespace {

std::int64_t read_clock(clockid_t id, std::int64_t unit_ns) {
  timespec now{};
  clock_gettime(id, &now);
  return static_cast<std::int64_t>(now.tv_sec) * (1000000000 / unit_ns) + now.tv_nsec / unit_ns;
}

}  // namespace

std::int64_t SystemClock::wall_us() const { return read_clock(CLOCK_REALTIME, 1000); }
std::int64_t SystemClock::monotonic_ms() const { return read_clock(CLOCK_MONOTONIC, 1000000); }
std::int64_t SystemClock::monotonic_us() const { return read_clock(CLOCK_MONOTONIC, 1000); }

Clock& system_clock() {
  static SystemClock clock;
  return clock;
}

}  // namespace clustered
