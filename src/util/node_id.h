// SPDX-License-Identifier: BSD-3-Clause
// Node ids and routes share one grammar: [a-z0-9]{1,16}.
#pragma once

#include <cstddef>
#include <string_view>

namespace clustered {

inline constexpr std::size_t kMaxNodeIdLength = 16;

constexpr bool is_valid_node_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxNodeIdLength) return false;
  for (char c : id) {
    const bool lower = c >= 'a' && c <= 'z';
    const bool digit = c >= '0' && c <= '9';
    if (!lower && !digit) return false;
  }
  return true;
}

}  // namespace clustered
