// SPDX-License-Identifier: BSD-3-Clause
#include "session/read_path.h"

#include <utility>
#include <vector>

#include "session/lost_copies.h"
#include "session/older_copies.h"
#include "session/restart_hold.h"
#include "session/takeover_notices.h"

namespace clustered {
namespace {

// How many forwards validate_sid() follows before giving up on an ID: a cookie
// that many takeovers old (chains are shortened as they are followed, so only a
// cookie nobody used through that many moves is this far behind).
constexpr int kMaxForwardHops = 32;

}  // namespace

bool ReadPath::validate_sid(std::string_view id) {
  if (const auto* issued = std::get_if<phase::Issued>(&c_.phase); issued && issued->at.id == id) {
    return false;  // made by this request: it does not exist yet
  }
  // Well-formed but too long for a memcached key (a random part of 238..256
  // characters): refused like any unknown ID, so the client gets a fresh one
  // instead of a failed session_start() on every request.
  std::optional<ResolvedId> start = c_.resolve(id, false);
  if (!start || start->key.size() > kMaxMemcachedKey || !names_a_store(*start)) return false;
  // Reads this node's takeover notices first when they are due, so that a copy
  // another node has taken over since is not served from here.
  const CopyTrust trust = c_.local_copy_trust();
  const bool trusted = trust != CopyTrust::kUntrusted;
  start->owned = trusted && start->routed_here;
  if (auto locked = c_.lock(*start); !locked) {
    c_.phase = phase::Unreadable{std::move(*start), locked.failure()};
    return true;  // read() reports the failure; a new ID would hide it
  }

  // A session that moved (taken over or relocated) leaves a forward under its old
  // key, so requests still carrying the old ID (parallel requests of one page, a
  // late response) follow it instead of starting empty.
  std::string target;  // the ID the last forward pointed to
  ResolvedId followed;
  std::vector<ResolvedId> passed;     // the forwards followed, in order
  bool forwarded_by_another = false;  // the last forward was read from memcached
  for (int hop = 0; hop <= kMaxForwardHops; ++hop) {
    if (hop > 0) passed.push_back(hop == 1 ? *start : followed);
    if (hop > 0) {
      std::optional<ResolvedId> next = c_.resolve(target, trusted);
      if (!next || !names_a_store(*next)) return false;
      for (const ResolvedId& earlier : passed) {
        if (earlier.id == next->id) return false;  // a cycle (forged or broken): a new ID
      }
      followed = std::move(*next);
    }
    ResolvedId& at = hop == 0 ? *start : followed;

    // This node's copy of a session routed here that it cannot vouch for (after
    // a gap in the takeover checks, or while none completes) is compared with
    // memcached before it is served: memcached's copy decides, and when memcached
    // has lost it, or holds an older one than this node's unsynced copy, this one
    // is served and stored again (docs/design.md, "Lost copies").
    std::optional<CachedSession> untrusted;
    // An owned copy that is only to be verified (CopyTrust::kVerify: another
    // process is inside the due check) is compared the same way, but served as a
    // trusted one when its store node does not answer, as it was before.
    bool served_if_unanswered = false;
    // Serves this node's copy of a session it owns: validate_sid()'s answer, or
    // nullopt when memcached holds a newer write (the copy is dropped: read that).
    // Inlined: the owner hit goes through it, where a call and a moved entry
    // cost 50 instructions per request (callgrind).
    // clang-format off
    const auto serve_cached = [&](CachedSession&& hit) __attribute__((always_inline))
        -> std::optional<bool> {
      // clang-format on
      const std::uint64_t version = hit.version;
      // Only the ID whose lock this request holds (hop 0) is written here.
      const Cached taken = take_cached(at, std::move(hit), hop == 0);
      if (taken == Cached::kNewerInMemcached) return std::nullopt;
      if (taken == Cached::kMoving) return false;
      if (hop == 0) return true;
      shorten_chain(passed, at.id, version);
      c_.phase = phase::Following{at.id};
      return false;
    };
    if (c_.cache != nullptr && (trusted || (at.routed_here && c_.config.trusts_local_copy()))) {
      if (auto hit = c_.cache->get(at.key, c_.now_s())) {
        if (hit->deleted) return false;  // destroyed here: a new ID, whatever memcached has
        // A forward this node kept for a retry (its node missed it) is this node's
        // own move, not news from other nodes: followed whether or not its notices
        // are current, like a kept logout (docs/design.md, "Forwards and notices").
        if (hit->forward && (trusted || hit->unsynced)) {
          target = std::move(hit->data);
          forwarded_by_another = false;
          continue;
        }
        const bool vouched = trusted && !hit->untrusted;
        if (hit->forward) {
          // Not vouched for: memcached's copy is read below.
        } else if (!vouched) {
          untrusted = std::move(hit);
        } else if (at.owned && (trust == CopyTrust::kVerify || forwarded_by_another)) {
          // Reached through a forward another node wrote: that node moved the
          // session, and it may have moved on from here too before this node
          // reads the notice; memcached's copy decides (docs/design.md,
          // "Forwards and notices").
          untrusted = std::move(hit);
          served_if_unanswered = true;
        } else if (at.owned) {
          Counters::add(c_.counters.local_hits);
          if (const auto served = serve_cached(std::move(*hit))) return *served;
          // memcached's copy was replaced since this node cached it: read it below.
        }
      } else if (at.owned) {
        Counters::add(c_.counters.local_misses);
      }
    }

    Result<std::optional<RemoteCopy>> fetched = std::optional<RemoteCopy>();
    // Replicas that did not answer beside the store node's NOT_FOUND.
    std::optional<Failure> unanswered;
    if (at.store_unknown) {
      fetched = find_beyond_save_path(at, !untrusted);
      if (fetched && !*fetched && !untrusted) return false;
    } else {
      fetched = read_every_copy(c_, at, unanswered);
      if (!fetched && c_.remote.departed_and_stopped(at.store_index)) {
        // A node save_path dropped that is stopped (after its drain): looked for
        // as if save_path had never listed it. One that does not reply is
        // unreadable, as a listed node is: it may hold a newer copy.
        at.store_unknown = true;
        at.store_index = c_.remote.rendezvous_node(at.id);
        fetched = find_beyond_save_path(at, !untrusted);
        if (fetched && !*fetched && !untrusted) return false;
      }
    }
    if (served_if_unanswered && store_did_not_answer(fetched, at, *untrusted)) {
      if (const auto served = serve_cached(std::move(*untrusted))) return *served;
      // Its store node answered the write take_cached() retried, with a newer copy.
      untrusted.reset();
      fetched = read_every_copy(c_, at, unanswered);
    }
    // A miss just after the store node restarted may be a copy its owner has
    // not stored again yet (docs/design.md, "Lost copies": the restart hold),
    // or, beside a replica that does not answer, one the replica still holds
    // (section 8).
    if (!untrusted) fetched = hold_after_restart(c_, at, std::move(fetched), std::move(unanswered));
    if (!fetched) {
      Failure failure = unreadable(at, fetched.failure());
      c_.phase = phase::Unreadable{std::move(*start), std::move(failure)};
      return true;
    }
    if (untrusted) {
      const CopyInMemcached found = compare_with_memcached(*fetched, at.store_index, *untrusted);
      if (cached_copy_wins(found, *untrusted)) {
        if (found == CopyInMemcached::kLost) Counters::add(c_.counters.copies_lost);
        c_.cache->settle(at.key, untrusted->version, found);
        untrusted->remote_gone = untrusted->remote_gone || found == CopyInMemcached::kLost;
        untrusted->unsynced = true;
        switch (take_cached(at, std::move(*untrusted), hop == 0)) {
          case Cached::kServed:
            if (hop == 0) return true;
            c_.phase = phase::Following{at.id};
            return false;
          case Cached::kMoving:
            return false;
          case Cached::kNewerInMemcached:
            break;  // another node wrote it since this read: that copy is read
        }
        fetched = c_.remote.read(at.store_index, at.key, /*every_copy=*/true);
        if (!fetched) {
          Failure failure = unreadable(at, fetched.failure());
          c_.phase = phase::Unreadable{std::move(*start), std::move(failure)};
          return true;
        }
      } else if (found == CopyInMemcached::kReplaced) {
        c_.cache->remove(at.key);  // memcached's copy is read as if this node had none
      }
      // Held: memcached's copy is cached again below, trusted from now on.
    }
    if (!*fetched) return false;  // missing: a new ID
    RemoteCopy& copy = **fetched;
    if (is_tombstone(copy.value)) return false;  // ended (a logout): a new ID
    if (copy.value.forward) {
      target = std::move(copy.value.payload);
      forwarded_by_another = true;
      continue;
    }
    if (hop > 1) shorten_chain(passed, at.id, copy.value.version);
    const bool from_replica = copy.node != at.store_index;
    // A replica's copy is the newest, and the store node did not answer or had
    // none (else it holds an older one: primary_cas, and the session may stay).
    const bool store_silent = from_replica && copy.primary_cas == 0;
    // The token of the store node's copy this request read (or of the older one
    // beside the replica's newer copy): a write there replaces only that.
    const std::uint64_t store_cas = from_replica ? copy.primary_cas : copy.cas;
    const bool leave_store = must_leave_store(at);
    // Another route's session is taken over even while this node's own notices
    // are not current: written in place, the owner would go on serving its copy.
    const bool others = c_.config.trusts_local_copy() && !at.routed_here;
    if (others || (trusted && (!at.owned || store_silent || leave_store))) {
      const bool avoid = store_silent || (leave_store && !at.store_unknown);
      Move move{at.owned ? MoveKind::kRelocation : MoveKind::kMigration, at,
                avoid ? std::optional<std::size_t>(at.store_index) : std::nullopt};
      // The forward left under this key later replaces only this very copy.
      move.from_cas = store_cas;
      if (from_replica) move.from_replica = CopyToken{copy.node, copy.cas};
      c_.phase = phase::Moving{std::move(move),
                               SessionCopy{std::move(copy.value.payload), copy.value.version, {}}};
      std::get<phase::Moving>(c_.phase).copy.sealed_with = sealed_with(copy.value);
      return false;
    }
    if (hop > 0) {
      c_.phase = phase::Following{at.id};
      return false;
    }
    // Ours, but not in the cache (this node restarted, or evicted it): kept there
    // so the next requests are served locally again. Stored under this ID's lock,
    // so no newer local write can be overwritten.
    const std::uint64_t cas = store_cas;
    if (at.owned) cache_fetched(at, copy.value, cas);
    c_.phase = phase::Prefetched{
        std::move(*start), SessionCopy{std::move(copy.value.payload), copy.value.version, {}, cas}};
    std::get<phase::Prefetched>(c_.phase).copy.sealed_with = sealed_with(copy.value);
    return true;
  }
  return false;  // a chain of forwards this long is not ours
}

void ReadPath::shorten_chain(const std::vector<ResolvedId>& passed, const std::string& target,
                             std::uint64_t target_version) {
  // Every forward but the last (which points at the target already) is rewritten
  // to point at the target: the next request with any of these IDs takes one hop.
  if (passed.size() < 2) return;
  const std::int64_t now = c_.now_s();
  const std::uint64_t version = c_.next_version(target_version);
  for (std::size_t i = 0; i + 1 < passed.size(); ++i) {
    // Best effort: a forward that cannot be rewritten still leads to the target.
    (void)c_.missed_writes.leave_forward(passed[i].key, passed[i].store_index, target, version,
                                         c_.remote_ttl(), c_.local_expiry(now), now);
  }
}

bool ReadPath::names_a_store(const ResolvedId& at) { return at.known_store || at.store_unknown; }

bool ReadPath::must_leave_store(const ResolvedId& at) const {
  if (at.store_unknown) return true;
  return (c_.remote.draining(at.store_index) || c_.remote.without_cas(at.store_index)) &&
         c_.remote.another_active_up(at.store_index);
}

Result<std::optional<RemoteCopy>> ReadPath::find_beyond_save_path(ResolvedId& at,
                                                                  bool report_missing) {
  // The ID names a node this save_path does not list: removed here (after a
  // drain, or not), or listed elsewhere only. A replica, a copy moved off it, or
  // a forward may be on the nodes known here: the newest one found stands in.
  RemoteStore::Scan scan = c_.remote.read_anywhere(at.key);
  if (scan.copy) {
    at.store_index = scan.copy->node;
    return std::move(scan.copy);
  }
  const auto parts = at.parts();
  std::string known;
  for (std::size_t i = 0; i < c_.remote.node_count(); ++i) {
    if (!c_.remote.departed(i)) known += (known.empty() ? "" : ", ") + c_.remote.address(i).id;
  }
  const std::string names = "session " + at.id + " names memcached node '" +
                            std::string(parts ? parts->store : std::string_view()) +
                            "', which is not in session.save_path (" + known + ")";
  // A node that does not reply may hold the copy (its replica, or the session
  // moved there): missing cannot be claimed, as for a listed store node that
  // does not reply (docs/design.md, "save_path roles").
  if (scan.silent) {
    return Failure::of(scan.silent->cause, names + "; no node that answered has a copy, and " +
                                               scan.silent->message +
                                               ", which may hold one: no new session replaces it");
  }
  if (!report_missing) return std::optional<RemoteCopy>();
  const std::string& unanswered = scan.unanswered;
  c_.handled(HandledEvent::kConfiguration, Cause::kNotFound,
             names + "; it is neither in this node's cache nor on " + known +
                 ", so a new session starts" +
                 (unanswered.empty() ? "" : " (not answered: " + unanswered + ")"));
  return std::optional<RemoteCopy>();
}

ReadPath::Cached ReadPath::take_cached(ResolvedId& at, CachedSession hit, bool locked) {
  // A session whose store is draining or not in save_path any more moves off it
  // now, from this copy (another active node permitting).
  const bool leave_store = must_leave_store(at);
  bool store_ok = !leave_store && !at.store_unknown && c_.remote.is_up(at.store_index);
  SessionCopy copy{std::move(hit.data), hit.version, std::nullopt, hit.store_cas};
  copy.replica_cas = hit.replica_cas;
  copy.sealed_with = hit.sealed_with;
  if (!hit.unsynced) copy.synced_touched_at = hit.remote_touched_at;
  if (hit.unsynced && store_ok && locked) {
    // The last write-through failed: retry it now, before serving, over the copy
    // it was meant to replace only (docs/design.md, "Conditional writes").
    auto retried = c_.remote.write(at.store_index, at.key, hit.version, copy.data, c_.remote_ttl(),
                                   hit.store_cas, hit.version, hit.replica_cas);
    if (!retried && retried.failure().cause == Cause::kExists) {
      if (const auto cas = overwrite_older_copy(c_, at, hit.version, copy.data, hit.version)) {
        retried = WriteReport{{}, *cas};  // an older copy was written back: this one replaced it
      } else {
        // Another node wrote it since (took it over): that copy wins over this one.
        Counters::add(c_.counters.write_conflicts);
        c_.cache->remove(at.key);
        return Cached::kNewerInMemcached;
      }
    }
    store_ok = retried.ok();
    if (store_ok) {
      const std::int64_t now = c_.now_s();
      c_.cache->refresh(at.key, c_.local_expiry(now), now, hit.version, retried->cas,
                        &retried->replica_cas);
      copy.synced_touched_at = now;
      copy.cas = retried->cas;
      copy.replica_cas = retried->replica_cas;
    }
  }
  // Moving the session needs another node believed up; with none (a one-node
  // save_path, or all down) a new ID would only name a dead node again: the
  // session stays here, unsynced, and is written when its node is back.
  const bool another_up =
      c_.remote.another_active_up(at.store_unknown ? std::nullopt : std::optional(at.store_index));
  // The ID and key go into the phase: moved when the caller is done with them.
  const auto handed_over = [&] { return locked ? ResolvedId(std::move(at)) : ResolvedId(at); };
  if (store_ok || !another_up) {
    c_.phase = phase::Prefetched{handed_over(), std::move(copy)};
    return Cached::kServed;
  }
  // The store node is down, draining or unknown: this node's copy goes to
  // another node, under a new ID. (An unknown store's token names no copy on the
  // node that gets the forward.)
  if (at.store_unknown) copy.cas = 0;
  const std::optional<std::size_t> avoid =
      at.store_unknown ? std::nullopt : std::optional<std::size_t>(at.store_index);
  c_.phase = phase::Moving{Move{MoveKind::kRelocation, handed_over(), avoid}, std::move(copy)};
  return Cached::kMoving;
}

Result<std::string_view> ReadPath::read(std::string_view id) {
  // The common case: validate_sid() found this very ID under this ID's lock (or
  // with locking off). What it checked (key-safe, fits a key, names a node)
  // holds, and what it found is still current.
  if (auto* found = std::get_if<phase::Prefetched>(&c_.phase);
      found && found->at.id == id && c_.holds_lock_for(id)) {
    // Loaded is built from Prefetched's members before the phase is replaced.
    return load(std::move(found->at), std::move(found->copy));
  }
  // The ID this request made: new and empty, or the destination of a move. A
  // move keeps holding the lock of the old ID: the new one is ours alone.
  if (auto* issued = std::get_if<phase::Issued>(&c_.phase); issued && issued->at.id == id) {
    phase::Issued taken = std::move(*issued);
    if (!taken.move) {
      if (auto locked = c_.lock(taken.at); !locked) return locked.failure();
    }
    return load(std::move(taken.at), std::move(taken.copy), std::move(taken.move));
  }
  // validate_sid() could not take the lock or read the session: say so now,
  // rather than wait for the lock a second time.
  if (auto* failed = std::get_if<phase::Unreadable>(&c_.phase); failed && failed->at.id == id) {
    Failure failure = std::move(failed->failure);
    c_.phase = phase::Idle{};
    return failure;
  }

  std::optional<ResolvedId> at = c_.resolve(id, false);
  if (!at) {
    return Failure::of(Cause::kInvalid,
                       "session ID of " + std::to_string(id.size()) +
                           " bytes has characters outside [0-9a-zA-Z,-.] or is too long; refused");
  }
  if (at->key.size() > kMaxMemcachedKey) {
    return Failure::of(Cause::kInvalid,
                       "memcached key for this session ID would be " +
                           std::to_string(at->key.size()) +
                           " bytes, over memcached's 250; shorten clustered_session.prefix or "
                           "session.sid_length");
  }
  const CopyTrust trust = c_.local_copy_trust();
  at->owned = at->routed_here && trust != CopyTrust::kUntrusted;
  if (auto locked = c_.lock(*at); !locked) return locked.failure();

  const auto serve_cached = [&](CachedSession& hit) {
    SessionCopy copy{std::move(hit.data), hit.version, std::nullopt, hit.store_cas};
    copy.replica_cas = hit.replica_cas;
    copy.sealed_with = hit.sealed_with;
    if (!hit.unsynced) copy.synced_touched_at = hit.remote_touched_at;
    return load(std::move(*at), std::move(copy));
  };
  std::optional<CachedSession> untrusted;
  // Only to be verified (CopyTrust::kVerify): compared with memcached like an
  // untrusted copy, served as it is when its store node does not answer.
  bool served_if_unanswered = false;
  if (at->owned) {
    auto hit = c_.cache->get(at->key, c_.now_s());
    if (hit && (hit->untrusted || trust == CopyTrust::kVerify) && !hit->forward && !hit->deleted) {
      served_if_unanswered = !hit->untrusted;
      untrusted = std::move(hit);  // compared with memcached's copy below
    } else if (hit && !hit->forward && !hit->deleted) {
      Counters::add(c_.counters.local_hits);
      return serve_cached(*hit);
    }
    Counters::add(c_.counters.local_misses);
  }

  std::optional<Failure> unanswered;
  auto fetched = read_every_copy(c_, *at, unanswered);
  if (served_if_unanswered && store_did_not_answer(fetched, *at, *untrusted)) {
    return serve_cached(*untrusted);
  }
  if (!untrusted) {
    fetched = hold_after_restart(c_, *at, std::move(fetched), std::move(unanswered));  // as above
  }
  if (!fetched) return unreadable(*at, fetched.failure());
  if (untrusted) {
    const CopyInMemcached found = compare_with_memcached(*fetched, at->store_index, *untrusted);
    if (cached_copy_wins(found, *untrusted)) {
      // memcached lost this node's copy, or holds an older one than its unsynced
      // copy: this one is served, and stored by this request's write (only where
      // the key is still empty, or over the copy it last wrote) or the next check.
      if (found == CopyInMemcached::kLost) Counters::add(c_.counters.copies_lost);
      c_.cache->settle(at->key, untrusted->version, found);
      SessionCopy copy{std::move(untrusted->data), untrusted->version, std::nullopt,
                       untrusted->store_cas};
      copy.replica_cas = untrusted->replica_cas;
      copy.sealed_with = untrusted->sealed_with;
      return load(std::move(*at), std::move(copy));
    }
    if (found == CopyInMemcached::kReplaced) c_.cache->remove(at->key);
  }
  SessionCopy copy;
  if (*fetched) {
    StoredValue& value = (*fetched)->value;
    // An ended session (a logout) is read as missing; a new session under this
    // ID (no strict mode) replaces the tombstone.
    if (is_tombstone(value)) return load(std::move(*at), SessionCopy{});
    // Without strict mode the ID cannot follow a forward to the session's new ID,
    // and the forward's bytes are no session data: fail rather than start empty.
    if (value.forward && c_.config.strict_mode) return load_moved_on(std::move(*at), value);
    if (value.forward) {
      return Failure::of(Cause::kInvalid, "session " + std::string(id) +
                                              " moved to another ID; following it needs " +
                                              "session.use_strict_mode=1");
    }
    copy.cas = (*fetched)->node == at->store_index ? (*fetched)->cas : (*fetched)->primary_cas;
    if (at->owned) cache_fetched(*at, value, copy.cas);
    copy.data = std::move(value.payload);
    copy.version = value.version;
    copy.sealed_with = sealed_with(value);
  }
  return load(std::move(*at), std::move(copy));
}

void ReadPath::cache_fetched(const ResolvedId& at, const StoredValue& value, std::uint64_t cas) {
  // When the remote TTL was last refreshed is unknown (remote_touched_at stays 0):
  // the next unchanged request touches it.
  const std::int64_t now = c_.now_s();
  CachedSession entry;
  entry.data = value.payload;
  entry.version = value.version;
  entry.store_cas = cas;
  entry.sealed_with = sealed_with(value);
  entry.expires_at = c_.local_expiry(now);
  entry.store = c_.remote.address(at.store_index).id;
  c_.cache->put(at.key, entry, now);
}

Result<std::string_view> ReadPath::load_moved_on(ResolvedId at, const StoredValue& forward) {
  // PHP already took this ID (validate_sid() followed a forward to it) when
  // another node moved the session on: its newest copy is served as it is.
  std::string target = forward.payload;
  for (int hop = 0; hop < kMaxForwardHops; ++hop) {
    std::optional<ResolvedId> next = c_.resolve(target, false);
    if (!next || !next->known_store) break;
    auto fetched = c_.remote.read(next->store_index, next->key);
    if (!fetched) return Failure::of(fetched.cause(), "cannot read session: " + fetched.error());
    if (!*fetched) break;
    StoredValue& value = (*fetched)->value;
    if (is_tombstone(value)) {
      // Ended (a logout) meanwhile: nothing to serve, and nothing may be saved.
      return load(std::move(at), SessionCopy{{}, 0, std::nullopt, 0, std::string()});
    }
    if (!value.forward) {
      // The token is of the target's copy: a destroy() ends exactly that one.
      const std::uint64_t cas = (*fetched)->node == next->store_index ? (*fetched)->cas : 0;
      SessionCopy copy{std::move(value.payload), value.version, std::nullopt, cas, target};
      copy.sealed_with = sealed_with(value);
      return load(std::move(at), std::move(copy));
    }
    target = std::move(value.payload);
  }
  return Error{"session " + at.id + " moved to another ID meanwhile and could not be followed"};
}

bool ReadPath::store_did_not_answer(const Result<std::optional<RemoteCopy>>& fetched,
                                    const ResolvedId& at, const CachedSession& cached) const {
  if (!fetched) return true;
  if (!*fetched || (*fetched)->node == at.store_index || c_.remote.is_up(at.store_index)) {
    return false;
  }
  // Only a replica answered: a newer copy or a forward there is memcached's answer.
  return compare_with_memcached(*fetched, at.store_index, cached) != CopyInMemcached::kReplaced;
}

Failure ReadPath::unreadable(const ResolvedId& at, const Failure& fetched) const {
  std::string message = "cannot read session: " + fetched.message;
  const std::int64_t unchecked = c_.takeovers.seconds_since_check(c_.clock.monotonic_ms() / 1000);
  if (at.routed_here && c_.config.trusts_local_copy() && c_.cache != nullptr &&
      c_.config.takeover_check_interval_s > 0 && unchecked > kNoticeGapSeconds) {
    message += "; this node does not serve its own copy: it has read no takeover notices for " +
               std::to_string(unchecked) +
               " s (they are read from memcached every clustered_session.takeover_check_interval), "
               "so another node may have taken the session over meanwhile";
  }
  return Failure::of(fetched.cause, std::move(message));
}

std::string_view ReadPath::load(ResolvedId&& at, SessionCopy&& copy, std::optional<Move>&& move) {
  if (!at.owned) copy.synced_touched_at.reset();
  c_.phase = phase::Loaded{std::move(at), std::move(copy), std::move(move)};
  return std::get<phase::Loaded>(c_.phase).copy.data;
}

}  // namespace clustered
