// SPDX-License-Identifier: BSD-3-Clause
// The write path: write(), update_timestamp() and the write-through both end in.
// The local copy is written first (marked unsynced), then memcached; a failed
// remote write keeps the session here and is retried on its next request.
#pragma once

#include <cstddef>
#include <string_view>

#include "session/handler_context.h"

namespace clustered {

class WritePath {
 public:
  explicit WritePath(HandlerContext& context) : c_(context) {}

  // Unchanged data (PHP without lazy_write) goes the update_timestamp() way.
  Status write(std::string_view id, std::string_view data);
  // lazy_write, data unchanged: refreshes the TTL, remotely at most once per
  // touch_interval; a copy memcached lost is written in full again.
  Status update_timestamp(std::string_view id, std::string_view data);
  // Stores the data under `id`: cache (when owned) and memcached. A failure's
  // cause tells a refusal for the item size limit (kTooLarge) and a write another
  // node's made impossible (kConflict) from the store's own failures.
  Status write_through(std::string_view id, std::string_view data);

 private:
  phase::Loaded* loaded_for(std::string_view id);
  // A write over the item size limit fails; the session stays as it was before
  // this request, also when memcached dropped the stored copy on refusing it.
  // A conditional write found another write in between: nothing is overwritten,
  // this request's changes are refused (one warning), the cached copy dropped.
  Status refuse_conflict(const ResolvedId& at);
  Status refuse_too_large(const ResolvedId& at, const phase::Loaded* loaded, std::size_t size,
                          const Failure& failure, bool cached);

  HandlerContext& c_;
};

}  // namespace clustered
