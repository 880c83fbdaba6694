// SPDX-License-Identifier: BSD-3-Clause
// Ending a session on its store (session_destroy(), the old ID of
// session_regenerate_id(true)): a tombstone replaces exactly the copy the
// request read, never a forward or a copy another request wrote since
// (docs/design.md, "Conditional writes").
#pragma once

#include <cstdint>
#include <string_view>

#include "remote/remote_store.h"

namespace clustered {

// The copy a request read under a key: its version (0: none; kAnyVersion: the
// request read nothing, so any copy is taken for the one read) and its CAS
// token on the primary (0: unknown, e.g. served from a replica).
inline constexpr std::uint64_t kAnyVersion = ~std::uint64_t{0};
struct CopyRead {
  std::uint64_t version = 0;
  std::uint64_t cas = 0;
};

// Leaves a tombstone of `tombstone_version` under `key`. Success also when the
// key holds a tombstone already. kConflict (with what was found) when another
// request wrote there since `read`; a store failure as such (the caller
// remembers the delete to retry). `written`, when given, gets the report of the
// tombstone's write (its token on the primary, the replicas that missed it).
Status end_session(RemoteStore& remote, std::size_t primary, std::string_view key, CopyRead read,
                   std::uint64_t tombstone_version, std::uint32_t ttl_seconds,
                   WriteReport* written = nullptr);
// The same without looking at what is there: one conditional write, kConflict
// for any other copy (a retry in the background, which reads no session's data).
Status end_session_in_one_write(RemoteStore& remote, std::size_t primary, std::string_view key,
                                CopyRead read, std::uint64_t tombstone_version,
                                std::uint32_t ttl_seconds, WriteReport* written = nullptr);

// The primary took the tombstone, but a replica's node did not answer: that
// replica still holds the session, which readers take when the primary fails.
inline bool replica_missed_end(const WriteReport& written) {
  return !written.replica_errors.empty() && node_failed(written.replica_cause);
}

}  // namespace clustered
