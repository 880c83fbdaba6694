// SPDX-License-Identifier: BSD-3-Clause
// What a StoreReply (a Result<StoreItem>) holds, read in one expression by the
// store tests: the value and token of a success, nothing of a failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/store_node.h"

namespace clustered::testing {

inline std::optional<std::string> value_of(const StoreReply& reply) {
  return reply.ok() ? reply->value : std::nullopt;
}
inline std::uint64_t cas_of(const StoreReply& reply) { return reply.ok() ? reply->cas : 0; }

}  // namespace clustered::testing
