// SPDX-License-Identifier: BSD-3-Clause
#include "session/lost_copies.h"

#include "codec/value_header.h"

namespace clustered {

CopyInMemcached compare_with_memcached(const std::optional<RemoteCopy>& found, std::size_t primary,
                                       const CachedSession& cached) {
  if (!found) return CopyInMemcached::kLost;
  const StoredValue& value = found->value;
  if (value.forward || value.version > cached.version) return CopyInMemcached::kReplaced;
  // Versions only grow: an older copy is a replay, or the one this node's
  // copy superseded in a write that did not reach memcached.
  if (value.version < cached.version) return CopyInMemcached::kOlder;
  // Only a replica has it: the primary lost it, and is given it again.
  return found->node == primary ? CopyInMemcached::kHeld : CopyInMemcached::kLost;
}

void LostCopies::notice_evictions() {
  if (cache_ == nullptr) return;
  for (std::size_t node = 0; node < remote_.node_count(); ++node) {
    if (remote_.departed(node)) continue;  // its stats are not read (Takeovers::check)
    if (remote_.take_new_evictions(node)) (void)cache_->recheck_on(remote_.address(node).id);
  }
}

void LostCopies::compare(std::int64_t now_s) {
  if (cache_ == nullptr) return;
  const auto wanted = [&](std::string_view store) {
    const auto index = remote_.index_of(store);
    return index && remote_.is_up(*index);
  };
  for (const auto& [key, cached] : cache_->entries_to_compare(kComparesPerCheck, wanted)) {
    const auto store = remote_.index_of(cached.store);
    if (!store) continue;
    // Another process may have settled it since (its own request read it).
    const auto now_held = cache_->get(key, now_s, false);
    if (!now_held || now_held->version != cached.version ||
        !(now_held->untrusted || now_held->recheck)) {
      continue;
    }
    comparing_ = key;
    const auto found = remote_.read(*store, key);
    comparing_.clear();
    if (!found) continue;  // not answered: compared at a later check
    const CopyInMemcached outcome = compare_with_memcached(*found, *store, cached);
    if (outcome == CopyInMemcached::kLost) Counters::add(counters_.copies_lost);
    if (outcome == CopyInMemcached::kOlder) {
      remote_.reject(1, remote_.address(*store).id + ": " + key +
                            ": an older copy than this node's (a replay?); this node's is "
                            "written again at the session's next request");
    }
    cache_->settle(key, cached.version, outcome);
  }
}

}  // namespace clustered
