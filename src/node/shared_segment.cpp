// SPDX-License-Identifier: BSD-3-Clause
#include "node/shared_segment.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <new>

namespace clustered {
namespace {

constexpr std::uint64_t kSegmentMagic = 0x636c737365676d31ULL;  // "clssegm1"
// Bump when a structure in the segment changes meaning without changing size;
// layout_version() adds the sizes (and the cache's own layout) by itself.
constexpr std::uint32_t kSegmentRevision = 7;
// The parent records its live segment here: environment variables survive the
// unloading and reloading of the module during a graceful restart.
constexpr const char* kReattachVariable = "CLUSTERED_SESSION_SEGMENT";

std::size_t align_up(std::size_t value, std::size_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

}  // namespace

struct SharedSegment::Header {
  SegmentStamp stamp;  // first: where every build looks for it
  std::int32_t owner_pid;
  std::size_t counters_offset;
  std::size_t lock_waits_offset;
  std::size_t health_offset;
  std::size_t locks_offset;
  std::size_t watch_offset;
  std::size_t events_offset;
  std::size_t save_paths_offset;
  std::size_t cache_offset;  // 0 when there is no cache
  std::uint32_t generation;  // how many times the owner reattached
  bool reattached;
};

SharedSegment::Header* SharedSegment::header() { return reinterpret_cast<Header*>(this); }
const SharedSegment::Header* SharedSegment::header() const {
  return reinterpret_cast<const Header*>(this);
}

Counters& SharedSegment::counters() {
  return *reinterpret_cast<Counters*>(reinterpret_cast<char*>(this) + header()->counters_offset);
}
LockWaits& SharedSegment::lock_waits() {
  return *reinterpret_cast<LockWaits*>(reinterpret_cast<char*>(this) + header()->lock_waits_offset);
}
NodeHealthTable& SharedSegment::health() {
  return *reinterpret_cast<NodeHealthTable*>(reinterpret_cast<char*>(this) +
                                             header()->health_offset);
}
LockTable& SharedSegment::locks() {
  return *reinterpret_cast<LockTable*>(reinterpret_cast<char*>(this) + header()->locks_offset);
}
TakeoverWatch& SharedSegment::takeover_watch() {
  return *reinterpret_cast<TakeoverWatch*>(reinterpret_cast<char*>(this) + header()->watch_offset);
}
EventThrottle& SharedSegment::events() {
  return *reinterpret_cast<EventThrottle*>(reinterpret_cast<char*>(this) + header()->events_offset);
}
SavePathMemory& SharedSegment::save_paths() {
  return *reinterpret_cast<SavePathMemory*>(reinterpret_cast<char*>(this) +
                                            header()->save_paths_offset);
}
SessionCache* SharedSegment::cache() {
  if (header()->cache_offset == 0) return nullptr;
  return reinterpret_cast<SessionCache*>(reinterpret_cast<char*>(this) + header()->cache_offset);
}
std::size_t SharedSegment::mapped_bytes() const { return header()->stamp.mapped_bytes; }
bool SharedSegment::reattached() const { return header()->reattached; }
std::uint32_t SharedSegment::reattach_count() const { return header()->generation; }

std::uint32_t SharedSegment::layout_version(std::uint32_t cache_layout) {
  // The stamp's fields sit where earlier builds kept magic, layout and sizes, so an
  // earlier build's segment is read correctly (and refused by its version).
  static_assert(offsetof(Header, stamp) == 0);
  static_assert(offsetof(SegmentStamp, version) == 8 &&
                offsetof(SegmentStamp, mapped_bytes) == 16 &&
                offsetof(SegmentStamp, cache_size) == 24);
  const std::uint64_t parts[] = {kSegmentRevision,
                                 sizeof(Header),
                                 alignof(Header),
                                 sizeof(SegmentStamp),
                                 sizeof(Counters),
                                 alignof(Counters),
                                 sizeof(LockWaits),
                                 alignof(LockWaits),
                                 sizeof(NodeHealthTable),
                                 alignof(NodeHealthTable),
                                 sizeof(LockTable),
                                 alignof(LockTable),
                                 sizeof(TakeoverWatch),
                                 alignof(TakeoverWatch),
                                 sizeof(EventThrottle),
                                 alignof(EventThrottle),
                                 sizeof(SavePathMemory),
                                 alignof(SavePathMemory),
                                 cache_layout};
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64 over the parts
  for (const std::uint64_t part : parts) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(&part);
    for (std::size_t i = 0; i < sizeof part; ++i) hash = (hash ^ bytes[i]) * 0x100000001b3ULL;
  }
  return static_cast<std::uint32_t>(hash ^ (hash >> 32));
}

bool SharedSegment::may_reattach(const SegmentStamp& found, std::uint32_t version,
                                 std::size_t cache_size, std::size_t recorded_bytes) {
  return found.magic == kSegmentMagic && found.version == version &&
         found.cache_size == cache_size && found.mapped_bytes == recorded_bytes;
}

namespace {

// True when [address, address + size) is mapped in this process: the recorded
// segment survives module reloads and the fork of Apache's daemonising, but not
// an exec, after which the inherited variable points at nothing (or at memory
// that is not ours, which the magic check then refuses).
bool is_mapped(std::uintptr_t address, std::size_t size) {
  if (address == 0 || address % 4096 != 0 || size == 0) return false;
  unsigned char residency[1];
  return mincore(reinterpret_cast<void*>(address), 1, residency) == 0 &&
         mincore(reinterpret_cast<void*>(address + size - 4096), 1, residency) == 0;
}

}  // namespace

Result<SharedSegment*> SharedSegment::create_or_reattach(std::size_t cache_size,
                                                         std::uint32_t version,
                                                         const Clock& clock) {
  if (const char* recorded = std::getenv(kReattachVariable); recorded != nullptr) {
    std::uintptr_t address = 0;
    unsigned long long size = 0;
    if (std::sscanf(recorded, "%" SCNxPTR ":%llu", &address, &size) == 2 &&
        is_mapped(address, size)) {
      auto* header = reinterpret_cast<Header*>(address);
      if (may_reattach(header->stamp, version, cache_size, size)) {
        header->reattached = true;
        header->owner_pid = static_cast<std::int32_t>(getpid());
        ++header->generation;
        unsetenv(kReattachVariable);
        return reinterpret_cast<SharedSegment*>(header);
      }
      // Another size, or a build with another layout of any structure in it (the
      // cache's included): it cannot serve. Old children keep their own mapping
      // (munmap only affects this process) until they exit.
      if (header->stamp.magic == kSegmentMagic) munmap(reinterpret_cast<void*>(address), size);
    }
    unsetenv(kReattachVariable);
  }

  std::size_t offset = align_up(sizeof(Header), 64);
  const std::size_t counters_offset = offset;
  offset = align_up(offset + sizeof(Counters), 64);
  const std::size_t lock_waits_offset = offset;
  offset = align_up(offset + sizeof(LockWaits), 64);
  const std::size_t health_offset = offset;
  offset = align_up(offset + sizeof(NodeHealthTable), 64);
  const std::size_t locks_offset = offset;
  offset = align_up(offset + sizeof(LockTable), 64);
  const std::size_t watch_offset = offset;
  offset = align_up(offset + sizeof(TakeoverWatch), 64);
  const std::size_t events_offset = offset;
  offset = align_up(offset + sizeof(EventThrottle), 64);
  const std::size_t save_paths_offset = offset;
  offset = align_up(offset + sizeof(SavePathMemory), 4096);
  const std::size_t cache_offset = cache_size > 0 ? offset : 0;
  if (cache_size > 0) offset += SessionCache::bytes_needed(cache_size);
  const std::size_t total = align_up(offset, 4096);

  void* memory = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    return Error{"cannot map " + std::to_string(total) +
                 " bytes of shared memory: " + std::strerror(errno)};
  }
  auto* header = new (memory) Header{};
  header->stamp.magic = kSegmentMagic;
  header->stamp.version = version;
  header->stamp.mapped_bytes = total;
  header->stamp.cache_size = cache_size;
  header->owner_pid = static_cast<std::int32_t>(getpid());
  header->counters_offset = counters_offset;
  header->lock_waits_offset = lock_waits_offset;
  header->health_offset = health_offset;
  header->locks_offset = locks_offset;
  header->watch_offset = watch_offset;
  header->events_offset = events_offset;
  header->save_paths_offset = save_paths_offset;
  header->cache_offset = cache_offset;
  auto* segment = static_cast<SharedSegment*>(memory);
  new (&segment->counters()) Counters{};
  new (&segment->lock_waits()) LockWaits{};
  new (&segment->health()) NodeHealthTable{};
  segment->locks().init();
  new (&segment->takeover_watch()) TakeoverWatch{};
  segment->takeover_watch().start(clock.monotonic_ms() / 1000);  // monotonic, as its checks
  new (&segment->events()) EventThrottle{};
  new (&segment->save_paths()) SavePathMemory;  // the mapping is zeroed: only its mutex is written
  segment->save_paths().init();
  if (cache_size > 0) {
    SessionCache::create(static_cast<char*>(memory) + cache_offset,
                         SessionCache::bytes_needed(cache_size));
  }
  return segment;
}

void SharedSegment::release(SharedSegment* segment, bool keep_for_restart) {
  if (segment == nullptr) return;
  if (keep_for_restart) {
    // Apache reloads the module in the same parent on a graceful restart (and
    // once more at start-up, across its daemonising fork): the next MINIT finds
    // this mapping again instead of leaking it and splitting the cache in two.
    char recorded[96];
    std::snprintf(recorded, sizeof recorded, "%" PRIxPTR ":%llu",
                  reinterpret_cast<std::uintptr_t>(segment),
                  static_cast<unsigned long long>(segment->mapped_bytes()));
    setenv(kReattachVariable, recorded, 1);
    return;
  }
  munmap(segment, segment->mapped_bytes());
}

}  // namespace clustered
