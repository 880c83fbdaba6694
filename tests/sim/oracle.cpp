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

Oracle::Snapshot Oracle::snapshot(int user) const {
  const User& u = users_[user];
  return Snapshot{u.epoch,       u.acked_count, u.maybe_ended,
                  u.overwritten, u.overwrites,  u.survived.size()};
}

int Oracle::acked_since(const User& u, const Snapshot& start) const {
  int acked = start.acked_count;
  for (std::size_t i = start.losses; i < u.survived.size(); ++i) {
    acked = std::min(acked, u.survived[i]);
  }
  return acked;
}

void Oracle::on_copies_lost(int user, int surviving) {
  User& u = users_[user];
  if (surviving >= u.acked_count) return;
  u.survived.push_back(surviving);
  u.acked_count = surviving;
  u.durable_count = std::min(u.durable_count, surviving);
  std::erase_if(u.acked_counts, [&](int count) { return count > surviving; });
}

std::vector<std::string> Oracle::ids_of(int user) const {
  std::vector<std::string> ids;
  for (const auto& [id, owner] : id_users_) {
    if (owner == user && users_[user].abandoned.count(id) == 0) ids.push_back(id);
  }
  return ids;
}

void Oracle::violate(std::string kind, std::string detail) {
  violations_.push_back(Violation{std::move(kind), std::move(detail)});
}

void Oracle::on_cookie_only(int user, const std::string& sent, const std::string& id, bool replay) {
  User& u = users_[user];
  if (replay || u.cookie != sent || id == u.cookie) return;
  if (!u.cookie.empty()) u.old_cookies.push_back(u.cookie);
  u.cookie = id;
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
  const bool in_window = now_ms - u.moved_at_ms <= stale_window_ms_;
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
  // A session the jar dropped: its response sets no cookie unless its ID moved,
  // and then the browser takes that one as a fresh session.
  const bool fresh = sent.empty() || (u.abandoned.count(sent) != 0 && id != sent);
  if (!sent.empty() && u.abandoned.count(sent) != 0 && id == sent) return;
  if (u.maybe_ended) {
    // The failed logout did take effect when this request found nothing.
    u.maybe_ended = false;
    bool empty_garbled = false;
    if (!decode_session(written, &empty_garbled) ||
        (increment && written == encode_session({u.epoch, 1}))) {
      u.acked_count = 0;
      u.durable_count = 0;
      u.acked_counts.clear();
    }
  }
  bool garbled = false;
  const std::optional<SessionValue> value = decode_session(written, &garbled);
  if (fresh && !u.cookie.empty() && !logout) {
    // The jar's session is abandoned, not moved: it is another session, so its
    // ID is no old cookie of this one (reading its own older data is right).
    u.abandoned.insert(u.cookie);
    if (u.overwritten) {
      // An outsider destroyed the old session: its older cookies are the old
      // session's too, not this one's.
      u.abandoned.insert(u.old_cookies.begin(), u.old_cookies.end());
      u.old_cookies.clear();
    }
    u.overwritten = false;
    u.cookie = id;
    u.moved_at_ms = now_ms;
    u.acked_counts.clear();
    u.durable_count = 0;
    u.acked_count = value && value->epoch == u.epoch ? value->count : 0;
    if (value && value->epoch == u.epoch) u.acked_counts.insert(value->count);
    return;
  }
  if (id != u.cookie) {
    if (!u.cookie.empty()) u.old_cookies.push_back(u.cookie);
    u.cookie = id;
    u.moved_at_ms = now_ms;
  }
  if (logout) {
    if (!u.cookie.empty()) u.old_cookies.push_back(u.cookie);
    u.cookie.clear();
    u.overwritten = false;
    ++u.epoch;
    u.acked_count = 0;
    u.durable_count = 0;
    u.acked_counts.clear();
    u.moved_at_ms = now_ms;
    return;
  }
  if (!increment || !value || value->epoch != u.epoch) return;
  if (!u.acked_counts.insert(value->count).second) {
    violate("lost update", where + " acknowledged count " + std::to_string(value->count) +
                               " a second time: one of two acknowledged increments was lost");
  }
  if (value->count > u.acked_count) u.acked_count = value->count;
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
  if (local_node < 0) {
    u.durable_count = u.acked_count;
    u.local_node = -1;
  } else {
    u.local_node = local_node;
  }
}

void Oracle::on_node_killed(int node) {
  for (User& u : users_) {
    if (u.local_node != node) continue;
    u.local_node = -1;
    u.acked_count = u.durable_count;
    std::erase_if(u.acked_counts, [&](int count) { return count > u.durable_count; });
  }
}

void Oracle::on_failure(int user, bool ending, const std::string& error, bool faults_active,
                        const std::string& where) {
  if (ending && user >= 0) users_[user].maybe_ended = true;
  if (!faults_active) violate("liveness", where + " failed with no fault active: " + error);
}

}  // namespace clustered::sim
