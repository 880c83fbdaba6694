// SPDX-License-Identifier: BSD-3-Clause
// Session bytes for cache tests and the cache fuzz target: derived from the version,
// so a read that mixes two writes (or reads a stale or freed chunk) is detected:
// every byte depends on the version. Header-only: the fuzz build has no test library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace clustered::testing {

inline std::string make_data(std::uint64_t version, std::size_t size) {
  std::string data(size, '\0');
  std::uint64_t x = version * 0x9E3779B97F4A7C15ULL + 1;
  for (std::size_t i = 0; i < size; ++i) {
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ULL;
    data[i] = static_cast<char>(x >> 56);
  }
  return data;
}

}  // namespace clustered::testing
