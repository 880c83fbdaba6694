// SPDX-License-Identifier: BSD-3-Clause
#include "session/write_path.h"

#include "session/older_copies.h"

namespace clustered {

static_assert(kMaxReplicas == kCachedReplicaTokens, "the cache keeps every replica's token");

phase::Loaded* WritePath::loaded_for(std::string_view id) {
  auto* loaded = std::get_if<phase::Loaded>(&c_.phase);
  return loaded != nullptr && loaded->at.id == id ? loaded : nullptr;
}

Status WritePath::write(std::string_view id, std::string_view data) {
  const phase::Loaded* loaded = loaded_for(id);
  if (loaded != nullptr && loaded->copy.moved_to) {
    if (loaded->copy.data == data) return success();  // nothing to save, nothing to touch
    Counters::add(c_.counters.write_conflicts);
    const std::string& to = *loaded->copy.moved_to;
    const std::string what =
        to.empty() ? "it was destroyed (a logout) on another node while this request ran; the "
                     "next request starts a new session"
                   : "another node took it over (it is now " + to +
                         ") while this request ran, and saving would have overwritten that; the "
                         "next request reads the newer copy";
    return Failure::of(Cause::kConflict, "session " + std::string(id) + " was not saved: " + what);
  }
  if (loaded != nullptr && loaded->copy.version != 0 && loaded->copy.data == data) {
    Counters::add(c_.counters.writes_skipped);
    return update_timestamp(id, data);
  }
  return write_through(id, data);
}

Status WritePath::update_timestamp(std::string_view id, std::string_view data) {
  phase::Loaded* loaded = loaded_for(id);
  if (loaded != nullptr && loaded->copy.moved_to) return success();  // the forward stays
  if (loaded == nullptr || loaded->copy.version == 0) return write_through(id, data);
  // Sealed otherwise than this node seals now (a key rotation, a switch-over):
  // written again rather than touched, so no session in use keeps an old key.
  if (loaded->copy.sealed_with != c_.remote.sealer().sealing_key_id()) {
    return write_through(id, data);
  }
  const ResolvedId& at = loaded->at;
  const std::int64_t now = c_.now_s();
  // The common case, decided without touching the cache: what read() found is
  // synced and memcached's TTL was refreshed within touch_interval. The local
  // expiry was set then too, to at least gc_maxlifetime from now (local_expiry()).
  if (at.owned && loaded->copy.synced_touched_at &&
      now - *loaded->copy.synced_touched_at < c_.config.touch_interval_s) {
    Counters::add(c_.counters.touches_skipped);
    return success();
  }
  if (at.owned) {
    const auto entry = c_.cache->get(at.key, now, /*copy_data=*/false);  // metadata is enough
    if (entry && entry->version == loaded->copy.version && !entry->unsynced &&
        now - entry->remote_touched_at < c_.config.touch_interval_s) {
      Counters::add(c_.counters.touches_skipped);
      c_.cache->refresh(at.key, c_.local_expiry(now), entry->remote_touched_at);
      return success();
    }
  }
  Counters::add(c_.counters.touches);
  auto touched = c_.remote.touch(at.store_index, at.key, c_.remote_ttl());
  if (touched && *touched) {
    if (at.owned) c_.cache->refresh(at.key, c_.local_expiry(now), now);
    return success();
  }
  // The remote copy is gone (memcached restarted or evicted it) or its node
  // failed: re-seed it, or keep it here unsynced.
  return write_through(id, data);
}

Status WritePath::write_through(std::string_view id, std::string_view data) {
  phase::Loaded* loaded = loaded_for(id);
  std::optional<ResolvedId> resolved;
  if (loaded == nullptr) {
    // Cached as this node's own also while its copies are to be verified: each
    // read compares it with memcached until a check completes.
    resolved = c_.resolve(id, c_.local_copy_trust() != CopyTrust::kUntrusted);
    if (!resolved) {
      return Failure::of(Cause::kInvalid,
                         "session ID has characters outside [0-9a-zA-Z,-.]; not written");
    }
  }
  const ResolvedId& at = loaded != nullptr ? loaded->at : *resolved;
  const std::uint64_t version = c_.next_version(loaded != nullptr ? loaded->copy.version : 0);
  const std::int64_t now = c_.now_s();
  const auto remember = [&](std::optional<std::int64_t> synced_at, std::uint64_t cas,
                            const ReplicaTokens& replica_cas) {
    if (loaded == nullptr) return;
    if (loaded->copy.data.data() != data.data()) loaded->copy.data = data;
    loaded->copy.version = version;
    loaded->copy.synced_touched_at = synced_at;
    loaded->copy.cas = cas;
    loaded->copy.replica_cas = replica_cas;
    loaded->copy.sealed_with = c_.remote.sealer().sealing_key_id();
  };
  // Replaces only the copy this request read (docs/design.md, "Conditional writes"): a takeover's
  // forward or another node's write since then is never destroyed.
  const std::uint64_t expected =
      loaded != nullptr && loaded->copy.version != 0 ? loaded->copy.cas : 0;
  const ReplicaTokens replica_expected =
      loaded != nullptr && loaded->copy.version != 0 ? loaded->copy.replica_cas : ReplicaTokens{};

  // The local copy goes first, marked unsynced: whatever happens next, this node
  // never serves an older copy than the one it just tried to store.
  bool cached = false;
  if (at.owned || (at.routed_here && c_.cache != nullptr && c_.config.trusts_local_copy())) {
    CachedSession entry{std::string(data),
                        version,
                        c_.local_expiry(now),
                        now,
                        true,
                        c_.remote.address(at.store_index).id};
    entry.sealed_with = c_.remote.sealer().sealing_key_id();
    // Ours, but written while this node cannot vouch for its copies (no complete
    // takeover check lately): kept, and compared with memcached before it is
    // served (docs/design.md, "Lost copies"), so the node never drops the copy
    // it wrote last, which may be the only one.
    entry.untrusted = !at.owned;
    cached = c_.cache->put(at.key, entry, now);
  }
  auto written = c_.remote.write(at.store_index, at.key, version, data, c_.remote_ttl(), expected,
                                 loaded != nullptr ? loaded->copy.version : 0, replica_expected);
  if (!written && expected != 0 && written.failure().cause == Cause::kExists) {
    // Another token: another node's newer write (refused), or an older copy
    // written back (replaced by this one).
    const auto cas = overwrite_older_copy(c_, at, loaded->copy.version, data, version);
    if (!cas) return refuse_conflict(at);
    written = WriteReport{{}, *cas};
  }
  if (written) {
    if (cached) {
      c_.cache->refresh(at.key, c_.local_expiry(now), now, version, written->cas,
                        &written->replica_cas);
    }
    remember(cached ? std::optional<std::int64_t>(now) : std::nullopt, written->cas,
             written->replica_cas);
    if (!written->replica_errors.empty()) {
      Counters::add(c_.counters.replica_write_failures);
      c_.handled(
          HandledEvent::kReplicaWriteFailed, written->replica_cause,
          "session " + at.id + " written, but a replica write failed: " + written->replica_errors);
    }
    return success();
  }
  if (written.failure().cause == Cause::kTooLarge) {
    return refuse_too_large(at, loaded, data.size(), written.failure(), cached);
  }
  if (written.failure().cause == Cause::kOutOfMemory) {
    Counters::add(c_.counters.writes_out_of_memory);
  }
  // A server without CAS tokens will never take it: with another node that does,
  // the change is kept here like one for a node that is down, and the session
  // moves there on its next request; with none, it is refused, loudly, and this
  // node does not serve the change it could not store.
  if (written.failure().cause == Cause::kNoCas &&
      !(cached && c_.remote.another_active_up(at.store_index))) {
    if (cached) c_.cache->remove(at.key);
    return Failure::of(written.cause(), "cannot write session: " + written.error());
  }
  if (cached) {
    Counters::add(c_.counters.writes_kept);
    c_.remote.count_kept_write(at.store_index);
    c_.handled(HandledEvent::kWriteKept, written.failure().cause,
               "cannot write session " + std::string(id) + " through to memcached (" +
                   written.error() + "); kept on this node and retried on its next request");
    remember(std::nullopt, expected, replica_expected);
    return success();
  }
  return Failure::of(written.cause(), "cannot write session: " + written.error());
}

Status WritePath::refuse_conflict(const ResolvedId& at) {
  Counters::add(c_.counters.write_conflicts);
  // This node's copy (and the unsynced one just cached) is older than memcached's.
  if (c_.cache != nullptr) c_.cache->remove(at.key);
  std::string what = "another request changed it on another node";
  std::string next = "the next request reads the newer copy";
  if (auto there = c_.remote.read(at.store_index, at.key); there && *there) {
    if (is_tombstone((*there)->value)) {
      what = "it was destroyed (a logout) by another request";
      next = "the logout stands";
    } else if ((*there)->value.forward) {
      what = "another node took it over (it is now " + (*there)->value.payload + ")";
    }
  }
  return Failure::of(Cause::kConflict, "session " + at.id + " was not saved: " + what +
                                           " while this request ran, and saving would have " +
                                           "overwritten that; " + next);
}

Status WritePath::refuse_too_large(const ResolvedId& at, const phase::Loaded* loaded,
                                   std::size_t size, const Failure& failure, bool cached) {
  Counters::add(c_.counters.writes_too_large);
  const bool had_copy = loaded != nullptr && loaded->copy.version != 0;
  std::string outcome = "the previously stored session is unchanged";
  bool restored = true;
  if (failure.stored_copy_dropped && had_copy) {
    // memcached unlinked the stored copy when it refused this one: the copy this
    // request read goes back, so the session is unchanged rather than gone.
    auto rewritten = c_.remote.write(at.store_index, at.key, loaded->copy.version,
                                     loaded->copy.data, c_.remote_ttl());
    restored = rewritten.ok();
    outcome = restored ? "memcached dropped the stored copy when it refused this one; the "
                         "previous one was written back"
                       : "memcached dropped the stored copy when it refused this one, and "
                         "writing the previous one back failed (" +
                             rewritten.error() + ")";
  }
  if (cached) {
    // The stored copy is the valid one (the next read fetches it), or the
    // previous copy stays here, unsynced, and is stored on the next request.
    const std::int64_t now = c_.now_s();
    const bool kept =
        !restored &&
        c_.cache->put(at.key,
                      CachedSession{loaded->copy.data, loaded->copy.version, c_.local_expiry(now),
                                    now, true, c_.remote.address(at.store_index).id},
                      now);
    if (kept) outcome += "; it is kept on this node and retried";
    if (!kept) c_.cache->remove(at.key);
  }
  return Failure::of(Cause::kTooLarge,
                     "session data of " + std::to_string(size) +
                         " bytes was refused (larger than the node's item size limit?); " +
                         outcome + ": " + failure.message);
}

}  // namespace clustered
