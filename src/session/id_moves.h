// SPDX-License-Identifier: BSD-3-Clause
// ID moves: create_sid(), the completion of a takeover (migration) or relocation
// under the new ID, and destroy(). A move is complete when the data is stored
// under the new ID; only then does the old key become a forward to it, and the
// old owner is told through a takeover notice (session/takeover_notices.h).
#pragma once

#include <string>
#include <string_view>

#include "remote/session_end.h"
#include "session/handler_context.h"
#include "session/write_path.h"

namespace clustered {

class IdMoves {
 public:
  IdMoves(HandlerContext& context, WritePath& writes) : c_(context), writes_(writes) {}

  // <random>-<store>.<route>; for a move, the ID it goes to; after a forward,
  // the ID the forward points to.
  Result<std::string> create_sid();
  // True when `id` is the destination of a move that is not complete yet.
  bool pending_for(std::string_view id) const;
  // Writes the data under the move's new ID, then forwards the old one.
  Status complete(std::string_view id, std::string_view data);
  // read_and_close, session_abort() and an unchanged session after a rewrite end
  // in close() without a write: the moved data must still reach its new ID.
  Status complete_on_close();
  // Ends the session this request read under `id` (a tombstone over that very
  // copy); a session never stored, or missing, is not an error. kConflict when
  // another request wrote it since.
  Status destroy(std::string_view id);

 private:
  void announce_takeover(const ResolvedId& from);
  // Ends the copy `read` under `at` (remote/session_end.h); a node that does not
  // answer gets it retried (MissedWrites).
  Status end(const ResolvedId& at, CopyRead read);
  // The forward found the old key written since it was read: refuse the move
  // (kConflict); the new ID forwards back to the old one, whose copy is newer.
  Status undo_move(const Move& move, std::string_view id, bool changed);
  // The data does not fit under the move's new key (longer, or a store with a
  // smaller -I): it stays under the old ID, and the new ID forwards to it.
  Status stay_under_old_id(std::string_view id, std::string_view data, const std::string& why);

  HandlerContext& c_;
  WritePath& writes_;
};

}  // namespace clustered
