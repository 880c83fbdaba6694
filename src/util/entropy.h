// SPDX-License-Identifier: BSD-3-Clause
// Random bytes, passed in like the Clock: getrandom() in production, a seeded
// generator in the simulator, so that a history replays byte for byte.
#pragma once

#include <cstddef>

#include "util/result.h"

namespace clustered {

class Entropy {
 public:
  virtual ~Entropy() = default;
  // Fills [out, out + size) or says why it could not.
  virtual Status fill(void* out, std::size_t size) = 0;
};

// getrandom(2), the source PHP's own session IDs come from.
class SystemEntropy final : public Entropy {
 public:
  Status fill(void* out, std::size_t size) override;
};

Entropy& system_entropy();

}  // namespace clustered
