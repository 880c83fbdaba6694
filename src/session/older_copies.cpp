// SPDX-License-Identifier: BSD-3-Clause
#include "session/older_copies.h"

#include <string>

namespace clustered {

std::optional<std::uint64_t> overwrite_older_copy(HandlerContext& c, const ResolvedId& at,
                                                  std::uint64_t ours_version, std::string_view data,
                                                  std::uint64_t new_version) {
  auto there = c.remote.read_with_unopened(at.store_index, at.key);
  if (!there) return std::nullopt;
  if (!there->copy || there->copy->node != at.store_index) {
    // The store node's copy did not open (read() reported it): replace it.
    if (there->unopened_cas == 0) return std::nullopt;
    auto written = c.remote.write(at.store_index, at.key, new_version, data, c.remote_ttl(),
                                  there->unopened_cas);
    if (!written) return std::nullopt;
    return written->cas;
  }
  const RemoteCopy& copy = *there->copy;
  if (copy.value.forward || copy.value.version >= ours_version) {
    return std::nullopt;
  }
  c.remote.reject(1, "memcached node " + c.remote.address(copy.node).id + ": session " + at.id +
                         " is version " + std::to_string(copy.value.version) +
                         " there, older than this node's " + std::to_string(ours_version) +
                         " (replayed, or re-seeded from an older copy); this node's is written "
                         "over it");
  // A replica's copy is replaced only if it is no newer than this node's.
  auto written = c.remote.write(at.store_index, at.key, new_version, data, c.remote_ttl(), copy.cas,
                                ours_version);
  if (!written) return std::nullopt;
  return written->cas;
}

}  // namespace clustered
