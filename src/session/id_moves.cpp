// SPDX-License-Identifier: BSD-3-Clause
#include "session/id_moves.h"

#include <algorithm>

namespace clustered {

Result<std::string> IdMoves::create_sid() {
  if (auto* following = std::get_if<phase::Following>(&c_.phase)) {
    std::string target = std::move(following->target);
    c_.phase = phase::Idle{};
    return target;  // the ID the session already moved to: read like any other
  }
  auto random =
      make_random_part(c_.config.sid_length, c_.config.sid_bits_per_character, c_.entropy);
  if (!random) return Error{random.error()};

  // What moves to the new ID: a session validate_sid() found (or one already
  // issued an ID in this request, when PHP asks again).
  std::optional<Move> move;
  SessionCopy copy;
  if (auto* moving = std::get_if<phase::Moving>(&c_.phase)) {
    move = std::move(moving->move);
    copy = std::move(moving->copy);
    // The token is of the old key's copy; the new key holds nothing yet.
    if (copy.cas != 0) move->from_cas = copy.cas;
    move->from_version = copy.version;
    copy.cas = 0;
  } else if (auto* issued = std::get_if<phase::Issued>(&c_.phase); issued && issued->move) {
    move = std::move(issued->move);
    copy = std::move(issued->copy);
  }
  std::optional<std::size_t> store;
  if (move && !move->avoid_store && c_.remote.stores_sessions(move->from.store_index) &&
      c_.remote.is_up(move->from.store_index)) {
    store = move->from.store_index;  // keep the store node that has the copy
  }
  if (!store) store = c_.remote.pick_live_node(move ? move->avoid_store : std::nullopt);
  if (!store && move && move->avoid_store && c_.remote.is_up(*move->avoid_store) &&
      !c_.remote.without_cas(*move->avoid_store)) {
    // No other node takes it: the session stays on the node it was read from
    // (dropped or draining, but answering), not under an ID that names a node
    // that does not answer, where only this node's cache would hold it; it
    // moves on with a later request (docs/design.md, "save_path roles").
    store = move->avoid_store;
  }
  if (!store) {
    // Every node is down: the session still gets an ID (and is kept locally until
    // a node answers); which node does not matter while none does.
    store = c_.remote.rendezvous_node(*random);
  }
  std::string text = SessionId{*random, c_.remote.address(*store).id, c_.config.route}.str();
  // Ours also while this node's copies are to be verified (each read of it asks
  // memcached until a check completes).
  std::optional<ResolvedId> at = c_.resolve(text, c_.local_copy_trust() != CopyTrust::kUntrusted);
  c_.phase = phase::Issued{std::move(*at), std::move(move), std::move(copy)};
  return text;
}

bool IdMoves::pending_for(std::string_view id) const {
  const auto* loaded = std::get_if<phase::Loaded>(&c_.phase);
  return loaded != nullptr && loaded->move && loaded->at.id == id;
}

Status IdMoves::complete(std::string_view id, std::string_view data) {
  const bool changed = data != std::get<phase::Loaded>(c_.phase).copy.data;
  Status written = writes_.write_through(id, data);
  if (written.cause() == Cause::kTooLarge) return stay_under_old_id(id, data, written.error());
  if (!written) return written;
  auto& loaded = std::get<phase::Loaded>(c_.phase);
  const Move move = std::move(*loaded.move);
  loaded.move.reset();
  // Only now that the data is safe under the new ID, the old key becomes a
  // forward to it, here and on its store node (a dead store node is skipped);
  // only over the copy this request read (docs/design.md, "Conditional writes").
  const std::int64_t now = c_.now_s();
  auto forwarded = c_.missed_writes.leave_forward(
      move.from.key, move.from.store_index, id, c_.next_version(loaded.copy.version),
      c_.remote_ttl(), c_.local_expiry(now), now, move.from_cas, move.from_replica,
      move.from_version);
  if (!forwarded && forwarded.failure().cause == Cause::kExists)
    return undo_move(move, id, changed);
  Counters::add(move.kind == MoveKind::kMigration ? c_.counters.migrations
                                                  : c_.counters.relocations);
  if (!forwarded) {
    Counters::add(c_.counters.writes_kept);
    c_.handled(HandledEvent::kForwardKept, forwarded.failure().cause,
               "session " + move.from.id + " moved to " + std::string(id) +
                   ", but the forward under its old ID could not be written (" + forwarded.error() +
                   "); it is retried once that node answers");
  }
  // The old owner may still hold the session in its cache: tell it, now that the
  // forward is in place (the other way round it could fetch the old data again).
  if (move.kind == MoveKind::kMigration) announce_takeover(move.from);
  return success();
}

Status IdMoves::undo_move(const Move& move, std::string_view id, bool changed) {
  // The old ID was written after this request read it (its owner's request ended
  // meanwhile, or another node moved it): that copy is the session. PHP has sent
  // the new ID's cookie, so the new key forwards to the old ID, and the next
  // request takes the newer copy from there; this request's changes are refused.
  auto& loaded = std::get<phase::Loaded>(c_.phase);
  // A request that changed nothing loses nothing when its move is undone: once
  // the new ID forwards back, its session is whole (docs/design.md, "Conditional
  // writes"), so it is the operator's news, not a failure.
  Counters::add(c_.counters.write_conflicts);
  const std::int64_t now = c_.now_s();
  auto back = c_.missed_writes.leave_forward(loaded.at.key, loaded.at.store_index, move.from.id,
                                             c_.next_version(loaded.copy.version), c_.remote_ttl(),
                                             c_.local_expiry(now), now);
  loaded.copy.version = 0;  // nothing of this request's is stored
  std::string outcome = std::string(id) + " forwards to it";
  if (back && !changed) {
    c_.handled(HandledEvent::kStayedUnderOldId, Cause::kConflict,
               "session " + move.from.id +
                   " stays under its old ID: it changed on another node while a request that "
                   "only read it moved it to " +
                   std::string(id) + "; " + outcome);
    return success();
  }
  if (!back) outcome = "and " + std::string(id) + " could not forward to it (" + back.error() + ")";
  return Failure::of(Cause::kConflict,
                     "session " + move.from.id +
                         " was not saved: it changed on another node while " +
                         "this request ran, and moving it would have overwritten that; " + outcome);
}

Status IdMoves::stay_under_old_id(std::string_view id, std::string_view data,
                                  const std::string& why) {
  auto& loaded = std::get<phase::Loaded>(c_.phase);
  const Move move = std::move(*loaded.move);
  loaded.move.reset();
  // PHP has sent the new ID's cookie already: the session must be reachable
  // through it, so the data goes back under the old key (with this request's
  // change), over exactly the copy this request read, and the new key forwards
  // to the old one -- also when the change cannot be kept there either.
  const std::uint64_t version = c_.next_version(loaded.copy.version);
  auto kept = c_.remote.write(move.from.store_index, move.from.key, version, data, c_.remote_ttl(),
                              move.from_cas, move.from_version);
  if (!kept && kept.failure().stored_copy_dropped) {
    // memcached unlinked the copy when it refused this one: the copy this
    // request read goes back, where nothing was written since.
    (void)c_.remote.write_if_missing(move.from.store_index, move.from.key, loaded.copy.version,
                                     loaded.copy.data, c_.remote_ttl());
  }
  if (kept) {
    loaded.copy.data = data;
    loaded.copy.version = version;
    loaded.copy.synced_touched_at.reset();
  } else {
    loaded.copy.version = 0;  // nothing of this request's is stored
  }
  const std::int64_t now = c_.now_s();
  auto forwarded =
      c_.missed_writes.leave_forward(loaded.at.key, loaded.at.store_index, move.from.id,
                                     c_.next_version(std::max(version, loaded.copy.version)),
                                     c_.remote_ttl(), c_.local_expiry(now), now);
  std::string outcome = std::string(id) + " forwards to it";
  if (!forwarded) {
    outcome = "but " + std::string(id) + " could not forward to it (" + forwarded.error() + ")";
  }
  // The old owner's cached copy is older than the one under the old key now
  // (or, when the change was refused, another node holds the session).
  if (move.kind == MoveKind::kMigration) announce_takeover(move.from);
  if (!kept) {
    Counters::add(kept.cause() == Cause::kExists ? c_.counters.write_conflicts
                                                 : c_.counters.writes_too_large);
    return Failure::of(kept.cause() == Cause::kExists ? Cause::kConflict : kept.cause(),
                       "session " + move.from.id + " was not saved: it cannot move to " +
                           std::string(id) + " (" + why +
                           "), nor take this request's change under its old ID (" + kept.error() +
                           "); the session stays as it was, and " + outcome);
  }
  c_.handled(HandledEvent::kStayedUnderOldId, Cause::kTooLarge,
             "session " + move.from.id + " stays under its old ID: it cannot move to " +
                 std::string(id) + " (" + why + "); " + outcome);
  return success();
}

Status IdMoves::complete_on_close() {
  const auto* loaded = std::get_if<phase::Loaded>(&c_.phase);
  if (loaded == nullptr || !loaded->move) return success();
  const std::string id = loaded->at.id;
  const std::string data = loaded->copy.data;
  return complete(id, data);
}

void IdMoves::announce_takeover(const ResolvedId& from) {
  const std::optional<SessionIdView> old = from.parts();
  if (!old) return;  // only IDs with a route are taken over
  std::uint64_t generation = 0;
  (void)c_.entropy.fill(&generation, sizeof generation);
  const Takeovers::Missed missed = c_.takeovers.announce(old->route, from.key, generation | 1);
  if (!missed.why.empty()) {
    c_.handled(HandledEvent::kNoticeUnwritten, missed.cause,
               "session taken over from " + std::string(old->route) + ", but the notice to it " +
                   "could not be written (" + missed.why + "); it may serve its old copy of " +
                   from.id + " until it next finds a node that has the notice");
  }
}

Status IdMoves::destroy(std::string_view id) {
  std::optional<ResolvedId> at = c_.resolve(id, false);
  if (!at) return success();  // can never have been stored
  if (c_.cache != nullptr) c_.cache->remove(at->key);
  // What this request read under the ID: only that copy is ended (a tombstone
  // over its token), so a request that read it before the logout, here or on
  // another node, can never store it again, and a copy written since stays.
  std::optional<Move>* pending = nullptr;
  // Not read by this request at all: whatever copy is there now is ended.
  CopyRead read{kAnyVersion, 0};
  std::optional<std::string> moved_to;
  phase::Loaded* loaded = std::get_if<phase::Loaded>(&c_.phase);
  if (loaded != nullptr && loaded->at.id != id) loaded = nullptr;
  // A destroy refused or failed leaves the copy read in place: PHP keeps the
  // session (session_regenerate_id() returns false) and its write at the end of
  // the request stays conditional on that copy.
  const auto forget_copy = [&](Status ended) {
    if (ended && loaded != nullptr) loaded->copy.version = 0;
    return ended;
  };
  if (loaded != nullptr) {
    read = {loaded->copy.version, loaded->copy.cas};
    moved_to = loaded->copy.moved_to;
    pending = &loaded->move;
  } else if (auto* issued = std::get_if<phase::Issued>(&c_.phase); issued && issued->at.id == id) {
    read = CopyRead{issued->copy.version, 0};
    pending = &issued->move;
  }
  if (pending != nullptr && *pending) {
    // Destroyed before the move was written: the old key holds the session
    // (the new one nothing yet) and is ended over the copy the move read.
    // Refused (written since), the move stays, to complete or be undone at the
    // end of the request as any other (complete(), undo_move()).
    const Move& move = **pending;
    // (Before the end: an end kept for a retry stays in the cache.)
    if (c_.cache != nullptr) c_.cache->remove(move.from.key);
    Status ended = end(move.from, CopyRead{read.version, move.from_cas});
    if (ended.cause() == Cause::kConflict) return ended;
    // The old owner may still hold the session in its cache: it drops it.
    if (move.kind == MoveKind::kMigration) announce_takeover(move.from);
    pending->reset();
    return forget_copy(std::move(ended));
  }
  if (moved_to) {
    // The ID forwards to the session another node moved it to meanwhile: that
    // copy, served read-only, is the one ended (and the forward leads to it).
    std::optional<ResolvedId> target = c_.resolve(*moved_to, false);
    if (!target || moved_to->empty()) return success();  // ended already
    if (c_.cache != nullptr) c_.cache->remove(target->key);
    return forget_copy(end(*target, read));
  }
  // Nothing was read under this ID (a new session, or one that was missing):
  // nothing of it is stored that this request may end.
  if (read.version == 0) return success();
  return forget_copy(end(*at, read));
}

Status IdMoves::end(const ResolvedId& at, CopyRead read) {
  const std::uint64_t version = c_.next_version(read.version == kAnyVersion ? 0 : read.version);
  WriteReport written;
  Status ended =
      end_session(c_.remote, at.store_index, at.key, read, version, c_.remote_ttl(), &written);
  if (ended && replica_missed_end(written)) {
    // The store node took it, a replica's node did not: that copy would be read
    // whenever the store node fails. Retried like a missed end, over this tombstone.
    c_.missed_writes.remember_missed_end(at.key, at.store_index, CopyRead{version, written.cas},
                                         c_.local_expiry(c_.now_s()), c_.now_s(), true);
    c_.handled(HandledEvent::kForwardKept, written.replica_cause,
               "session " + at.id + " ended, but a replica could not be ended (" +
                   written.replica_errors + "); it is retried once that node answers");
  }
  if (ended) return ended;
  if (ended.cause() == Cause::kConflict) {
    Counters::add(c_.counters.write_conflicts);
    return Failure::of(Cause::kConflict, "session " + at.id + " " + ended.error() +
                                             " (a logout racing a request on another node)");
  }
  // Not served here meanwhile, and ended once the node answers.
  c_.missed_writes.remember_missed_end(at.key, at.store_index, read, c_.local_expiry(c_.now_s()),
                                       c_.now_s());
  return Failure::of(ended.cause(), "cannot destroy session: " + ended.error() +
                                        "; it is retried once that node answers");
}

}  // namespace clustered
