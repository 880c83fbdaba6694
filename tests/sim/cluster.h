// SPDX-License-Identifier: BSD-3-Clause
// The simulated cluster: app nodes (each with its own shared segment, handler
// processes, session locks and clock), memcached models, users with cookie jars
// behind a balancer, and the oracle that checks every request against what was
// acknowledged before it started. Driven step by step by a History (history.h)
// or by a test directly; every choice comes from one seeded SimRandom.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/shared_segment.h"
#include "seal/sealer.h"
#include "session/session_handler.h"
#include "sim/fiber.h"
#include "sim/oracle.h"
#include "sim/request_outcome.h"
#include "sim/sim_locks.h"
#include "sim/sim_random.h"
#include "support/memcached_model.h"

namespace clustered::sim {

// Time of the simulated world; each node's clock is derived from it.
struct WorldTime {
  std::int64_t wall_us = 1767225600LL * 1000000;  // 2026-01-01T00:00:00Z
  std::int64_t mono_ms = 1000;
  void advance_ms(std::int64_t ms) {
    wall_us += ms * 1000;
    mono_ms += ms;
  }
};

// An app node's clocks: the world's, with a wall-clock skew that faults set and step.
class NodeClock final : public Clock {
 public:
  explicit NodeClock(const WorldTime& world) : world_(world) {}
  std::int64_t wall_us() const override { return world_.wall_us + skew_us; }
  std::int64_t monotonic_ms() const override { return world_.mono_ms + monotonic_base_ms; }
  std::int64_t skew_us = 0;
  std::int64_t monotonic_base_ms = 0;

 private:
  const WorldTime& world_;
};

enum class Op { kRead, kIncrement, kLogout, kRegenerate };
const char* op_name(Op op);

enum class Balancer { kRouteAware, kRoundRobin };

struct ClusterOptions {
  int app_nodes = 2;
  int processes_per_node = 3;
  int memcached_nodes = 2;
  std::size_t cache_size = 1 << 20;
  unsigned replicas = 0;
  std::int64_t takeover_check_interval_s = 1;
  std::int64_t io_timeout_ms = 250;
  std::int64_t lock_timeout_ms = 30000;
  testing::MemcachedModel::Limits limits;
  Balancer balancer = Balancer::kRouteAware;
  std::int64_t gc_maxlifetime_s = 1440;
  // 0: one lock per session, as the real LockTable; N: the sessions share N
  // stripes (a model of the striped table the lock table replaced).
  std::size_t lock_stripes = 0;
  // The route each app node writes into its IDs (empty: web1, web2, ...);
  // histories still name the nodes web1, web2, ...
  std::vector<std::string> routes;
  // Every app node seals what it stores with one shared key (clustered_session.
  // secret_file, accept_unsealed = 0); none: plain values, as without a secret_file.
  std::optional<SealMode> seal;
  // Each app node's idle check (ext/idle_check.h) runs once per check interval
  // while time passes between requests, as the thread of a PHP process does
  // ("options ... idle_checks=on"; CLUSTER_SIM_IDLE_CHECKS=1 for every history).
  // Off by default until a check leaves a change alone while its own request
  // still writes it (docs/design.md, "Known gaps": the settle time).
  bool idle_checks = std::getenv("CLUSTER_SIM_IDLE_CHECKS") != nullptr;
};

// What an outsider (anyone who can reach memcached: it has no auth) writes
// under a user's session key (docs/design.md, "Sealed values"), all with a version
// above the stored one:
enum class Forgery {
  kGarbled,      // a plain value "forged by an outsider" (on the store node)
  kValue,        // a plain value that reads as the user's session, with a count nobody wrote
  kForward,      // a plain forward to another user's session ID
  kCopy,         // the bytes stored under another user's session key, copied (sealed or not)
  kCopyForward,  // the bytes under another user's last old ID (a forward to its session)
  kTruncate,     // the stored value without its last byte
  kFlip,         // the stored value with one bit flipped
};
const char* forgery_name(Forgery forgery);
// What an outsider appends to an app node's takeover notice list.
enum class Poison {
  kEverything,  // "*\n": distrust every cached copy
  kLine,        // a plain line naming a user's session key
};
const char* poison_name(Poison poison);

class Cluster {
 public:
  Cluster(std::uint64_t seed, ClusterOptions options);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // ---- users and requests
  int add_user();
  // Starts a request of `user` with the jar's cookie (or `cookie`, a replay that
  // does not share the jar); `node` forces the app node, else the balancer picks.
  int start_request(int user, Op op, std::optional<int> node = std::nullopt,
                    std::optional<std::string> replay_cookie = std::nullopt);
  // Runs one step of one runnable request (chosen by the PRNG, or `request`).
  // False when nothing can run.
  bool step(std::optional<int> request = std::nullopt);
  // Runs until every request has ended.
  void run_until_idle();
  // Starts a request and runs it alone to its end; returns its outcome.
  const RequestOutcome& request(int user, Op op, std::optional<int> node = std::nullopt);
  bool idle() const;
  // Requests of `user` not ended yet (all, or only logouts and regenerations).
  int in_flight(int user, bool exclusive_only = false) const;

