// SPDX-License-Identifier: BSD-3-Clause
// FNV-1a, 64 bits: a hash that is the same on every node, process and build
// (std::hash is neither), for anything that nodes must agree on.
#pragma once

#include <cstdint>
#include <string_view>

namespace clustered {

inline constexpr std::uint64_t kFnv1aBasis = 0xcbf29ce484222325ULL;

constexpr std::uint64_t fnv1a(std::string_view bytes, std::uint64_t hash = kFnv1aBasis) {
  // Unrolled: every request hashes its session key twice (lock table, cache),
  // and a byte's xor and multiply cost less than the loop's own test and branch.
#pragma GCC unroll 8
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace clustered
