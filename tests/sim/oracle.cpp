// SPDX-License-Identifier: BSD-3-Clause
#include "sim/oracle.h"

#include <algorithm>
#include <cstdio>

namespace clustered::sim {

std::string encode_session(SessionValue value) {
  return "e|i:" + std::to_string(value.epoch) + ";n|i:" + std::to_string(value.count) + ";";
}

std::optional<SessionValue> decode_session(const std::string& data, bool* garbled) {
  *garbled = false;
  if (data.empty()) return std::nullopt;
  SessionValue value;
  char end = 0;
  if (std::sscanf(data.c_str(), "e|i:%d;n|i:%d%c", &value.epoch, &value.count, &end) != 3 ||
      end != ';' || encode_session(value) != data) {
    *garbled = true;
    return std::nullopt;
  }
  return value;
}

int Oracle::add_user() {
  users_.emplace_back();
  return static_cast<int>(users_.size()) - 1;
}

int Oracle::session_named(const User& u, const std::string& id) {
  const auto found = u.session_of.find(id);
  return id.empty() || found == u.session_of.end() ? -1 : found->second;
}

int Oracle::make_session(User& u, int epoch, std::int64_t now_ms) {
  Session session;
  session.epoch = epoch;
  session.moved_at_ms = now_ms;
  u.sessions.push_back(std::move(session));
  return static_cast<int>(u.sessions.size()) - 1;
}

void Oracle::set_cookie(User& u, int session, const std::string& id, std::int64_t now_ms) {
  Session& to = u.sessions[session];
  if (!to.id.empty() && to.id != id) to.moved_at_ms = now_ms;
  to.id = id;
  u.session_of[id] = session;
  if (u.cookie != id) u.jar_changed_at_ms = now_ms;
  if (session_named(u, u.cookie) == session) {
    // The session moved (a takeover, a regeneration): the old ID is an old cookie of it.
    if (!u.cookie.empty() && u.cookie != id) u.old_cookies.push_back(u.cookie);
  } else if (!u.cookie.empty()) {
    // The jar's session is abandoned, not moved: it is another session, so its
    // ID is no old cookie of this one (reading its own older data is right).
    if (u.overwritten) {
      // An outsider destroyed the old session: its older cookies are the old
      // session's too, and no old cookies of this one.
      u.old_cookies.clear();
    }
    u.overwritten = false;
  }
  u.cookie = id;
}

Oracle::Snapshot Oracle::snapshot(int user, const std::string& cookie) const {
  const User& u = users_[user];
  Snapshot start;
  start.epoch = u.epoch;
  start.maybe_ended = u.maybe_ended;
  start.overwritten = u.overwritten;
  start.overwrites = u.overwrites;
  const int session = session_named(u, cookie);
  if (session >= 0 && !u.sessions[session].ended) {
    const Session& held = u.sessions[session];
    start.session = session;
    start.epoch = held.epoch;
    start.acked_count = held.acked_count;
    start.losses = held.survived.size();
  }
  return start;
}

int Oracle::acked_since(const User& u, const Snapshot& start) const {
  int acked = start.acked_count;
  if (start.session < 0) return acked;
  const std::vector<int>& survived = u.sessions[start.session].survived;
  for (std::size_t i = start.losses; i < survived.size(); ++i) acked = std::min(acked, survived[i]);
  return acked;
}

void Oracle::on_copies_lost(int user, int session, int surviving) {
  Session& held = users_[user].sessions[session];
  if (surviving >= held.acked_count) return;
  held.survived.push_back(surviving);
  held.acked_count = surviving;
  held.durable_count = std::min(held.durable_count, surviving);
  std::erase_if(held.acked_counts, [&](int count) { return count > surviving; });
}

std::vector<Oracle::HeldSession> Oracle::held_sessions(int user) const {
  std::vector<HeldSession> held;
  const User& u = users_[user];
  for (std::size_t s = 0; s < u.sessions.size(); ++s) {
    const Session& session = u.sessions[s];
    if (session.ended || session.acked_count == 0) continue;
    held.push_back(HeldSession{static_cast<int>(s), session.epoch, session.acked_count});
  }
  return held;
}

std::vector<std::string> Oracle::ids_of(int user, int session) const {
  std::vector<std::string> ids;
  for (const auto& [id, owner] : id_users_) {
    if (owner != user) continue;
    const int of = session_named(users_[user], id);
    if (of < 0 || of == session) ids.push_back(id);
  }
  return ids;
}

void Oracle::violate(std::string kind, std::string detail) {
  violations_.push_back(Violation{std::move(kind), std::move(detail)});
}

void Oracle::on_cookie_only(int user, const std::string& sent, const std::string& id, bool replay) {
  User& u = users_[user];
  if (replay || u.cookie != sent || id == u.cookie) return;
  int session = session_named(u, id);
  if (session < 0) session = session_named(u, sent);
  if (session < 0) session = make_session(u, u.epoch, 0);
  if (!u.cookie.empty()) u.old_cookies.push_back(u.cookie);
  u.cookie = id;
  u.session_of[id] = session;
  u.sessions[session].id = id;
}

bool Oracle::restore_cookie(int user, std::size_t index) {
  User& u = users_[user];
  if (index >= u.old_cookies.size()) return false;
  const std::string restored = u.old_cookies[index];
  if (!u.cookie.empty()) u.old_cookies.push_back(u.cookie);
  u.cookie = restored;
  return true;
}

void Oracle::on_read(int user, const Snapshot& start, const std::string& data, bool replay,
                     std::int64_t now_ms, const std::string& where) {
  bool garbled = false;
  const std::optional<SessionValue> value = decode_session(data, &garbled);
  if (garbled) {
    violate("garbled", where + " read \"" + data + "\", which no request wrote");
    return;
  }
  const User& u = users_[user];
  // Whatever it reads, some request of this user stored it: anything else is an
  // outsider's value (or another user's session) served as this one.
  if (value && u.written.count(data) == 0) {
    violate("served forged data", where + (replay ? " (old cookie)" : "") + " read \"" + data +
                                      "\", which no request of u" + std::to_string(user) +
                                      " wrote");
    return;
  }
  // Within the window after the cookie's session last moved, its old owner may
  // still serve its copy to an old cookie. The window also runs from the last
  // change of the jar's cookie, whatever session the old cookie names: wider than
  // the design's, as the oracle has always had it (per session alone it finds
  // logged-out sessions read again through a replica that missed the tombstone
  // after the store node restarted, docs/design.md, "Known gaps").
  std::int64_t moved_at_ms = u.jar_changed_at_ms;
  if (start.session >= 0)
    moved_at_ms = std::max(moved_at_ms, u.sessions[start.session].moved_at_ms);
  const bool in_window = now_ms - moved_at_ms <= stale_window_ms_;
  const int acked = acked_since(u, start);
  if (replay) {
    // An old cookie: it may open nothing, or the current session; within the
    // window after the session moved, the old owner may still serve its copy.
    // Judged against what was acknowledged when the request started: one that
    // read the session before a logout (or a change) finished may return it.
    if (!value || in_window) return;
    if (value->epoch < start.epoch) {
      violate("resurrected", where + " (old cookie) read epoch " + std::to_string(value->epoch) +
                                 " after logout to epoch " + std::to_string(start.epoch));
    } else if (value->epoch == start.epoch && value->count < acked) {
      violate("stale", where + " (old cookie) read count " + std::to_string(value->count) + ", " +
                           std::to_string(acked) + " acknowledged");
    }
    return;
  }
  if (!value) {
    // An outsider's value where the session was is absent to the handler: as
    // if deleted (while the request ran, or before it and not replaced since).
    const bool overwritten = overwritten_since(user, start);
    if (acked > 0 && !start.maybe_ended && !u.maybe_ended && !overwritten) {
      violate("lost", where + " started empty; count " + std::to_string(acked) + " of epoch " +
                          std::to_string(start.epoch) + " was acknowledged");
    }
    return;
  }
  if (value->epoch < start.epoch) {
    violate("resurrected", where + " read epoch " + std::to_string(value->epoch) +
                               " after logout to epoch " + std::to_string(start.epoch));
  } else if (value->epoch == start.epoch && value->count < acked) {
    violate("lost", where + " read count " + std::to_string(value->count) + ", " +
                        std::to_string(acked) + " was acknowledged before it started");
  }
}

void Oracle::on_ack(int user, bool logout, bool increment, const std::string& sent,
                    const std::string& id, const std::string& written, bool replay,
                    std::int64_t now_ms, const std::string& where) {
  if (replay) return;  // another client's response: the user's jar is not touched
  User& u = users_[user];
  bool garbled = false;
  const std::optional<SessionValue> value = decode_session(written, &garbled);
  const int jar = session_named(u, u.cookie);
  // The session this response answers for: the one its ID was set for before
  // (a request that moved an empty session looks like a new one: the one sent
  // after it with the same cookie follows the forward to that ID), else the one
  // its cookie names, whether the jar still holds it or not (docs/design.md,
  // section 8: parallel requests without a cookie each make a session, and a
  // request sent with one of them changes that one). A cookie the oracle never
  // placed is the jar's session.
  int answered = session_named(u, id);
  if (answered < 0) answered = session_named(u, sent);
  if (!sent.empty() && answered < 0) answered = jar;
  if (logout) {
    // The cookie goes (the jar is emptied whichever session it held); the
    // session the request was sent with is ended (the jar's, when it found none).
    if (answered < 0) answered = jar;
    if (answered >= 0) {
      Session& ended = u.sessions[answered];
      ended.ended = true;
      ended.acked_count = 0;
      ended.acked_counts.clear();
      ended.durable_count = 0;
      ended.moved_at_ms = now_ms;
    }
    if (!u.cookie.empty()) u.old_cookies.push_back(u.cookie);
    u.cookie.clear();
    u.overwritten = false;
    u.maybe_ended = false;
    ++u.epoch;
    u.jar_changed_at_ms = now_ms;
    u.last_acked = answered;
    return;
  }
  if (answered < 0) answered = make_session(u, value ? value->epoch : u.epoch, now_ms);
  Session& session = u.sessions[answered];
  u.last_acked = answered;
  // A response whose ID is not the one it was sent with sets the cookie; the
  // browser keeps the last one set, whichever session it names.
  const bool sets_cookie = sent.empty() || id != sent;
  if (u.maybe_ended && (answered == jar || sets_cookie)) {
    // The failed logout did take effect when this request found nothing (or
    // the jar holds another session from now on).
    u.maybe_ended = false;
    if (answered == jar &&
        (!value || (increment && written == encode_session({session.epoch, 1})))) {
      session.acked_count = 0;
      session.durable_count = 0;
      session.acked_counts.clear();
    }
  }
  if (sets_cookie) set_cookie(u, answered, id, now_ms);
  if (!increment || !value || value->epoch != session.epoch) return;
  if (!session.acked_counts.insert(value->count).second) {
    violate("lost update", where + " acknowledged count " + std::to_string(value->count) +
                               " a second time: one of two acknowledged increments was lost");
  }
  if (value->count > session.acked_count) session.acked_count = value->count;
}

void Oracle::on_write_attempt(int user, const std::string& data) {
  users_[user].written.insert(data);
}

void Oracle::on_session_id(int user, const std::string& id, const std::string& where) {
  if (id.empty()) return;
  const auto [known, first] = id_users_.emplace(id, user);
  if (first || known->second == user) return;
  violate("moved into another user's session", where + " of u" + std::to_string(user) + " uses " +
                                                   id + ", the session of u" +
                                                   std::to_string(known->second));
}

bool Oracle::overwritten_since(int user, const Snapshot& start) const {
  const User& u = users_[user];
  return start.overwritten || u.overwritten || u.overwrites != start.overwrites;
}

void Oracle::on_rewritten(int user, const Snapshot& start) {
  User& u = users_[user];
  if (u.overwrites == start.overwrites) u.overwritten = false;
}

void Oracle::on_outsider_wrote(int user) {
  users_[user].overwritten = true;
  ++users_[user].overwrites;
}

void Oracle::on_durability(int user, bool replay, int local_node) {
  if (replay) return;
  User& u = users_[user];
  if (u.last_acked < 0) return;
  Session& session = u.sessions[u.last_acked];
  if (local_node < 0) {
    session.durable_count = session.acked_count;
    session.local_node = -1;
  } else {
    session.local_node = local_node;
  }
}

void Oracle::on_node_killed(int node) {
  for (User& u : users_) {
    for (Session& session : u.sessions) {
      if (session.local_node != node) continue;
      session.local_node = -1;
      session.acked_count = session.durable_count;
      std::erase_if(session.acked_counts, [&](int count) { return count > session.durable_count; });
    }
  }
}

void Oracle::on_failure(int user, bool ending, const std::string& error, bool faults_active,
                        const std::string& where) {
  if (ending && user >= 0) users_[user].maybe_ended = true;
  if (!faults_active) violate("liveness", where + " failed with no fault active: " + error);
}

}  // namespace clustered::sim