  // ---- faults
  void kill_app_node(int node);      // SIGKILL of everything: segment and cache gone
  void restart_app_node(int node);   // processes die, segment (cache) kept; or start a dead node
  void restart_memcached(int node);  // empty, new pid
  // memcached's LRU drops the item under `user`'s session key on every node.
  void evict(int user);
  void freeze_memcached(int node);  // every call times out after io_timeout
  void thaw_memcached(int node);
  void stop_memcached(int node);   // connection refused
  void start_memcached(int node);  // empty
  void partition(int app, int memcached, bool cut);
  void skew_clock(int node, std::int64_t ms);  // wall clock steps by ms (either way)
  // Replaces an app node's save_path (indices into the memcached models), with
  // the role of each (none: all active).
  void set_save_path(int node, std::vector<int> memcached_nodes, std::vector<NodeRole> roles = {});
  void set_item_size_max(int memcached, std::size_t bytes);  // memcached -I
  void set_memory_limit(int memcached, std::size_t bytes);   // memcached -m (evicts)
  // The user's browser sends its `index`-th old cookie again.
  void restore_cookie(int user, std::size_t index);
  // Someone who can reach memcached writes a value of their own, with a newer
  // version, under the key of the user's session on its store node.
  void forge_value(int user);
  // The other outsider values (Forgery): on every memcached node that holds the
  // user's key (and its store node). `other`: the user whose session a forward
  // points to or whose bytes are copied; `byte`: which byte kFlip changes (mod size).
  void forge(int user, Forgery what, int other = 0, std::size_t byte = 0);
  // Appends to clustered_session.moved:<route of `node`> on every running
  // memcached node that has the list, and makes the list (a plain head, then the
  // line) where there is none; kLine names `user`'s current session key. False
  // when nothing was written.
  bool poison_notices(int node, Poison what, int user = 0);
  void set_balancer(Balancer balancer) { options_.balancer = balancer; }
  // Every fault ends: dead app nodes start (empty), memcached nodes start or
  // thaw, partitions heal, clocks are right again, save_paths agree.
  void heal_everything();
  // Any fault in force now (a node down, frozen, cut off, skewed, a differing save_path).
  bool faults_active() const;
  void advance_ms(std::int64_t ms);
  // Called after every step (a hook of a request ran, or time ran to a lock deadline).
  std::function<void()> after_step;
  // What the last step ran (the request's number; -1: time ran to a lock
  // deadline), and how many store calls the app nodes have made: two plays of
  // one history part where these differ.
  int last_stepped() const { return last_stepped_; }
  std::uint64_t store_calls() const { return store_calls_; }

  // ---- inspection
  WorldTime& time() { return world_; }
  SimRandom& random() { return random_; }
  testing::MemcachedModel& memcached(int node) { return *memcached_[node]; }
  const Counters& counters(int node) const;
  SharedSegment& segment(int node);          // an app node's shared segment (it must be up)
  std::int64_t wall_s(int node) const;       // an app node's own wall clock
  std::int64_t monotonic_s(int node) const;  // and its monotonic one
  Oracle& oracle() { return oracle_; }
  const std::vector<std::string>& trace() const { return trace_; }
  const std::string& route(int node) const;
  bool app_up(int node) const;
  int app_node_count() const { return static_cast<int>(apps_.size()); }
  int memcached_count() const { return static_cast<int>(memcached_.size()); }
  const RequestOutcome& outcome(int request) const;
  int request_count() const { return static_cast<int>(requests_.size()); }
  int acknowledged_count() const;
  void note(std::string line);  // adds a line to the trace

 private:
  struct AppNode;
  struct Request;
  class Link;
  // A request may only fail when a fault was in force during it, or shortly
  // before it (a node marked down stays skipped for retry_interval).
  static constexpr std::int64_t kSettleMs = 5000;

  void boot(AppNode& app);
  // The app node's save_path as the handler is given it.
  std::vector<NodeAddress> listed_nodes(const AppNode& app) const;
  void make_processes(AppNode& app);
  void kill_processes(int node);
  void fault(const std::string& what);
  // After a fault that destroys copies: tells the oracle, per user, the newest
  // count of the current epoch that still exists anywhere.
  void account_for_lost_copies();
  int surviving_count(int user, const Oracle::HeldSession& held) const;
  std::string copies_held(int node) const;
  int pick_node(const std::string& cookie);
  void note_overlapping_move(const Request& request);
  bool waited_on_a_slow_request(const Request& request) const;
  bool failed_fast_during_a_probe(const Request& request) const;
  bool refused_beside_a_parallel_writer(const Request& request) const;
  bool refused_after_an_outsider(const Request& request) const;
  bool runnable(const Request& request) const;
  // A stored value as the store trace shows it: sealed bytes differ from run to
  // run (random nonces), so they are shown opened, never as bytes.
  std::string shown_value(std::string_view key, const std::string& bytes) const;
  void run_request(Request& request);
  // process_index: one of the node's processes, or their count for its idle check.
  void make_handler(int app_index, int process_index);
  void run_idle_checks();
  void finish(Request& request);

  ClusterOptions options_;
  WorldTime world_;
  SimRandom random_;
  SimEntropy entropy_;
  std::shared_ptr<const Sealer> sealer_;
  std::unique_ptr<Clock> memcached_clock_;
  std::vector<std::unique_ptr<testing::MemcachedModel>> memcached_;
  enum class McState { kUp, kStopped, kFrozen };
  std::vector<McState> memcached_state_;
  std::vector<std::unique_ptr<AppNode>> apps_;
  std::vector<std::unique_ptr<Request>> requests_;
  Oracle oracle_;
  bool trace_store_ = false;
  bool in_idle_check_ = false;
  int running_ = -1;  // the request whose fiber runs now
  int last_stepped_ = -1;
  std::uint64_t store_calls_ = 0;
  std::vector<std::string> trace_;
  int next_round_robin_ = 0;
  std::uint64_t faults_ = 0;
  std::int64_t fault_free_since_ms_ = 0;
};

}  // namespace clustered::sim
