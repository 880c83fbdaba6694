// SPDX-License-Identifier: BSD-3-Clause
// The read path: validate_sid() (strict mode) and read(). An owned session is
// served from the node's cache; any other is fetched through its <store> node,
// forwards left by moved sessions are followed, and a session that must move
// (taken over, or its store node down) leaves validate_sid() in phase Moving.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "codec/value_header.h"
#include "session/handler_context.h"
#include "shm/session_cache.h"

namespace clustered {

class ReadPath {
 public:
  explicit ReadPath(HandlerContext& context) : c_(context) {}

  // True when the ID may be used as it is: it parses, names a known node and the
  // session exists and is owned here (or, untrusted, exists). False makes PHP ask
  // for a new ID (create_sid), which is also how sessions move.
  bool validate_sid(std::string_view id);
  // A missing session is an empty string; a store that cannot answer is an error.
  // The data stays valid until the next call on the handler.
  Result<std::string_view> read(std::string_view id);

 private:
  // An owned session found in the cache: retries an unsynced write, and moves the
  // session when its store node is down and another one is up.
  enum class Cached {
    kServed,            // phase Prefetched: served from this copy
    kMoving,            // phase Moving: the copy goes to a new ID
    kNewerInMemcached,  // memcached holds a newer write than this copy (dropped): read that
  };
  // When `locked` (the request's own ID, hop 0), `at` is moved into the phase
  // set for kServed and kMoving: validate_sid() returns then without reading it
  // again, and the owner read copies no ID and key (docs/design.md, "One request").
  Cached take_cached(ResolvedId& at, CachedSession hit, bool locked);
  // IDs that name a store (known here, or a node id this save_path lacks).
  static bool names_a_store(const ResolvedId& at);
  // The session must move off its store: not in save_path, or draining (when
  // another active node is up to take it).
  bool must_leave_store(const ResolvedId& at) const;
  // For an ID whose store is not in save_path: the newest copy on the known
  // nodes, whose node becomes `at.store_index`; nullopt (and, with
  // `report_missing`, a line naming the node) when no known node has one; a
  // failure when none that answered has one and a node that did not may.
  Result<std::optional<RemoteCopy>> find_beyond_save_path(ResolvedId& at,
                                                          bool report_missing = true);
  // Keeps an owned session just read from memcached in the local cache.
  // read() of an ID that another node moved on since validate_sid() chose it.
  Result<std::string_view> load_moved_on(ResolvedId at, const StoredValue& forward);
  void cache_fetched(const ResolvedId& at, const StoredValue& value, std::uint64_t cas);
  // After following more than one forward to `target`: the earlier forwards are
  // rewritten to point at it, so chains stay short however many moves they see.
  void shorten_chain(const std::vector<ResolvedId>& passed, const std::string& target,
                     std::uint64_t target_version);
  // Sets phase Loaded. Taken by reference, so the ID and copy are moved only
  // into the phase: the owner read moves them straight from Prefetched, with no
  // stops between (docs/design.md, "One request").
  std::string_view load(ResolvedId&& at, SessionCopy&& copy, std::optional<Move>&& move = {});
  // Whether memcached could neither confirm nor refute this node's `cached` copy
  // because the session's store node did not answer: the read failed, or only a
  // replica answered, with no newer copy and no forward (CopyTrust::kVerify).
  bool store_did_not_answer(const Result<std::optional<RemoteCopy>>& fetched, const ResolvedId& at,
                            const CachedSession& cached) const;
  // "cannot read session: <why>", and, for a session this node owns but does
  // not serve from its cache now (no takeover check for the notice gap), why not.
  Failure unreadable(const ResolvedId& at, const Failure& fetched) const;

  HandlerContext& c_;
};

}  // namespace clustered
