// SPDX-License-Identifier: BSD-3-Clause
// Takeover notices: how a node learns that another node took over sessions it
// still holds in its local cache.
//
// A local hit is served without asking memcached, so when web2 takes over a
// session of web1 (failover, a late parallel request), web1's cached copy would
// live on under the old ID. web2 therefore appends the old key's hash to web1's
// notice list on every live memcached node:
//
//   clustered_session.moved:<route>
//   value: "g <16 hex digits>\n" (the list's generation, random, set by whoever
//          creates it), then one line per taken-over key, 16 hex digits of its
//          cache hash, or "*" (lines were lost: distrust everything)
//
// Each append also touches the list, so it lives kNoticeTtlSeconds after the last
// one. Each app node reads its own route's list at most once per check interval
// (one process for the whole node), remembers per memcached node the generation
// and how far it has read, and drops the entries named since. No wall clock is
// involved: keys carry no time, memcached's TTLs are relative, and the reader's
// intervals are monotonic, so clock skew between nodes or a stepped clock does
// not lengthen the window (docs/design.md, "Forwards and notices"). A list that outgrows the item
// size starts a new generation that begins with "*". A node that has not completed a check for
// kNoticeGapSeconds (it was cut off, or idle: a list may have expired unread) trusts no local copy
// until a check completes, and then drops every synced entry it cached. With
// clustered_session.secret_file every head and line is a sealed record (seal/sealer.h) bound to its
// list's key: "S <hex>" heads (generation and whether it begins with everything lost), "s <hex>"
// lines. A line or head that does not open, or a plain one where sealing is required, is rejected
// (counted, never obeyed): nobody who can write to memcached makes a node drop its cache. The ':'
// keeps these keys apart from session keys: no session ID contains one. Formats (docs/design.md,
// "Formats and upgrades"): the key names the list's format. "clustered_session.moved:" is format 1
// (kNoticeFormat), the one of every release since takeover notices without clocks; a later format
// gets a key of its own, and the release that brings it writes and reads both, so a cluster of both
// releases hears of every takeover while it is upgraded node by node.
// The lists do not depend on clustered_session.prefix (PHP_INI_ALL: apps on one
// node may differ), so one check covers them all; the hashes are of whole keys,
// prefix included, so one app's notices never drop another's sessions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "seal/sealer.h"

namespace clustered {

// A reader checks at least this often (by its monotonic clock), or distrusts
// its cache.
inline constexpr std::int64_t kNoticeGapSeconds = 30;
// A list lives this long after its last append: longer than the gap, so a reader
// that checks within the gap has read every line before the list can expire.
inline constexpr std::uint32_t kNoticeTtlSeconds = 180;
static_assert(kNoticeTtlSeconds > 2 * kNoticeGapSeconds);
// Longest check interval clustered_session.takeover_check_interval accepts: a
// due check comes well before the gap (a check in progress elsewhere, a slow node).
inline constexpr std::int64_t kMaxCheckIntervalSeconds = 20;
static_assert(kMaxCheckIntervalSeconds < kNoticeGapSeconds);

inline constexpr std::string_view kNoticeEverything = "*\n";
inline constexpr int kNoticeFormat = 1;

std::string notice_key(std::string_view route);
std::string notice_line(std::uint64_t key_hash);
// The first line of a new list.
std::string notice_list_head(std::uint64_t generation);

struct Notices {
  std::uint64_t generation = 0;  // 0: the list has no head (written by something else)
  bool everything = false;       // "*", or a line that does not parse: trust nothing
  std::vector<std::uint64_t> key_hashes;
  std::size_t rejected = 0;  // records that did not open, or plain where sealing is required
};
// The lines of a plain list from byte `offset` on (0: all of them, after the head).
// An offset inside or past the list reads as a list that changed: everything.
Notices parse_notices(std::string_view list, std::size_t offset = 0);

// How one node's list is written and read: plain, or sealed for its key.
class NoticeFormat {
 public:
  NoticeFormat(const Sealer& sealer, std::string list_key)
      : sealer_(sealer), list_key_(std::move(list_key)) {}

  std::string line(std::uint64_t key_hash) const;
  // The first line of a new list; `everything` for one that replaces a full list.
  std::string head(std::uint64_t generation, bool everything = false) const;
  // As parse_notices(); with sealing required, an offset outside the list (a
  // sealed list cut short by someone) reads the whole list, not everything.
  Notices parse(std::string_view list, std::size_t offset = 0) const;
  bool sealing_required() const { return sealer_.has_keys() && !sealer_.accepts_unsealed(); }

 private:
  // One line without its newline; `complete`: it had one.
  void parse_line(std::string_view line, bool complete, Notices& notices) const;

  const Sealer& sealer_;
  std::string list_key_;
};

}  // namespace clustered
