// SPDX-License-Identifier: BSD-3-Clause
// What one request has learnt so far, as one value: the phase it is in, each
// phase holding the resolved ID it concerns (docs/design.md, "Request flows").
//
//   open ─ validate_sid ─┬─ Prefetched ──────────── read ─ Loaded ─ write/touch ─ close
//                        ├─ Unreadable (lock/store failed) ─ read fails
//                        ├─ Moving ─ create_sid ─ Issued ─ read ─ Loaded(move) ─ write/close
//                        └─ Following ─ create_sid (the forward's target) ─ read ─ Loaded
//   open ─ create_sid ─ Issued ─ read ─ Loaded (new, empty)
//
// Moving carries a session to a new ID: a takeover (migration: the ID names
// another route) or a relocation (its store node is down). The move completes
// when the data is written under the new ID (write, update_timestamp or close).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "remote/remote_store.h"
#include "sid/session_id.h"
#include "util/result.h"

namespace clustered {

// A session ID resolved once per hook: everything the flows need to know of it.
struct ResolvedId {
  std::string id;
  std::string key;              // prefix + id, the memcached and cache key
  std::size_t store_index = 0;  // the node of <store>, or rendezvous for unknown ones
  bool known_store = false;     // it parses and <store> is in save_path
  // It parses but <store> is a node id this save_path does not list (a node
  // removed here, or one added elsewhere): looked for on every node, and moved.
  bool store_unknown = false;
  bool routed_here = false;  // <route> is this node's route
  bool owned = false;        // routed here and the local copy may be trusted

  // The parts, as views into `id` (parsed again on demand: cheap, and no view
  // can outlive a move of this value).
  std::optional<SessionIdView> parts() const { return parse_session_id_view(id); }
};

// A session's bytes and version as one copy holds them.
struct SessionCopy {
  std::string data;
  std::uint64_t version = 0;  // 0: never stored (new, missing, or destroyed)
  // Set when the local cache holds exactly this version, synced, and memcached's
  // copy was last touched at this (wall) time: update_timestamp() then needs no lookup.
  std::optional<std::int64_t> synced_touched_at;
  // memcached's CAS token of this copy under the ID's key on its store node (0:
  // unknown): the write that replaces it is conditional on it (docs/design.md, "Conditional
  // writes").
  std::uint64_t cas = 0;
  // Set when the ID PHP chose was moved on by another node after validate_sid()
  // followed a forward to it: the data is the session's newest copy, read-only;
  // a write is refused (it would replace the forward) and the next request follows.
  // Empty: the session it moved to was ended (a logout) meanwhile. `cas` is then
  // the token of the copy under moved_to, not under this ID.
  std::optional<std::string> moved_to = std::nullopt;
  // How memcached's copy is sealed (CachedSession::sealed_with).
  std::uint32_t sealed_with = 0;
  // The replica copies' tokens at this version (0: unknown), as this node's
  // last write learnt them (CachedSession::replica_cas).
  ReplicaTokens replica_cas{};
};

enum class MoveKind { kMigration, kRelocation };

// A session on its way from `from` to a new ID.
struct Move {
  MoveKind kind = MoveKind::kMigration;
  ResolvedId from;
  // The store to leave (relocation: it is down, draining or unknown); a move
  // without one keeps the store node that has the copy, when that may take it.
  std::optional<std::size_t> avoid_store;
  // The token of the copy read under from.key: the forward replaces it only if
  // nobody wrote there since (0: unknown, the forward is written regardless).
  std::uint64_t from_cas = 0;
  // The copy read came from a replica (the store node did not answer): the
  // forward replaces it there only if nobody wrote there since.
  std::optional<CopyToken> from_replica = std::nullopt;
  // The version of the copy read (0: none): the replicas' copies are replaced
  // only if they hold it or an older one (docs/design.md, "Conditional writes").
  std::uint64_t from_version = 0;
};

namespace phase {

struct Idle {};
// validate_sid() found the session under this ID's lock; read() takes it as it is.
struct Prefetched {
  ResolvedId at;
  SessionCopy copy;
};
// validate_sid() could not take the lock or read the session: read() says why.
struct Unreadable {
  ResolvedId at;
  Failure failure;
};
// validate_sid() found a session that must move; create_sid() names the new ID.
struct Moving {
  Move move;
  SessionCopy copy;
};
// validate_sid() found a forward: create_sid() hands out the ID it points to.
struct Following {
  std::string target;
};
// create_sid() made this ID: new (empty), or the destination of a move.
struct Issued {
  ResolvedId at;
  std::optional<Move> move;
  SessionCopy copy;
};
// read() returned this copy; write()/update_timestamp() decide from it.
struct Loaded {
  ResolvedId at;
  SessionCopy copy;
  std::optional<Move> move;  // still to be completed by the first write (or close)
};

}  // namespace phase

using RequestPhase = std::variant<phase::Idle, phase::Prefetched, phase::Unreadable, phase::Moving,
                                  phase::Following, phase::Issued, phase::Loaded>;

}  // namespace clustered
