// SPDX-License-Identifier: BSD-3-Clause
// Replayed or re-seeded copies (docs/design.md, "Sealed values"). memcached may hold a genuine
// but older copy of a session than the one this node has: someone wrote back a
// sealed value they had saved (it opens: it is ours), or another node re-seeded
// a restarted memcached from an older copy. A conditional write then meets
// another token, which is not another node's newer write: a node never takes
// a lower version than the one it caches, and writes its own over it instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "session/handler_context.h"

namespace clustered {

// When memcached's copy of `at` is a session (not a forward) older than
// `ours_version`, or does not open (garbage, a forgery: absent, so nothing to
// protect): reports it (rejected_values) and stores `data` at `new_version` over
// exactly that copy. Its new CAS token then; nullopt when memcached's copy is not
// older (a real conflict), is gone, or the write failed.
std::optional<std::uint64_t> overwrite_older_copy(HandlerContext& c, const ResolvedId& at,
                                                  std::uint64_t ours_version, std::string_view data,
                                                  std::uint64_t new_version);

}  // namespace clustered
