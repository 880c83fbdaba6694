// SPDX-License-Identifier: BSD-3-Clause
#include "remote/session_end.h"

#include <string>
#include <utility>

namespace clustered {
namespace {

// One tombstone over the copy with `cas` (0: only where the key is missing),
// and on replicas the primary could not vouch for, over `read_version` or older.
Status leave_tombstone(RemoteStore& remote, std::size_t primary, std::string_view key,
                       std::uint64_t cas, std::uint64_t version, std::uint32_t ttl_seconds,
                       std::uint64_t read_version, WriteReport* written) {
  auto left = remote.write_tombstone(primary, key, version, ttl_seconds, cas, read_version);
  if (!left) return left.failure();
  if (written != nullptr) *written = std::move(*left);
  return success();
}

Status conflict(const std::string& what) {
  return Failure::of(Cause::kConflict,
                     "not destroyed: " + what + " after this request read it; that copy stays");
}

}  // namespace

Status end_session(RemoteStore& remote, std::size_t primary, std::string_view key, CopyRead read,
                   std::uint64_t tombstone_version, std::uint32_t ttl_seconds,
                   WriteReport* written) {
  Status ended = leave_tombstone(remote, primary, key, read.cas, tombstone_version, ttl_seconds,
                                 read.version, written);
  if (ended.cause() != Cause::kExists) return ended;
  // Another token than the one read, or something where nothing was read (the
  // copy came from the cache without a token, or from a replica): what is
  // there decides. Only the copy read, an older one (replayed, written back)
  // or a copy that does not open may be ended.
  auto there = remote.read_with_unopened(primary, key);
  if (!there) return there.failure();
  std::uint64_t over = 0;  // the primary's copy to replace (0: none there)
  if (there->copy && there->copy->node == primary) {
    const StoredValue& value = there->copy->value;
    if (is_tombstone(value)) return success();  // ended by another request already
    if (value.forward)
      return conflict("another node took it over (it is now " + value.payload + ")");
    if (value.version > read.version) return conflict("another request changed it");
    over = there->copy->cas;
  } else {
    over = there->unopened_cas;
  }
  ended = leave_tombstone(remote, primary, key, over, tombstone_version, ttl_seconds, read.version,
                          written);
  if (ended.cause() == Cause::kExists) return conflict("another request wrote it");
  return ended;
}

Status end_session_in_one_write(RemoteStore& remote, std::size_t primary, std::string_view key,
                                CopyRead read, std::uint64_t tombstone_version,
                                std::uint32_t ttl_seconds, WriteReport* written) {
  Status ended = leave_tombstone(remote, primary, key, read.cas, tombstone_version, ttl_seconds,
                                 read.version, written);
  if (ended.cause() == Cause::kExists) return conflict("another request wrote it");
  return ended;
}

}  // namespace clustered
