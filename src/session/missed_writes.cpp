// SPDX-License-Identifier: BSD-3-Clause
#include "session/missed_writes.h"

#include <algorithm>
#include <string>

#include "session/lost_copies.h"

namespace clustered {

Result<WriteReport> MissedWrites::leave_forward(std::string_view old_key, std::size_t store,
                                                std::string_view target, std::uint64_t version,
                                                std::uint32_t ttl_s, std::int64_t expires_at,
                                                std::int64_t now, std::uint64_t expected_cas,
                                                std::optional<CopyToken> replica_read,
                                                std::uint64_t read_version) {
  auto forwarded = remote_.write_forward(store, old_key, target, version, ttl_s, expected_cas,
                                         replica_read, read_version);
  if (!forwarded && forwarded.failure().cause == Cause::kExists) {
    if (cache_ != nullptr) cache_->remove(old_key);  // never retried over the newer write
    return forwarded;
  }
  if (cache_ != nullptr) {
    CachedSession forward{std::string(target),       version, expires_at, now, !forwarded,
                          remote_.address(store).id, true};
    // A retry replaces only the copy the move read, as this write would have.
    forward.store_cas = forwarded ? forwarded->cas : expected_cas;
    if (!cache_->put(old_key, forward, now)) {
      cache_->remove(old_key);
    } else if (!forwarded) {
      remote_.count_kept_write(store);
    }
  }
  return forwarded;
}

void MissedWrites::remember_missed_end(std::string_view key, std::size_t store, CopyRead read,
                                       std::int64_t expires_at, std::int64_t now,
                                       bool replica_only) {
  if (cache_ == nullptr) return;
  CachedSession tombstone{{}, read.version, expires_at, now, true, remote_.address(store).id};
  tombstone.deleted = true;
  tombstone.store_cas = read.cas;
  if (cache_->put(key, tombstone, now) && !replica_only) remote_.count_kept_write(store);
}

void MissedWrites::store_over_older_copy(std::size_t store, const std::string& key,
                                         const CachedSession& kept, std::uint32_t ttl_s,
                                         std::int64_t now) {
  const auto found = remote_.read(store, key);
  if (!found) return;  // not answered: the next check tries again
  const CopyInMemcached there = compare_with_memcached(*found, store, kept);
  if (there == CopyInMemcached::kHeld) {
    // The write did reach memcached; only its reply was lost.
    cache_->refresh(key, kept.expires_at, now, kept.version, (*found)->cas);
  } else if (there == CopyInMemcached::kOlder) {
    // Over exactly that copy: a write that comes between wins, and the next
    // check compares again.
    const auto written = remote_.write(store, key, kept.version, kept.data, ttl_s, (*found)->cas,
                                       (*found)->value.version);
    if (written) cache_->refresh(key, kept.expires_at, now, kept.version, written->cas);
  } else if (there != CopyInMemcached::kLost) {
    // A forward, a logout's tombstone (a forward to nowhere) or another node's
    // newer copy: that stands, as it would against this session's next write.
    cache_->remove(key);
  }
}

void MissedWrites::retry(std::uint32_t ttl_s, std::int64_t now) {
  if (cache_ == nullptr) return;
  // Entries whose node is believed down wait (a request relocates a session
  // whose node is down); a store that left save_path is taken too, to drop them.
  const auto wanted = [&](std::string_view store) {
    const auto index = remote_.index_of(store);
    return !index || remote_.is_up(*index);
  };
  for (auto& [key, missed] : cache_->unsynced_entries(kRetriesPerCheck, wanted)) {
    retrying_ = key;
    const auto store = remote_.index_of(missed.store);
    // The copy it concerns has expired on its node too, or the node left save_path,
    // or gives no CAS tokens (restarted with -C: empty, and never written by us).
    if (!store || missed.expires_at <= now || remote_.without_cas(*store)) {
      if (missed.forward || missed.deleted) cache_->remove(key);
      continue;
    }
    if (!missed.forward && !missed.deleted) {
      // A session a restarted memcached lost is stored again, but only where
      // nothing was written since: a forward (another node took the session
      // over) or a newer copy wins, and this one is dropped. A change memcached
      // did not take (kept: its node was down, frozen or cut off) is stored
      // whether or not its session is asked for again (docs/design.md, "Lost
      // copies"), once its own request is surely done with it.
      if (!missed.remote_gone && now - missed.remote_touched_at < kKeptWriteSettleSeconds) continue;
      // Its request still runs (a write that stalled past the settle time, or
      // one about to write it): that request writes it, conditionally, itself.
      if (locks_ != nullptr && locks_->held(key)) continue;
      const auto stored = remote_.write_if_missing(*store, key, missed.version, missed.data, ttl_s);
      if (stored && *stored) cache_->refresh(key, missed.expires_at, now, missed.version);
      if (stored && !*stored) {
        if (missed.remote_gone) {
          cache_->remove(key);
        } else {
          store_over_older_copy(*store, key, missed, ttl_s, now);
        }
      }
      continue;
    }
    if (missed.deleted) {
      // Over the copy the destroying request read only; a copy written since
      // (a conflict) stays. (One write: a check reads no session's data; where the
      // store node fails, the replicas' versions only.)
      const CopyRead read{missed.version, missed.store_cas};
      const std::uint64_t above = read.version == kAnyVersion ? 0 : read.version + 1;
      const std::uint64_t version =
          std::max<std::uint64_t>(above, static_cast<std::uint64_t>(now) * 1000000);
      WriteReport written;
      const Status ended =
          end_session_in_one_write(remote_, *store, key, read, version, ttl_s, &written);
      if (ended && replica_missed_end(written)) {
        // A replica's node still does not answer: kept, over the new tombstone.
        remember_missed_end(key, *store, CopyRead{version, written.cas}, missed.expires_at, now,
                            true);
      } else if (ended || ended.cause() == Cause::kConflict) {
        cache_->remove(key);
      }
      continue;
    }
    // Over the copy the move read: a change written there since (its owner never
    // learnt of the move) stays, and this node stops following its own forward.
    const auto forwarded =
        remote_.write_forward(*store, key, missed.data, missed.version, ttl_s, missed.store_cas);
    if (forwarded) {
      cache_->refresh(key, missed.expires_at, now, missed.version);
    } else if (forwarded.failure().cause == Cause::kExists) {
      cache_->remove(key);
    }
  }
  retrying_.clear();
}

}  // namespace clustered
