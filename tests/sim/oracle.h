// SPDX-License-Identifier: BSD-3-Clause
// The oracle: per user, what was acknowledged, checked against what every
// request read (docs/design.md, "Invariants and their windows").
//
// A session holds "e|i:<epoch>;n|i:<count>;": the epoch grows with every
// acknowledged logout, the count with every acknowledged increment.
//   lost        a request read less than what was acknowledged before it started
//   lost update two acknowledged increments produced the same count (a fork, or
//               a write over another's)
//   resurrected a request read data of a session its user had logged out of
//   stale       a replayed old cookie read an older count than acknowledged,
//               later than the stale window after the session last moved
//   liveness    a request failed while no fault was active
//   served forged data
//               a request read a value that no request of its user ever wrote
//               (an outsider's, or another user's session)
//   moved into another user's session
//               a request of one user used a session ID that another user's
//               requests made (read it, or followed a forward to it)
//   cache dropped by a forged notice
//               an app node dropped cached sessions that the same history
//               without the outsider's notice lines keeps (history.cpp checks it)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace clustered::sim {

struct SessionValue {
  int epoch = 0;
  int count = 0;
};
std::string encode_session(SessionValue value);
// nullopt for an empty (new) session; a value that is neither is reported.
std::optional<SessionValue> decode_session(const std::string& data, bool* garbled);

struct Violation {
  std::string kind;
  std::string detail;
};

class Oracle {
 public:
  explicit Oracle(std::int64_t stale_window_ms) : stale_window_ms_(stale_window_ms) {}

  // What a request sent with a cookie may expect: that cookie's session (one
  // the jar holds, or one it has abandoned for another) as acknowledged so far.
  struct Snapshot {
    int epoch = 0;  // of the session's data (the user's epoch for none or an ended one)
    int acked_count = 0;
    bool maybe_ended = false;  // a failed logout may have ended the session
    bool overwritten = false;  // an outsider wrote over the session (not replaced since)
    int overwrites = 0;        // how many times outsiders did so, ever
    std::size_t losses = 0;    // faults that had destroyed its copies, ever (on_copies_lost)
    int session = -1;          // which of the user's sessions (-1: none, or an ended one)
  };
  // A session of the user that holds acknowledged counts, for the search after
  // a fault (Cluster::account_for_lost_copies).
  struct HeldSession {
    int session = 0;
    int epoch = 0;
    int acked_count = 0;
  };

  int add_user();
  int users() const { return static_cast<int>(users_.size()); }
  // For a request sent with the jar's cookie, or with `cookie` (an old one).
  Snapshot snapshot(int user) const { return snapshot(user, users_[user].cookie); }
  Snapshot snapshot(int user, const std::string& cookie) const;
  const std::string& cookie(int user) const { return users_[user].cookie; }
  const std::vector<std::string>& old_cookies(int user) const { return users_[user].old_cookies; }
  // The browser sends its `index`-th old cookie again (a restored tab or backup):
  // an old cookie that names the live session must still open it.
  bool restore_cookie(int user, std::size_t index);

  // What read() returned to a request that started at `start`.
  void on_read(int user, const Snapshot& start, const std::string& data, bool replay,
               std::int64_t now_ms, const std::string& where);
  // Every value a request of `user` hands the handler to store (before the
  // store sees it): what a later read of this user may return.
  void on_write_attempt(int user, const std::string& data);
  // A request of `user` uses session `id` (read() is called with it, or the
  // request gets its key, following a forward): an ID belongs to the user whose
  // request first used it.
  void on_session_id(int user, const std::string& id, const std::string& where);
  // Someone with access to memcached wrote under the user's current session key
  // (forged, copied, damaged). To the handler that is as good as deleted (a
  // replica may be left, but not every node reaches it), so a request that finds
  // nothing from then on is no loss, and a write conditional on the copy it read
  // may be refused.
  void on_outsider_wrote(int user);
  // An acknowledged write of the user's session by a request that started at
  // `start`: it replaced what an outsider wrote before that request began (one
  // that wrote while it ran may have come after its store call).
  void on_rewritten(int user, const Snapshot& start);
  // Whether an outsider wrote over the user's session since `start` (or before,
  // and no acknowledged write or new session has replaced it since).
  bool overwritten_since(int user, const Snapshot& start) const;
  // A violation found outside the oracle (history.cpp's notice check).
  void report(std::string kind, std::string detail) { violate(std::move(kind), std::move(detail)); }

