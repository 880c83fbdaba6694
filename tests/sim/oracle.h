// The oracle: per user, what was acknowledged, checked against what every
// request read (SIMULATION.md, "The oracle"; docs/design.md, "Invariants").
//
// A session holds "e|i:<epoch>;n|i:<count>;": the epoch grows with every
// acknowledged logout, the count with every acknowledged increment.
//   lost        a request read less than what was acknowledged before it started
//   lost update two acknowledged increments produced the same count (a fork, or
//               a write over another's)
//   resurrected a request read data of an epoch its user had logged out of
//   stale       a replayed old cookie read an older count than acknowledged,
//               later than the stale window after the session last moved
//   liveness    a request failed while no fault was active
#pragma once

#include <cstdint>
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

  struct Snapshot {
    int epoch = 0;
    int acked_count = 0;
    bool maybe_ended = false;  // a failed logout may have ended the session
  };

  int add_user();
  Snapshot snapshot(int user) const;
  const std::string& cookie(int user) const { return users_[user].cookie; }
  const std::vector<std::string>& old_cookies(int user) const { return users_[user].old_cookies; }
  // The browser sends its `index`-th old cookie again (a restored tab or backup):
  // an old cookie that names the live session must still open it.
  bool restore_cookie(int user, std::size_t index);

  // What read() returned to a request that started at `start`.
  void on_read(int user, const Snapshot& start, const std::string& data, bool replay,
               std::int64_t now_ms, const std::string& where);
  // The response reached the user: `id` is the session ID it ended with, `written`
  // what it left in the session (empty after a logout).
  // `sent`: the cookie the request came with. Without one it made a new session;
  // when another response set the jar meanwhile, this one's Set-Cookie replaces
  // it (as a browser does) and the user carries on with this session. A response
  // for a session the jar has abandoned so is another session's business.
  void on_ack(int user, bool logout, bool increment, const std::string& sent, const std::string& id,
              const std::string& written, bool replay, std::int64_t now_ms,
              const std::string& where);
  // After on_ack: `local_node` >= 0 when the write reached no memcached node and
  // lives in that app node's cache only (the handler warned "kept on this node").
  void on_durability(int user, bool replay, int local_node);
  // The node's cache is gone: changes it alone held are lost, as the design
  // allows for two faults at once (its store unreachable, then the node dead).
  void on_node_killed(int node);
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
  struct User {
    std::string cookie;
    std::vector<std::string> old_cookies;
    std::set<std::string> abandoned;  // sessions the jar dropped for a fresh one
    int epoch = 0;
    int acked_count = 0;
    std::set<int> acked_counts;  // of this epoch, by acknowledged increments
    std::int64_t moved_at_ms = 0;
    bool maybe_ended = false;
    int durable_count = 0;  // the count last acknowledged with a copy in memcached
    int local_node = -1;    // the app node holding newer acknowledged counts alone
  };
  void violate(std::string kind, std::string detail);

  std::int64_t stale_window_ms_;
  std::vector<User> users_;
  std::vector<Violation> violations_;
};

}  // namespace clustered::sim
