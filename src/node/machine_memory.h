// SPDX-License-Identifier: BSD-3-Clause
// How much memory this machine (or the cgroup PHP runs in) can give the shared
// cache: a cache_size above it could only end in the OOM killer, so it is refused
// at start-up instead (docs/design.md, "The shared segment").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clustered {

// Physical memory, lowered to the cgroup's limit when there is one (v2
// memory.max, v1 memory.limit_in_bytes); nullopt when nothing can be read.
std::optional<std::uint64_t> machine_memory_bytes();

// A cgroup memory limit file's text as bytes: nullopt for "max", junk, or v1's
// "no limit" (a number near 2^63).
std::optional<std::uint64_t> parse_cgroup_limit(std::string_view text);

// Why a cache of `cache_size` bytes cannot be held by a machine of `machine`
// bytes, or nullopt when it can (unknown machine size: anything can).
std::optional<std::string> cache_size_refusal(std::uint64_t cache_size,
                                              std::optional<std::uint64_t> machine);

}  // namespace clustered
