// SPDX-License-Identifier: BSD-3-Clause
// Entropy for tests: a fixed splitmix64 stream, so session IDs (and the live node
// create_sid() picks) are the same on every run; `failures_to_inject` makes the
// next fill() calls fail, as getrandom() can.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "util/entropy.h"

namespace clustered::testing {

class SeededEntropy final : public clustered::Entropy {
 public:
  explicit SeededEntropy(std::uint64_t seed = 1) : state_(seed) {}

  clustered::Status fill(void* out, std::size_t size) override {
    if (failures_to_inject > 0) {
      --failures_to_inject;
      return clustered::Error{"getrandom: injected failure"};
    }
    auto* bytes = static_cast<unsigned char*>(out);
    for (std::size_t i = 0; i < size; i += 8) {
      const std::uint64_t word = next();
      std::memcpy(bytes + i, &word, size - i < 8 ? size - i : 8);
    }
    return clustered::success();
  }

  int failures_to_inject = 0;

 private:
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  std::uint64_t state_;
};

}  // namespace clustered::testing
