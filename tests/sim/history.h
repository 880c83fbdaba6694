// SPDX-License-Identifier: BSD-3-Clause
// Histories: what users and faults do to a simulated cluster, one action a line,
// readable and replayable. A seed makes one (swarm style: each seed draws its own
// fault mix), run_history() plays it against a fresh Cluster with the oracle
// checking every request, and shrink() cuts a failing one down to the lines that
// still make it fail.
//
//   options apps=2 memcached=2 replicas=0 balancer=route
//   options gc_maxlifetime=1440 lock_stripes=0   (0: one lock per session)
//   options routes=web1,frontend2   the routes in IDs (the nodes stay web1, web2)
//   seed 42                   the scheduler's and the handler's randomness
//   request u0 increment      a request starts (the balancer picks the node)
//   request u0 read @web2     ... on a given app node
//   burst u1 increment 3      parallel requests of one user (one cookie)
//   replay u0                 an old cookie of u0, from another client
//   restore u0 1              u0's browser sends its 1st cookie again (a restored tab)
//   forge u0                  an outsider writes a newer value of its own under
//                             u0's key on its store node (memcached has no auth)
//   forge u0 value            ... a plain value that reads as u0's session (a count
//                             nobody wrote), on every node holding u0's key
//   forge u0 forward u1       ... a plain forward to u1's session ID
//   forge u0 copy u1          ... the bytes stored under u1's session key
//   forge u0 copy-forward u1  ... the bytes under u1's last old ID (a forward to u1)
//   forge u0 truncate         ... u0's stored value without its last byte
//   forge u0 flip 37          ... u0's stored value with bit 0 of byte 37 (mod size) flipped
//   poison web1 star          an outsider appends "*\n" to clustered_session.moved:web1
//                             on every memcached node that has that list
//   poison web1 line u0       ... a plain line naming u0's session key
//   options seal=encrypt      every app node seals with one key (or seal=authenticate)
//   run 40                    40 scheduler steps (hooks of running requests)
//   drain                     run until every request has ended
//   kill web1 | restart web1  SIGKILL (cache gone) | processes only (cache kept)
//   memcached restart|freeze|thaw|stop|start n1
//   limit n1 item_size=2000 | limit n1 memory=500   memcached -I | -m, in bytes
//   evict u0                  memcached's LRU drops u0's session item on every node
//                             holding it (counted in their evictions), nothing else
//   cut web1 n1 | heal web1 n1  partition an app node from one memcached node
//   skew web1 -180000         step web1's wall clock by ms
//   save_path web1 n1,n2      change one app node's save_path
//   save_path web1 n1,n2:drain,n3:joining   with roles (active when none is given)
//   balancer route|round-robin
//   advance 5000              let ms of simulated time pass
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/cluster.h"

namespace clustered::sim {

struct Action {
  enum class Kind {
    kRequest,
    kBurst,
    kReplay,
    kRun,
    kDrain,
    kKillApp,
    kRestartApp,
    kMemcached,
    kLimit,
    kEvict,
    kRestore,
    kForge,
    kPoison,
    kCut,
    kHeal,
    kSkew,
    kSavePath,
    kBalancer,
    kAdvance,
  };
  Kind kind = Kind::kRun;
  int user = 0;
  Op op = Op::kRead;
  std::optional<int> node;  // app node (requests, kill, restart, cut, skew, save_path)
  int count = 1;            // burst size, run steps, restore: which old cookie (1st = 1)
  std::string verb;  // memcached: restart, freeze, thaw, stop, start; limit: item_size, memory
  int memcached = 0;
  std::int64_t ms = 0;          // skew, advance; limit: bytes
  std::vector<int> list;        // save_path
  std::vector<NodeRole> roles;  // save_path: one per entry of `list` (or none: all active)
  Balancer balancer = Balancer::kRouteAware;
  Forgery forgery = Forgery::kGarbled;  // forge (user: whose key; other: the second user)
  Poison poison = Poison::kEverything;  // poison (node: whose list; user: the key a line names)
  int other = 0;

  std::string str() const;
};

struct History {
  std::uint64_t seed = 1;
  ClusterOptions options;
  int users = 1;
  std::vector<Action> actions;

  std::string str() const;
  // Reads what str() wrote (or a test's own lines); nullopt on a line it cannot read.
  static std::optional<History> parse(const std::string& text, std::string* error);
};

// Which faults a generated history may contain (swarm testing draws a mix per seed).
struct FaultMix {
  bool app_kills = true;
  bool app_restarts = true;
  bool memcached_stops = true;  // stop/start with replicas (a copy survives)
  bool memcached_freezes = true;
  bool memcached_restarts = false;  // restarted empty (a dying owner loses sessions)
  bool partitions = true;
  bool clock_skew = false;         // skewed and stepped clocks
  bool save_path_changes = false;  // adding/removing memcached nodes
  bool round_robin = false;        // parallel requests of one session on two nodes
  bool bursts = true;
  bool replays = true;
  bool logouts = true;
  // Outsiders who write to memcached (forged, copied, damaged values; poisoned
  // notice lists): off by default, so the seeds of the other mixes draw the
  // same histories as before.
  bool outsiders = false;
  // The configuration of every generated history: sealing on (one shared key) or off.
  std::optional<SealMode> seal;
};

History generate_history(std::uint64_t seed, const FaultMix& mix, int length = 120);

struct HistoryResult {
  std::vector<Violation> violations;
  std::vector<std::string> trace;
  int requests = 0;
  int acknowledged = 0;
  bool sealed = false;  // the history ran with options.seal
  bool clean() const { return violations.empty(); }
  // The first violation and the trace around it, for a failure message.
  std::string report() const;
};

// Plays the history, then heals every fault, drains, and reads every user's
// session once more (nothing acknowledged may be missing at the end).
// A history with `poison` lines is played twice: first without them, noting
// after every step how many cached sessions each app node has dropped for
// notices (takeover_notices), then as written, where any step at which a node
// has dropped more is a violation ("cache dropped by a forged notice"): the
// simulator is deterministic, so the outsider's lines are all that differs.
HistoryResult run_history(const History& history);

// Delta debugging: drops actions while `still_fails` holds; returns the shortest
// history found.
History shrink(const History& history, const std::function<bool(const HistoryResult&)>& still_fails,
               int max_runs = 400);

}  // namespace clustered::sim
