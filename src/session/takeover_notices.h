// Takeover notices: how a node learns that another node took over sessions it
// still holds in its local cache.
//
// A local hit is served without asking memcached, so when web2 takes over a
// session of web1 (failover, a late parallel request), web1's cached copy would
// live on under the old ID. web2 therefore appends the old key's hash to a notice
// list for route web1 on every live memcached node:
//
//   clustered_session.moved:<route>:<bucket>    bucket = unix time / kNoticeBucketSeconds
//   value: one line per taken-over key, 16 hex digits of its cache hash, or "*"
//          (the list overflowed the node's item size: distrust everything)
//
// Each app node reads its own route's lists of the current and the previous
// bucket at most once per check interval (one process for the whole node) and
// drops the named entries, so the next request for an old ID finds the forward
// in memcached. A node that has not completed a check for kNoticeGapSeconds
// (lists may have expired unread: it was cut off, or idle) trusts no local copy
// until a check completes, and then drops every synced entry it cached.
// The ':' keeps these keys apart from session keys: no session ID contains one.
// The lists do not depend on clustered_session.prefix (PHP_INI_ALL: apps on one
// node may differ), so one check covers them all; the hashes are of whole keys,
// prefix included, so one app's notices never drop another's sessions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clustered {

inline constexpr std::int64_t kNoticeBucketSeconds = 60;
// A reader checks at least this often, or distrusts its cache: half a bucket, so
// reading two buckets covers every notice written since, with clocks up to that
// far apart between nodes.
inline constexpr std::int64_t kNoticeGapSeconds = kNoticeBucketSeconds / 2;
// Lists outlive every reader that checks within kNoticeGapSeconds of a write.
inline constexpr std::uint32_t kNoticeTtlSeconds = 3 * kNoticeBucketSeconds;
// Longest check interval clustered_session.takeover_check_interval accepts: a
// due check comes well before the gap (a check in progress elsewhere, a slow node).
inline constexpr std::int64_t kMaxCheckIntervalSeconds = 20;
static_assert(kMaxCheckIntervalSeconds < kNoticeGapSeconds);

inline constexpr std::string_view kNoticeEverything = "*\n";

std::int64_t notice_bucket(std::int64_t unix_seconds);
std::string notice_key(std::string_view route, std::int64_t bucket);
std::string notice_line(std::uint64_t key_hash);

struct Notices {
  bool everything = false;  // "*", or a line that does not parse: trust nothing
  std::vector<std::uint64_t> key_hashes;
};
Notices parse_notices(std::string_view list);

}  // namespace clustered
