// SPDX-License-Identifier: BSD-3-Clause
// The one seeded source of every choice in a history (xoshiro256**, seeded by
// splitmix64): which request runs next, which fault fires, how far a clock
// jumps, and the handler's own randomness (session IDs, node picks).
#pragma once

#include <cstdint>
#include <cstring>

#include "util/entropy.h"

namespace clustered::sim {

class SimRandom {
 public:
  explicit SimRandom(std::uint64_t seed) {
    for (auto& word : state_) {
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  // Uniform in [0, bound).
  std::uint64_t below(std::uint64_t bound) { return bound == 0 ? 0 : next() % bound; }
  std::int64_t between(std::int64_t low, std::int64_t high) {
    return low + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(high - low + 1)));
  }
  bool chance(double probability) {
    return static_cast<double>(next() >> 11) * 0x1.0p-53 < probability;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4] = {};
};

// The handler's entropy, from its own stream (so that adding a choice to the
// scheduler does not change every session ID of a history).
class SimEntropy final : public Entropy {
 public:
  explicit SimEntropy(std::uint64_t seed) : random_(seed ^ 0x5eed5eed5eed5eedULL) {}
  Status fill(void* out, std::size_t size) override {
    auto* bytes = static_cast<unsigned char*>(out);
    for (std::size_t i = 0; i < size; i += 8) {
      const std::uint64_t word = random_.next();
      std::memcpy(bytes + i, &word, size - i < 8 ? size - i : 8);
    }
    return success();
  }

 private:
  SimRandom random_;
};

}  // namespace clustered::sim
