// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: the shared-memory session cache's crash repair (src/shm/session_cache.h).
//
// Each input lays out a fresh cache in a static region, stores a handful of sessions
// (several sizes, one replaced, one unsynced, one forward, one expired), then lets
// the input overwrite bytes past the header (bucket index, entry table, chunk
// area) the way a writer that crashed or scribbled mid-operation could, and runs
// the repair a locker runs after EOWNERDEAD. Required afterwards:
//   - check_consistency() is true;
//   - get() of every key never crashes, and what it returns is one whole write
//     (data, version and length agree: no torn or mixed session);
//   - the cache keeps working: puts that evict, remove, sweep, refresh, stats, and
//     check_consistency() is still true at the end.
//
// Input: byte 0 picks the region size (% 3) and whether to fill it (bit 2); then records
//   offset u24 LE (modulo the area past the header), count u8, then
//   count < 0x80: that many bytes to copy; count >= 0x80: one byte written
//   (count & 0x7f) + 1 times.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "shm/session_cache.h"
#include "support/session_data.h"

namespace {

using namespace clustered;
using clustered::testing::make_data;

constexpr std::int64_t kNow = 1700000000;
constexpr std::size_t kSizes[] = {64 * 1024, 64 * 1024 + 4100, 160 * 1024};
constexpr std::size_t kMaxSize = 160 * 1024;

alignas(64) unsigned char region[kMaxSize];

// make_data(version, size) for the versions used here, made once (the fuzzer runs
// each input in well under a millisecond; generating data would dominate).
const std::string& data_of(std::uint64_t version, std::size_t size) {
  static std::vector<std::string> made(64);
  std::string& data = made.at(version);
  if (data.size() != size) data = make_data(version, size);
  return data;
}

CachedSession session_of(std::uint64_t version, std::size_t size, std::int64_t expires_at,
                         bool unsynced = false, bool forward = false) {
  CachedSession session;
  session.data = data_of(version, size);
  session.version = version;
  session.expires_at = expires_at;
  session.remote_touched_at = kNow;
  session.unsynced = unsynced;
  session.forward = forward;
  session.store = "n" + std::to_string(version % 3);
  return session;
}

const std::vector<std::string>& keys() {
  static const std::vector<std::string> all = {
      "sess.k0", "sess.k1", "sess.k2", "sess.k3",  "sess.k4",
      "sess.k5", "sess.k6", "sess.k7", "sess.big", std::string(kMaxCacheKey, 'x')};
  return all;
}

void require_consistent(SessionCache* cache, const char* when) {
  std::string problem;
  const bool ok = cache->check_consistency(&problem);
  if (!ok) std::fprintf(stderr, "inconsistent %s: %s\n", when, problem.c_str());
  FUZZ_REQUIRE(ok, when);
}

void get_every_key(SessionCache* cache, std::int64_t now) {
  for (const std::string& key : keys()) {
    if (const auto got = cache->get(key, now)) {
      FUZZ_REQUIRE(got->version < 64 && got->data == data_of(got->version, got->data.size()),
                   "get() returned a torn or mixed session");
      FUZZ_REQUIRE(got->store.size() < 24, "store longer than its field");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t region_size = kSizes[data[0] % 3];
  std::memset(region, 0, region_size);
  SessionCache* cache = SessionCache::create(region, region_size);
  FUZZ_REQUIRE(cache != nullptr, "create() failed");

  const auto& k = keys();
  FUZZ_REQUIRE(cache->put(k[0], session_of(10, 0, kNow + 600), kNow), "put k0");
  FUZZ_REQUIRE(cache->put(k[1], session_of(11, 1, kNow + 600), kNow), "put k1");
  FUZZ_REQUIRE(cache->put(k[2], session_of(12, 700, kNow + 600, true), kNow), "put k2");
  FUZZ_REQUIRE(cache->put(k[3], session_of(13, kChunkPayload, kNow + 600, false, true), kNow),
               "put k3");
  FUZZ_REQUIRE(cache->put(k[4], session_of(14, kChunkPayload + 1, kNow + 600), kNow), "put k4");
  FUZZ_REQUIRE(cache->put(k[5], session_of(15, 3000, kNow), kNow - 1), "put k5");  // expires now
  FUZZ_REQUIRE(cache->put(k[6], session_of(16, 2500, kNow + 600), kNow), "put k6");
  FUZZ_REQUIRE(cache->put(k[6], session_of(17, 1200, kNow + 600), kNow), "replace k6");
  FUZZ_REQUIRE(cache->put(k[9], session_of(18, 64, kNow + 600), kNow), "put long key");

  // The damage.
  const std::size_t base = SessionCache::header_bytes();
  const std::size_t area = region_size - base;
  std::size_t at = 1;
  while (at + 4 <= size) {
    const std::size_t offset =
        (static_cast<std::size_t>(data[at]) | (std::size_t{data[at + 1]} << 8) |
         (std::size_t{data[at + 2]} << 16)) %
        area;
    const std::uint8_t count = data[at + 3];
    at += 4;
    unsigned char* target = region + base + offset;
    const std::size_t room = area - offset;
    if (count < 0x80) {
      const std::size_t n = std::min<std::size_t>({count, size - at, room});
      std::memcpy(target, data + at, n);
      at += n;
    } else if (at < size) {
      const std::size_t n = std::min<std::size_t>((count & 0x7f) + 1u, room);
      std::memset(target, data[at], n);
      at += 1;
    }
  }

  cache->repair_after_crash();
  require_consistent(cache, "after repair");
  get_every_key(cache, kNow);

  // The repaired cache must keep working: more sessions than entry slots (evicts
  // by entry), and with bit 2 of byte 0 more data than chunks (evicts by chunk).
  for (std::uint64_t i = 0; i < 20; ++i) {
    cache->put("sess.e" + std::to_string(i), session_of(30 + i, 10 * i, kNow + 600), kNow);
  }
  if ((data[0] & 4) != 0) {
    cache->put(k[7], session_of(24, 15000, kNow + 600), kNow);
    cache->put(k[8], session_of(25, 15000, kNow + 600), kNow);
    cache->put(k[8], session_of(26, 16000, kNow + 600), kNow);
    cache->put(k[1], session_of(23, 15000, kNow + 600, true), kNow);
  } else {
    cache->put(k[7], session_of(20, 1500, kNow + 600), kNow);
    cache->put(k[1], session_of(19, 900, kNow + 600, true), kNow);
  }
  cache->refresh(k[1], kNow + 900, kNow, 23);
  cache->refresh(k[2], kNow + 900, kNow, std::nullopt);
  cache->remove(k[0]);
  get_every_key(cache, kNow + 1);
  cache->sweep(kNow + 700);
  get_every_key(cache, kNow + 1000);
  const CacheStats stats = cache->stats();
  FUZZ_REQUIRE(stats.entries <= stats.max_entries, "more entries than slots");
  FUZZ_REQUIRE(stats.used_bytes <= stats.capacity_bytes, "more bytes used than the capacity");
  require_consistent(cache, "at the end");
  return 0;
}
