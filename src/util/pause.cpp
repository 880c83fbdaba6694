// SPDX-License-Identifier: BSD-3-Clause
#include "util/pause.h"

#include <cerrno>
#include <ctime>

namespace clustered {

void SystemPause::pause_ms(std::int64_t ms) {
  if (ms <= 0) return;
  timespec left{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
}

Pause& system_pause() {
  static SystemPause pause;
  return pause;
}

}  // namespace clustered
