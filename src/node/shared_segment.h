// SPDX-License-Identifier: BSD-3-Clause
// The one shared mapping of an app node, made before the server forks its
// children (MINIT), so every child of the node sees the same memory:
//
//   SegmentHeader   SegmentStamp (magic, version, sizes), owner pid, offsets
//   Counters        shared statistics
//   LockWaits       how long requests waited for session locks (histograms)
//   NodeHealthTable memcached up/down state
//   LockTable       per-session locks
//   TakeoverWatch   when the node last read its takeover notices
//   EventThrottle   when the node last logged each kind of handled event
//   SavePathMemory  the save_path before the current one, and when it changed
//   SessionCache    the node-local session cache (absent when cache_size = 0),
//                   with its own header, index, entries and chunks
//
// The stamp's version is one number for all of it, the cache's layout included
// (layout_version()): a graceful restart into a build that lays out any of these
// structures differently makes a new segment instead of reattaching the old one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "shm/event_throttle.h"
#include "shm/lock_table.h"
#include "shm/save_path_memory.h"
#include "shm/session_cache.h"
#include "shm/takeover_watch.h"
#include "stats/counters.h"
#include "stats/lock_waits.h"
#include "store/node_health.h"
#include "util/clock.h"
#include "util/result.h"

namespace clustered {

// What a segment records about the build that made it, at its very start: the
// same place in every build (and in earlier ones), so any build can read it.
struct SegmentStamp {
  std::uint64_t magic = 0;
  std::uint32_t version = 0;  // SharedSegment::layout_version() of the build that made it
  std::uint32_t reserved = 0;
  std::uint64_t mapped_bytes = 0;
  std::uint64_t cache_size = 0;
};

class SharedSegment {
 public:
  // The segment's one version: its header and the layout of every structure in
  // it, the session cache's included (SessionCache::layout_version()). Tests pass
  // another cache_layout to get the version of a build whose cache differs.
  static std::uint32_t layout_version(std::uint32_t cache_layout = SessionCache::layout_version());

  // Whether a segment stamped `found`, recorded as `recorded_bytes` long, can serve
  // a build of version `version` configured with `cache_size`: only when it is a
  // segment at all, made by a build with the same layout, of the same size.
  static bool may_reattach(const SegmentStamp& found, std::uint32_t version, std::size_t cache_size,
                           std::size_t recorded_bytes);

  // Maps a new MAP_SHARED|MAP_ANONYMOUS segment, or, when this same process made
  // one with the same cache size and version before (Apache graceful restart
  // reloads the module in the parent), attaches to that one again, so old and new
  // children keep sharing one cache and no segment is leaked. A recorded segment
  // that may not be reattached is unmapped in this process (old children keep
  // theirs until they exit). `version` is this build's; tests pass another to act
  // as another build. `clock` dates the new segment's takeover watch.
  static Result<SharedSegment*> create_or_reattach(std::size_t cache_size,
                                                   std::uint32_t version = layout_version(),
                                                   const Clock& clock = system_clock());

  // Unmaps unless a reattach is expected (same process, restart): see .cpp.
  static void release(SharedSegment* segment, bool keep_for_restart);

  Counters& counters();
  LockWaits& lock_waits();
  NodeHealthTable& health();
  LockTable& locks();
  TakeoverWatch& takeover_watch();
  EventThrottle& events();
  SavePathMemory& save_paths();
  SessionCache* cache();  // nullptr when cache_size = 0
  std::size_t mapped_bytes() const;
  bool reattached() const;
  // How many times the module was reloaded in its owner and found this segment again.
  std::uint32_t reattach_count() const;

 private:
  struct Header;
  Header* header();
  const Header* header() const;
};

}  // namespace clustered