  // The response reached the user: `id` is the session ID it ended with, `written`
  // what it left in the session (empty after a logout).
  // `sent`: the cookie the request came with. Without one it made a new session;
  // with one it answers for that cookie's session, whichever the jar holds now.
  // The response sets a cookie when its ID is not the one sent (a new session, a
  // move, a regeneration), and the browser keeps the last one set: the jar then
  // holds this response's session, at every count acknowledged in it, also while
  // the jar held another (docs/design.md, "Invariants and their windows": one live session per
  // user).
  void on_ack(int user, bool logout, bool increment, const std::string& sent, const std::string& id,
              const std::string& written, bool replay, std::int64_t now_ms,
              const std::string& where);
  // After on_ack: `local_node` >= 0 when the write reached no memcached node and
  // lives in that app node's cache only (the handler warned "kept on this node").
  void on_durability(int user, bool replay, int local_node);
  // The node's cache is gone: changes it alone held are lost, as the design
  // allows for two faults at once (its store unreachable, then the node dead).
  void on_node_killed(int node);
  // A fault destroyed copies of one of the user's sessions (an app node's cache or
  // a request in its processes, memcached items restarted, stopped or evicted),
  // and what survives anywhere holds at most `surviving` of its epoch: no
  // protocol can serve more, so from now on (and for requests that started
  // before) that is what was acknowledged (docs/design.md, section 8).
  void on_copies_lost(int user, int session, int surviving);
  // The user's sessions that are not ended and hold an acknowledged count.
  std::vector<HeldSession> held_sessions(int user) const;
  // The IDs the user's requests used (on_session_id), in no order: those of
  // `session`, and those no response has placed in a session yet.
  std::vector<std::string> ids_of(int user, int session) const;
  // `ending`: a logout or regeneration that failed may still have destroyed the
  // session (the primary copy went, a replica did not answer): the user's next
  // request may find it gone.
  void on_failure(int user, bool ending, const std::string& error, bool faults_active,
                  const std::string& where);
  // After on_failure: the failed request's response still set `id` as the cookie
  // (its write failed after session_start() had issued the ID). The jar takes it
  // if it still holds `sent`; nothing new is acknowledged.
  void on_cookie_only(int user, const std::string& sent, const std::string& id, bool replay);

  const std::vector<Violation>& violations() const { return violations_; }
  bool clean() const { return violations_.empty(); }

 private:
  // One session of the user: an ID that a request without a cookie made, and
  // the IDs it moved to since (takeovers, regenerations). Parallel requests
  // without a cookie make several; the jar holds one of them at a time.
  struct Session {
    int epoch = 0;       // of its data
    bool ended = false;  // an acknowledged logout ended it
    std::string id;      // the ID a response last set for it
    int acked_count = 0;
    std::set<int> acked_counts;  // of its epoch, by acknowledged increments
    std::int64_t moved_at_ms = 0;
    int durable_count = 0;      // the count last acknowledged with a copy in memcached
    int local_node = -1;        // the app node holding newer acknowledged counts alone
    std::vector<int> survived;  // per on_copies_lost: the count that survived it
  };
  struct User {
    std::string cookie;
    std::vector<std::string> old_cookies;
    std::vector<Session> sessions;
    std::map<std::string, int> session_of;  // ID -> the session a response set it for
    int last_acked = -1;                    // the session of the last response (on_durability)
    int epoch = 0;
    // When the jar's cookie last changed (a move, a switch, a logout): the stale
    // window of an old cookie runs from then too (what the oracle always allowed).
    std::int64_t jar_changed_at_ms = 0;
    bool maybe_ended = false;
    std::set<std::string> written;  // every value a request of this user tried to store
    bool overwritten = false;       // an outsider wrote over the current session
    int overwrites = 0;
  };
  // The session `id` was set for (-1: none).
  static int session_named(const User& u, const std::string& id);
  // A new session, made by a request without a cookie, with data of `epoch`.
  static int make_session(User& u, int epoch, std::int64_t now_ms);
  // A response set `id` as the cookie for session `session`: the jar holds it now.
  static void set_cookie(User& u, int session, const std::string& id, std::int64_t now_ms);
  // What `start` acknowledged, less what faults destroyed of it since.
  int acked_since(const User& u, const Snapshot& start) const;
  void violate(std::string kind, std::string detail);

  std::int64_t stale_window_ms_;
  std::vector<User> users_;
  std::map<std::string, int> id_users_;  // session ID -> the user whose request used it first
  std::vector<Violation> violations_;
};

}  // namespace clustered::sim
