// The one shared mapping of an app node, made before the server forks its
// children (MINIT), so every child of the node sees the same memory:
//
//   SegmentHeader (magic, layout version, sizes, owner pid)
//   Counters        shared statistics
//   NodeHealthTable memcached up/down state
//   LockTable       per-session locks
//   TakeoverWatch   when the node last read its takeover notices
//   SessionCache    the node-local session cache (absent when cache_size = 0)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "stats/counters.h"
#include "shm/lock_table.h"
#include "shm/session_cache.h"
#include "shm/takeover_watch.h"
#include "store/node_health.h"
#include "util/result.h"

namespace clustered {

class SharedSegment {
 public:
  // Maps a new MAP_SHARED|MAP_ANONYMOUS segment, or, when this same process made
  // one with the same cache size before (Apache graceful restart reloads the
  // module in the parent), attaches to that one again, so old and new children
  // keep sharing one cache and no segment is leaked.
  static Result<SharedSegment*> create_or_reattach(std::size_t cache_size);

  // Unmaps unless a reattach is expected (same process, restart): see .cpp.
  static void release(SharedSegment* segment, bool keep_for_restart);

  Counters& counters();
  NodeHealthTable& health();
  LockTable& locks();
  TakeoverWatch& takeover_watch();
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
