// SPDX-License-Identifier: BSD-3-Clause
// The save_path this app node used before its current one, and when it changed
// (docs/design.md, "save_path roles"): a node dropped from save_path without the
// operator's drain still holds sessions (placed by this node before, or by app
// nodes that list it still), so for a while this node keeps reading there.
// Text only: what it means is parsed above (session/departed_nodes.h).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "shm/robust_mutex.h"

namespace clustered {

struct SavePathMemory {
  static constexpr std::size_t kMaxText = 4096;  // a longer save_path is not remembered

  struct Before {
    std::string text;             // the save_path before `path` ("": none known)
    std::int64_t changed_at = 0;  // monotonic s when `path` replaced it
  };

  void init() { mutex.init(); }

  // Records `path` as the one in use (monotonic `now_s`) and returns the one
  // before it. A path that differs from the current one makes that one the
  // previous, as of now; the same path changes nothing.
  Before note(std::string_view path, std::int64_t now_s) {
    Before before;
    if (path.size() > kMaxText) return before;
    // A holder that died mid-copy: the texts may be cut, so both are forgotten.
    RobustGuard guard(mutex, [this] { current_size = previous_size = 0; });
    if (!guard.held()) return before;
    if (std::string_view(current, current_size) != path) {
      std::memcpy(previous, current, current_size);
      previous_size = current_size;
      std::memcpy(current, path.data(), path.size());
      current_size = static_cast<std::uint32_t>(path.size());
      changed_at = now_s;
    }
    before.text.assign(previous, previous_size);
    before.changed_at = changed_at;
    return before;
  }

  RobustMutex mutex;
  std::int64_t changed_at = 0;
  std::uint32_t current_size = 0;
  std::uint32_t previous_size = 0;
  char current[kMaxText];
  char previous[kMaxText];
};

}  // namespace clustered
