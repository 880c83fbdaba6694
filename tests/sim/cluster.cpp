// SPDX-License-Identifier: BSD-3-Clause
#include "sim/cluster.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "codec/value_header.h"
#include "session/departed_nodes.h"
#include "session/takeover_notices.h"
#include "shm/session_cache.h"
#include "sim/sim_pause.h"

namespace clustered::sim {

const char* op_name(Op op) {
  switch (op) {
    case Op::kRead:
      return "read";
    case Op::kIncrement:
      return "increment";
    case Op::kLogout:
      return "logout";
    case Op::kRegenerate:
      return "regenerate";
  }
  return "?";
}

const char* forgery_name(Forgery forgery) {
  switch (forgery) {
    case Forgery::kGarbled:
      return "garbled";
    case Forgery::kValue:
      return "value";
    case Forgery::kForward:
      return "forward";
    case Forgery::kCopy:
      return "copy";
    case Forgery::kCopyForward:
      return "copy-forward";
    case Forgery::kTruncate:
      return "truncate";
    case Forgery::kFlip:
      return "flip";
  }
  return "?";
}

const char* poison_name(Poison poison) { return poison == Poison::kEverything ? "star" : "line"; }

namespace {

// The one key of the simulated cluster's clustered_session.secret_file.
constexpr const char* kSimSecret = "the-simulated-cluster-shares-this-secret-0123456789";

// The memcached servers' own clock: the world's true time.
class WorldClock final : public Clock {
 public:
  explicit WorldClock(const WorldTime& world) : world_(world) {}
  std::int64_t wall_us() const override { return world_.wall_us; }
  std::int64_t monotonic_ms() const override { return world_.mono_ms; }

 private:
  const WorldTime& world_;
};

// How far a step moves the world on: the time a hook (or the app's own work) takes.
constexpr std::int64_t kMaxStepMs = 30;

}  // namespace

struct Cluster::AppNode {
  AppNode(const WorldTime& world, std::string route_name)
      : route(std::move(route_name)), clock(world) {}

  struct Process {
    std::unique_ptr<SimLocks> locks;
    std::unique_ptr<SimPause> pause;
    std::unique_ptr<SessionHandler> handler;
    int generation = 0;  // of the node's configuration it was made with
    bool busy = false;
  };

  std::string route;
  bool up = true;
  SharedSegment* segment = nullptr;
  NodeClock clock;
  std::unique_ptr<SimLockTable> locks;
  std::vector<Process> processes;
  Process idle_checker;  // the idle check's own handler (ext/idle_check.h)
  std::int64_t next_idle_check_ms = 0;
  std::vector<int> save_path;   // indices of the memcached models, in save_path order
  std::vector<NodeRole> roles;  // of each save_path entry
  std::vector<bool> partitioned;
  int generation = 0;
};

struct Cluster::Request {
  RequestOutcome outcome;
  Op op = Op::kRead;
  bool replay = false;
  int process = -1;
  std::uint64_t faults_at_start = 0;
  bool clean_start = false;
  Oracle::Snapshot start;
  std::int64_t started_ms = 0;
  std::int64_t finished_ms = -1;  // -1 while running
  bool moved = false;             // ended with another ID for the same session
  std::unique_ptr<Fiber> fiber;
};

// The network between one app process and one memcached node: every call is a
// point where the simulator may run another request first, and a partition
// makes it time out.
class Cluster::Link final : public StoreNode {
 public:
  Link(Cluster& cluster, int app, int memcached, NodeRole role, bool departed = false)
      : cluster_(cluster),
        app_(app),
        memcached_(memcached),
        client_(cluster.memcached_[memcached]->client(cluster.apps_[app]->clock)),
        address_(client_->address()) {
    address_.role = role;
    address_.departed = departed;
  }

  const NodeAddress& address() const override { return address_; }
  bool compared_by_a_check(std::string_view key) const {
    const auto& process =
        cluster_.apps_[app_]->processes[cluster_.requests_[cluster_.running_]->process];
    return process.handler != nullptr && process.handler->key_being_compared() == key;
  }
  StoreReply get(std::string_view key) override {
    // A request reads only its own session's keys (its ID, the forwards it
    // follows): one of another user's sessions means it was led there.
    // A takeover check compares what its node holds with memcached (LostCopies):
    // that read is of a session no request asked for, not one it is led to.
    if (key.rfind("sess.", 0) == 0 && cluster_.running_ >= 0 && !compared_by_a_check(key)) {
      const RequestOutcome& out = cluster_.requests_[cluster_.running_]->outcome;
      cluster_.oracle_.on_session_id(out.user, std::string(key.substr(5)),
                                     "r" + std::to_string(out.request) + "@" +
                                         cluster_.apps_[app_]->route + " (get " + std::string(key) +
                                         ")");
    }
    return call("get", key, [&] { return client_->get(key); });
  }
  StoreReply set(std::string_view key, std::string_view value, std::uint32_t ttl) override {
    return call("set", key, [&] { return client_->set(key, value, ttl); });
  }
  StoreReply add(std::string_view key, std::string_view value, std::uint32_t ttl) override {
    return call("add", key, [&] { return client_->add(key, value, ttl); });
  }
  StoreReply cas(std::string_view key, std::string_view value, std::uint32_t ttl,
                 std::uint64_t token) override {
    return call("cas", key, [&] { return client_->cas(key, value, ttl, token); });
  }
  StoreReply set_checked(std::string_view key, std::string_view value, std::uint32_t ttl,
                         std::uint64_t expected_cas) override {
    return call(expected_cas == 0 ? "set" : "cas", key,
                [&] { return client_->set_checked(key, value, ttl, expected_cas); });
  }
  StoreReply add_checked(std::string_view key, std::string_view value, std::uint32_t ttl) override {
    return call("add", key, [&] { return client_->add_checked(key, value, ttl); });
  }
  StoreReply append(std::string_view key, std::string_view value) override {
    return call("append", key, [&] { return client_->append(key, value); });
  }
  StoreReply touch(std::string_view key, std::uint32_t ttl) override {
    return call("touch", key, [&] { return client_->touch(key, ttl); });
  }
  StoreReply remove(std::string_view key) override {
    return call("remove", key, [&] { return client_->remove(key); });
  }
  StoreReply stats(ServerStats& out) override {
    return call("stats", {}, [&] { return client_->stats(out); });
  }
  StoreReply ping() override {
    return call("ping", {}, [&] { return client_->ping(); });
  }
  std::optional<bool> cas_supported() const override { return client_->cas_supported(); }
  std::uint64_t connections() const override { return client_->connections(); }
  std::optional<ServerStats> identity() const override { return client_->identity(); }
  std::optional<Failure> refuses_size(std::string_view key, std::size_t size) const override {
    return client_->refuses_size(key, size);
  }

 private:
  template <class Call>
  StoreReply call(const char* verb, std::string_view key, Call store_call) {
    Fiber::yield();
    ++cluster_.store_calls_;
    StoreReply reply;
    if (cluster_.apps_[app_]->partitioned[memcached_]) {
      cluster_.advance_ms(cluster_.options_.io_timeout_ms);
      reply = Failure::of(Cause::kTimeout, "timed out (partitioned from this app node)");
    } else {
      reply = store_call();
    }
    // CLUSTER_SIM_STORE_TRACE=1: every store call in the trace (for debugging).
    if (cluster_.trace_store_) {
      cluster_.note("  r" + std::to_string(cluster_.running_) + "@" + cluster_.apps_[app_]->route +
                    " -> " + address().id + " " + verb + " " + std::string(key) + ": " +
                    (reply.ok() ? std::string("ok")
                                : std::string(describe(reply.cause())) + " " + reply.error()) +
                    (!reply.ok() || !reply->value
                         ? std::string()
                         : " " + cluster_.shown_value(key, *reply->value)));
    }
    return reply;
  }

  Cluster& cluster_;
  int app_;
  int memcached_;
  std::unique_ptr<StoreNode> client_;
  NodeAddress address_;  // the model's, with this app node's role for it
};

Cluster::Cluster(std::uint64_t seed, ClusterOptions options)
    : options_(options),
      random_(seed),
      entropy_(seed),
      memcached_clock_(std::make_unique<WorldClock>(world_)),
      // A takeover check is due each interval, in whole seconds, so an old owner
      // may answer an old cookie for up to two intervals and a step after a move.
      oracle_(2 * options.takeover_check_interval_s * 1000 + 1000),
      trace_store_(std::getenv("CLUSTER_SIM_STORE_TRACE") != nullptr) {
  if (options_.seal) {
    auto sealer = Sealer::with_secrets({kSimSecret}, *options_.seal, false);
    if (!sealer) {
      std::fprintf(stderr, "simulator: %s\n", sealer.error().c_str());
      std::abort();
    }
    sealer_ = *sealer;
  }
  for (int i = 0; i < options_.memcached_nodes; ++i) {
    NodeAddress address;
    address.id = "n" + std::to_string(i + 1);
    address.host = "model";
    address.port = static_cast<std::uint16_t>(11211 + i);
    memcached_.push_back(
        std::make_unique<testing::MemcachedModel>(address, *memcached_clock_, options_.limits));
    memcached_.back()->on_timeout = [this] { advance_ms(options_.io_timeout_ms); };
  }
  memcached_state_.assign(memcached_.size(), McState::kUp);
  for (int i = 0; i < options_.app_nodes; ++i) {
    const auto named = static_cast<std::size_t>(i);
    apps_.push_back(std::make_unique<AppNode>(world_, named < options_.routes.size()
                                                          ? options_.routes[named]
                                                          : "web" + std::to_string(i + 1)));
    AppNode& app = *apps_.back();
    app.clock.monotonic_base_ms = 1000000 * (i + 1);  // each machine counts from its own boot
    for (int m = 0; m < options_.memcached_nodes; ++m) app.save_path.push_back(m);
    app.roles.assign(app.save_path.size(), NodeRole::kActive);
    app.partitioned.assign(options_.memcached_nodes, false);
    boot(app);
  }
}

Cluster::~Cluster() {
  for (auto& request : requests_) {
    if (request->fiber) request->fiber->kill();
  }
  for (auto& app : apps_) {
    app->processes.clear();
    app->idle_checker = {};
    SharedSegment::release(app->segment, false);
  }
}

void Cluster::boot(AppNode& app) {
  auto segment = SharedSegment::create_or_reattach(options_.cache_size,
                                                   SharedSegment::layout_version(), app.clock);
  if (!segment) {
    std::fprintf(stderr, "simulator: %s\n", segment.error().c_str());
    std::abort();
  }
  app.segment = *segment;
  // MINIT notes php.ini's save_path (ext/handler_registry.cpp): the one the node
  // starts with, so a later change drops nodes (session/departed_nodes.h).
  (void)with_departed_nodes(listed_nodes(app), app.segment, app.clock.monotonic_ms() / 1000, 0);
  app.locks = std::make_unique<SimLockTable>();
  app.up = true;
  make_processes(app);
}

std::vector<NodeAddress> Cluster::listed_nodes(const AppNode& app) const {
  std::vector<NodeAddress> listed;
  for (std::size_t i = 0; i < app.save_path.size(); ++i) {
    listed.push_back(memcached_[app.save_path[i]]->address());
    listed.back().role = app.roles[i];
  }
  return listed;
}

void Cluster::make_processes(AppNode& app) {
  app.processes.clear();
  app.processes.resize(static_cast<std::size_t>(options_.processes_per_node));
  for (std::size_t p = 0; p < app.processes.size(); ++p) {
    app.processes[p].generation = -1;  // made on first use
  }
}

void Cluster::kill_processes(int index) {
  AppNode& app = *apps_[index];
  for (auto& request : requests_) {
    if (request->outcome.done || request->outcome.node != index) continue;
    if (request->process >= 0) app.locks->release_all(request->process);
    request->fiber->kill();
    request->outcome.done = true;
    request->outcome.killed = true;
    request->outcome.error = "killed with its app node";
    // PHP ends the old ID first (session_destroy(), session_regenerate_id(true))
    // and writes the new one at the end: killed in between, the session is gone
    // with the response that would have carried the new cookie. The old ID must
    // not open it again (that is what the login ended it for).
    const bool ending = request->op == Op::kLogout || request->op == Op::kRegenerate;
    if (ending) {
      oracle_.on_failure(request->outcome.user, true, request->outcome.error, true,
                         "r" + std::to_string(request->outcome.request));
    }
  }
  app.processes.clear();
  app.locks = std::make_unique<SimLockTable>();
  make_processes(app);
}

void Cluster::heal_everything() {
  note("heal everything");
  for (int i = 0; i < app_node_count(); ++i) {
    AppNode& app = *apps_[i];
    if (!app.up) boot(app);
    app.clock.skew_us = 0;
    app.partitioned.assign(memcached_.size(), false);
    std::vector<int> all;
    for (int m = 0; m < memcached_count(); ++m) all.push_back(m);
    const std::vector<NodeRole> active(all.size(), NodeRole::kActive);
    if (app.save_path != all || app.roles != active) {
      app.save_path = all;
      app.roles = active;
      ++app.generation;
    }
  }
  for (int m = 0; m < memcached_count(); ++m) {
    if (memcached_state_[m] == McState::kFrozen) memcached_[m]->thaw();
    if (memcached_state_[m] == McState::kStopped) {
      note("heal: memcached " + memcached_[m]->address().id + " started (empty)");
      memcached_[m]->start();
    }
    memcached_state_[m] = McState::kUp;
    memcached_[m]->set_item_size_max(options_.limits.item_size_max);
    memcached_[m]->set_memory_limit(options_.limits.memory_limit);
  }
  ++faults_;
  fault_free_since_ms_ = LLONG_MAX;
}

int Cluster::acknowledged_count() const {
  return static_cast<int>(std::count_if(requests_.begin(), requests_.end(),
                                        [](const auto& r) { return r->outcome.ok; }));
}

int Cluster::add_user() { return oracle_.add_user(); }

const std::string& Cluster::route(int node) const { return apps_[node]->route; }
bool Cluster::app_up(int node) const { return apps_[node]->up; }
const Counters& Cluster::counters(int node) const { return apps_[node]->segment->counters(); }
SharedSegment& Cluster::segment(int node) { return *apps_[node]->segment; }
std::int64_t Cluster::wall_s(int node) const { return apps_[node]->clock.wall_s(); }
std::int64_t Cluster::monotonic_s(int node) const {
  return apps_[node]->clock.monotonic_ms() / 1000;
}
const RequestOutcome& Cluster::outcome(int request) const { return requests_[request]->outcome; }

void Cluster::note(std::string line) {
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%8.3f ", static_cast<double>(world_.mono_ms - 1000) / 1000);
  trace_.push_back(stamp + line);
}

void Cluster::advance_ms(std::int64_t ms) {
  // Between requests (no request's fiber runs), time passes one check interval
  // at a time, and each app node's idle check runs in between.
  const std::int64_t interval_ms = options_.takeover_check_interval_s * 1000;
  const bool idle_checks =
      options_.idle_checks && interval_ms > 0 && !in_idle_check_ && Fiber::current() == nullptr;
  do {
    const std::int64_t passing = idle_checks ? std::min(ms, interval_ms) : ms;
    world_.advance_ms(passing);
    for (auto& app : apps_) {
      if (app->locks) app->locks->expire(world_.mono_ms);
    }
    ms -= passing;
    if (idle_checks) run_idle_checks();
  } while (ms > 0);
}

void Cluster::run_idle_checks() {
  in_idle_check_ = true;
  for (std::size_t a = 0; a < apps_.size(); ++a) {
    AppNode& app = *apps_[a];
    if (!app.up || world_.mono_ms < app.next_idle_check_ms) continue;
    app.next_idle_check_ms = world_.mono_ms + options_.takeover_check_interval_s * 1000;
    AppNode::Process& checker = app.idle_checker;
    if (!checker.handler || checker.generation != app.generation) {
      make_handler(static_cast<int>(a), static_cast<int>(app.processes.size()));
    }
    if (checker.handler->check_if_due()) {
      for (const std::string& line : checker.handler->take_handled()) {
        note(app.route + " idle check: " + line);
      }
    }
  }
  in_idle_check_ = false;
}

bool Cluster::faults_active() const {
  for (const auto& app : apps_) {
    if (!app->up || app->clock.skew_us != 0) return true;
    for (bool cut : app->partitioned) {
      if (cut) return true;
    }
    if (app->save_path != apps_.front()->save_path) return true;
    if (app->roles != apps_.front()->roles) return true;
  }
  return std::any_of(memcached_state_.begin(), memcached_state_.end(),
                     [](McState state) { return state != McState::kUp; });
}

void Cluster::fault(const std::string& what) {
  ++faults_;
  fault_free_since_ms_ = LLONG_MAX;
  note("FAULT " + what);
}

// Where a user's session can still be found after a fault: memcached items
// (a stopped node holds none), the caches of app nodes that are up, and what a
// request still running has read (its process writes it back). A count no copy
// holds is gone for any protocol; the oracle stops expecting it (two faults at
// once, docs/design.md, section 8). Copies the handler itself destroyed are not
// excused: only faults call this. Each session of the user is searched under
// its own IDs (parallel requests without a cookie make several).
int Cluster::surviving_count(int user, const Oracle::HeldSession& held) const {
  int best = 0;
  const auto consider = [&](const std::string& data) {
    bool garbled = false;
    const auto value = decode_session(data, &garbled);
    if (value && value->epoch == held.epoch) best = std::max(best, value->count);
  };
  const ValueCodec codec(sealer_);
  for (const std::string& id : oracle_.ids_of(user, held.session)) {
    const std::string key = "sess." + id;
    for (const auto& model : memcached_) {
      const auto bytes = model->peek(key);
      if (!bytes) continue;
      const auto opened = codec.decode(key, *bytes);
      if (opened && !opened->forward) consider(opened->payload);
    }
    for (const auto& app : apps_) {
      if (!app->up || app->segment == nullptr || app->segment->cache() == nullptr) continue;
      const auto cached = app->segment->cache()->get(key, app->clock.wall_s());
      if (cached && !cached->forward && !cached->deleted) consider(cached->data);
    }
  }
  for (const auto& request : requests_) {
    if (request->outcome.user == user && !request->outcome.done &&
        request->start.session == held.session) {
      consider(request->outcome.read);
    }
  }
  return best;
}

// Whose session copies (current epoch, forwards and tombstones are none) a
// memcached node holds as it restarts or stops: " (it held u0 epoch 0 count 3,
// ...)" for the FAULT line, so that a loss can be told from one of a session
// the node never held, or held only before the count was acknowledged
// (known_issues.cpp).
std::string Cluster::copies_held(int node) const {
  const ValueCodec codec(sealer_);
  std::string held;
  for (int user = 0; user < oracle_.users(); ++user) {
    // Each session of the user (parallel requests without a cookie make several).
    for (const Oracle::HeldSession& session : oracle_.held_sessions(user)) {
      int best = -1;
      for (const std::string& id : oracle_.ids_of(user, session.session)) {
        const std::string key = "sess." + id;
        const auto bytes = memcached_[node]->peek(key);
        if (!bytes) continue;
        const auto opened = codec.decode(key, *bytes);
        if (!opened || opened->forward) continue;
        bool garbled = false;
        const auto value = decode_session(opened->payload, &garbled);
        if (value && value->epoch == session.epoch) best = std::max(best, value->count);
      }
      if (best < 0) continue;
      held += (held.empty() ? " (it held u" : ", u") + std::to_string(user) + " epoch " +
              std::to_string(session.epoch) + " count " + std::to_string(best);
    }
  }
  return held.empty() ? held : held + ")";
}

void Cluster::account_for_lost_copies() {
  for (int user = 0; user < oracle_.users(); ++user) {
    for (const Oracle::HeldSession& held : oracle_.held_sessions(user)) {
      const int surviving = surviving_count(user, held);
      if (surviving >= held.acked_count) continue;
      note("every copy of u" + std::to_string(user) + "'s count " +
           std::to_string(held.acked_count) + " is gone: the most that survives is " +
           std::to_string(surviving));
      oracle_.on_copies_lost(user, held.session, surviving);
    }
  }
}

void Cluster::kill_app_node(int node) {
  AppNode& app = *apps_[node];
  fault("kill app node " + app.route);
  oracle_.on_node_killed(node);
  kill_processes(node);
  app.processes.clear();
  app.idle_checker = {};
  SharedSegment::release(app.segment, false);
  app.segment = nullptr;
  app.up = false;
  account_for_lost_copies();
}

void Cluster::restart_app_node(int node) {
  AppNode& app = *apps_[node];
  fault("restart app node " + app.route + (app.up ? " (cache kept)" : " (empty)"));
  if (!app.up) {
    boot(app);
    return;
  }
  kill_processes(node);
  app.idle_checker = {};  // it dies with the processes
  account_for_lost_copies();
}

void Cluster::restart_memcached(int node) {
  fault("memcached " + memcached_[node]->address().id + " restarted empty" + copies_held(node));
  memcached_[node]->restart();
  memcached_state_[node] = McState::kUp;
  account_for_lost_copies();
}
void Cluster::evict(int user) {
  const std::string& cookie = oracle_.cookie(user);
  if (cookie.empty()) return;
  // Single items: an owner sees no reply fail, only the nodes' eviction counts grow.
  for (auto& node : memcached_) {
    if (node->evict("sess." + cookie)) {
      note("memcached " + node->address().id + " evicted u" + std::to_string(user) + "'s session " +
           cookie);
    }
  }
  account_for_lost_copies();
}
void Cluster::freeze_memcached(int node) {
  fault("memcached " + memcached_[node]->address().id + " frozen");
  memcached_[node]->freeze();
  memcached_state_[node] = McState::kFrozen;
}
void Cluster::thaw_memcached(int node) {
  fault("memcached " + memcached_[node]->address().id + " thawed");
  memcached_[node]->thaw();
  memcached_state_[node] = McState::kUp;
}
void Cluster::stop_memcached(int node) {
  fault("memcached " + memcached_[node]->address().id + " stopped" + copies_held(node));
  memcached_[node]->stop();
  memcached_state_[node] = McState::kStopped;
  account_for_lost_copies();
}
void Cluster::start_memcached(int node) {
  // Starting a process that runs (up, or frozen) changes nothing, like
  // `systemctl start` of a running service: a frozen node stays frozen.
  if (memcached_state_[node] != McState::kStopped) {
    note("memcached " + memcached_[node]->address().id + " start: already running");
    return;
  }
  fault("memcached " + memcached_[node]->address().id + " started (empty)");
  memcached_[node]->start();
  memcached_state_[node] = McState::kUp;
}

void Cluster::partition(int app, int memcached, bool cut) {
  fault(apps_[app]->route + (cut ? " cut off from " : " reconnected to ") +
        memcached_[memcached]->address().id);
  apps_[app]->partitioned[memcached] = cut;
}

void Cluster::skew_clock(int node, std::int64_t ms) {
  fault("clock of " + apps_[node]->route + " steps " + std::to_string(ms) + " ms");
  apps_[node]->clock.skew_us += ms * 1000;
}

void Cluster::set_item_size_max(int memcached, std::size_t bytes) {
  fault("memcached " + memcached_[memcached]->address().id + " item size limit " +
        std::to_string(bytes) + " bytes");
  memcached_[memcached]->set_item_size_max(bytes);
}

void Cluster::set_memory_limit(int memcached, std::size_t bytes) {
  fault("memcached " + memcached_[memcached]->address().id + " memory limit " +
        std::to_string(bytes) + " bytes");
  memcached_[memcached]->set_memory_limit(bytes);
}

void Cluster::restore_cookie(int user, std::size_t index) {
  if (oracle_.restore_cookie(user, index)) {
    note("u" + std::to_string(user) + " sends its old cookie " + oracle_.cookie(user) + " again");
  }
}

void Cluster::forge_value(int user) {
  const std::string& id = oracle_.cookie(user);
  const auto parsed = parse_session_id(id);
  if (!parsed) return;
  for (auto& model : memcached_) {
    if (model->address().id != parsed->store) continue;
    const std::string key = "sess." + id;
    std::uint64_t version = 1U << 30;
    if (const auto stored = model->peek(key)) {
      if (const auto decoded = decode_value(*stored)) version = decoded->version + 1000000;
    }
    model->poke(key, encode_value(version, "forged by an outsider"), 3600);
    note("FORGED a value under " + key + " on " + parsed->store);
    // A replica may still hold the session (sealed, a read finds it there:
    // ClusterSimFlows.SealedForgedStoreCopyLeavesTheReplica), but the node that
    // reads may not reach it: to the oracle the session may be gone.
    oracle_.on_outsider_wrote(user);
  }
}

void Cluster::forge(int user, Forgery what, int other, std::size_t byte) {
  if (what == Forgery::kGarbled) {
    forge_value(user);
    return;
  }
  const std::string& id = oracle_.cookie(user);
  const auto parsed = parse_session_id(id);
  const std::string what_name = std::string("forge ") + forgery_name(what);
  // Only a forgery that wrote something is noted in capitals (known_issues.cpp looks for it).
  const std::string nothing = "outsider's " + what_name + " wrote nothing: ";
  if (!parsed) {
    note(nothing + "u" + std::to_string(user) + " has no session");
    return;
  }
  const std::string key = "sess." + id;
  // What the outsider copies: the bytes under another session's key, on its store node.
  std::optional<std::string> copied;
  std::string source;
  if (what == Forgery::kCopy || what == Forgery::kCopyForward) {
    const auto& old = oracle_.old_cookies(other);
    source = what == Forgery::kCopy ? oracle_.cookie(other) : old.empty() ? "" : old.back();
    if (const auto from = parse_session_id(source)) {
      for (auto& model : memcached_) {
        if (model->address().id == from->store) copied = model->peek("sess." + source);
      }
    }
    if (!copied) {
      note(nothing + "nothing stored under u" + std::to_string(other) + "'s " +
           (source.empty() ? std::string("ID") : source));
      return;
    }
  }
  const std::string& target = oracle_.cookie(other);
  if (what == Forgery::kForward && target.empty()) {
    note(nothing + "u" + std::to_string(other) + " has no session to point to");
    return;
  }
  std::string where;
  for (auto& model : memcached_) {
    const auto stored = model->peek(key);
    if (!stored && model->address().id != parsed->store) continue;
    std::uint64_t version = 1U << 30;
    if (stored) {
      if (const auto decoded = decode_value(*stored)) version = decoded->version + 1000000;
    }
    std::string bytes;
    switch (what) {
      case Forgery::kGarbled:
        break;
      case Forgery::kValue:
        bytes = encode_value(version, encode_session({oracle_.snapshot(user).epoch, 1000000}));
        break;
      case Forgery::kForward:
        bytes = encode_value(version, target, kValueFlagForward);
        break;
      case Forgery::kCopy:
      case Forgery::kCopyForward:
        bytes = *copied;
        break;
      case Forgery::kTruncate:
        if (!stored || stored->empty()) continue;
        bytes = stored->substr(0, stored->size() - 1);
        break;
      case Forgery::kFlip:
        if (!stored || stored->empty()) continue;
        bytes = *stored;
        bytes[byte % bytes.size()] = static_cast<char>(bytes[byte % bytes.size()] ^ 1);
        break;
    }
    const auto ttl = model->ttl_left(key);
    model->poke(key, bytes, ttl && *ttl > 0 ? static_cast<std::uint32_t>(*ttl) : 3600);
    where += (where.empty() ? "" : ",") + model->address().id;
  }
  if (where.empty()) {
    note(nothing + "nothing stored under " + key);
    return;
  }
  note("OUTSIDER " + what_name + " under " + key + " on " + where +
       (what == Forgery::kForward ? " (to u" + std::to_string(other) + "'s " + target + ")"
        : copied                 ? " (the bytes of u" + std::to_string(other) + "'s " + source + ")"
        : what == Forgery::kFlip ? " (byte " + std::to_string(byte) + ")"
                                 : std::string()));
  oracle_.on_outsider_wrote(user);
}

bool Cluster::poison_notices(int node, Poison what, int user) {
  const std::string key = notice_key(apps_[node]->route);
  const std::string what_name = std::string("poison ") + poison_name(what);
  const std::string nothing = "outsider's " + what_name + " wrote nothing: ";
  std::string line(kNoticeEverything);
  if (what == Poison::kLine) {
    const std::string& id = oracle_.cookie(user);
    if (id.empty()) {
      note(nothing + "u" + std::to_string(user) + " has no session to name");
      return false;
    }
    line = notice_line(SessionCache::hash_of("sess." + id));
  }
  std::string where;
  std::string created;
  for (auto& model : memcached_) {
    if (!model->running()) continue;
    if (const auto list = model->peek(key)) {
      const auto ttl = model->ttl_left(key);
      model->poke(key, *list + line, ttl ? static_cast<std::uint32_t>(*ttl) : 0);
      where += (where.empty() ? "" : ",") + model->address().id;
    } else {
      // No list (no takeover of this route lately): the outsider makes one, with
      // a plain head of its own, as a node that starts a list would.
      model->poke(key, notice_list_head(0x0dd0dd0dd0dd0dd0ULL) + line, kNoticeTtlSeconds);
      created += (created.empty() ? "" : ",") + model->address().id;
    }
  }
  if (where.empty() && created.empty()) {
    note(nothing + "no memcached node is running");
    return false;
  }
  note("OUTSIDER " + what_name + " appended to " + key + " on " +
       (where.empty() ? "no node" : where) +
       (created.empty() ? std::string() : ", a list with it made on " + created) +
       (what == Poison::kLine
            ? " (naming u" + std::to_string(user) + "'s " + oracle_.cookie(user) + ")"
            : std::string()));
  return true;
}

std::string Cluster::shown_value(std::string_view key, const std::string& bytes) const {
  if (!sealer_) return "\"" + bytes.substr(0, 60) + "\"";
  if (key.rfind("clustered_session.moved:", 0) == 0) {
    const Notices notices = NoticeFormat(*sealer_, std::string(key)).parse(bytes);
    return "notices (" + std::to_string(bytes.size()) +
           " bytes): " + std::to_string(notices.key_hashes.size()) + " lines" +
           (notices.everything ? ", everything" : "") +
           (notices.rejected > 0 ? ", " + std::to_string(notices.rejected) + " rejected" : "");
  }
  const auto opened = ValueCodec(sealer_).decode(key, bytes);
  if (!opened) {
    const auto plain = decode_value(bytes);
    if (plain && plain->sealed == 0) return "plain \"" + plain->payload.substr(0, 60) + "\"";
    return "does not open (" + std::to_string(bytes.size()) + " bytes)";
  }
  return std::string(opened->forward ? "sealed forward v" : "sealed v") +
         std::to_string(opened->version) + " \"" + opened->payload.substr(0, 60) + "\"";
}

void Cluster::set_save_path(int node, std::vector<int> memcached_nodes,
                            std::vector<NodeRole> roles) {
  roles.resize(memcached_nodes.size(), NodeRole::kActive);
  std::string list;
  for (std::size_t i = 0; i < memcached_nodes.size(); ++i) {
    list += (list.empty() ? "" : ",") + memcached_[memcached_nodes[i]]->address().id;
    if (roles[i] != NodeRole::kActive) list += std::string(";") + role_name(roles[i]);
  }
  fault("save_path of " + apps_[node]->route + " = " + list);
  apps_[node]->save_path = std::move(memcached_nodes);
  apps_[node]->roles = std::move(roles);
  ++apps_[node]->generation;
}

int Cluster::pick_node(const std::string& cookie) {
  std::vector<int> up;
  for (int i = 0; i < app_node_count(); ++i) {
    if (apps_[i]->up) up.push_back(i);
  }
  if (up.empty()) return -1;
  if (options_.balancer == Balancer::kRouteAware) {
    const auto parts = parse_session_id_view(cookie);
    for (int i : up) {
      if (parts && parts->route == apps_[i]->route) return i;
    }
    return up[random_.below(up.size())];  // nginx: another node when that one is down
  }
  return up[static_cast<std::size_t>(next_round_robin_++) % up.size()];
}

int Cluster::start_request(int user, Op op, std::optional<int> node,
                           std::optional<std::string> replay_cookie) {
  auto request = std::make_unique<Request>();
  const int number = static_cast<int>(requests_.size());
  request->op = op;
  request->replay = replay_cookie.has_value();
  request->outcome.request = number;
  request->outcome.user = user;
  request->outcome.cookie = replay_cookie ? *replay_cookie : oracle_.cookie(user);
  request->outcome.node = node ? *node : pick_node(request->outcome.cookie);
  request->start = oracle_.snapshot(user, request->outcome.cookie);
  request->started_ms = world_.mono_ms;
  request->faults_at_start = faults_;
  request->clean_start = !faults_active() && fault_free_since_ms_ != LLONG_MAX &&
                         world_.mono_ms - fault_free_since_ms_ >= kSettleMs;
  Request* raw = request.get();
  requests_.push_back(std::move(request));
  note("r" + std::to_string(number) + " u" + std::to_string(user) + " " + op_name(op) +
       (raw->replay ? " (old cookie)" : "") +
       " cookie=" + (raw->outcome.cookie.empty() ? "-" : raw->outcome.cookie) + " -> " +
       (raw->outcome.node >= 0 ? apps_[raw->outcome.node]->route : "no node up"));
  if (raw->outcome.node < 0 || !apps_[raw->outcome.node]->up) {
    raw->outcome.done = true;
    raw->outcome.error = "no app node up";
    oracle_.on_failure(user, false, raw->outcome.error, true, "r" + std::to_string(number));
    return number;
  }
  raw->fiber = std::make_unique<Fiber>([this, raw] { run_request(*raw); });
  return number;
}

bool Cluster::runnable(const Request& request) const {
  if (request.outcome.done || !request.fiber || request.fiber->finished()) return false;
  const AppNode& app = *apps_[request.outcome.node];
  if (request.process < 0) {
    return std::any_of(app.processes.begin(), app.processes.end(),
                       [](const auto& p) { return !p.busy; });
  }
  const SimPause* pause = app.processes[request.process].pause.get();
  if (pause != nullptr && pause->wake_at_ms > world_.mono_ms) return false;
  const SimLocks* locks = app.processes[request.process].locks.get();
  if (locks == nullptr || locks->parked_on == nullptr) return true;
  return locks->parked_on->granted || locks->parked_on->timed_out;
}

// A lock timeout is the designed answer to a request that holds the session
// longer than lock_timeout (a history's "advance" while it runs); one with no
// such holder is a lock that was never released, and stays a liveness failure.
bool Cluster::waited_on_a_slow_request(const Request& request) const {
  if (request.outcome.error.find("waiting for the lock") == std::string::npos) return false;
  return std::any_of(requests_.begin(), requests_.end(), [&](const auto& other) {
    if (other.get() == &request || other->outcome.user != request.outcome.user ||
        other->outcome.node != request.outcome.node) {
      return false;
    }
    const std::int64_t end = other->finished_ms < 0 ? world_.mono_ms : other->finished_ms;
    const std::int64_t overlap =
        std::min(end, request.finished_ms) - std::max(other->started_ms, request.started_ms);
    return overlap >= options_.lock_timeout_ms;
  });
}

// A write refused because another request of the same session wrote it
// meanwhile (conditional writes detect what the balancer let happen:
// docs/design.md, "Conditional writes"): one on another app node, or one on the
// same node that came with another cookie (an old one that forwards to this
// session), which the session lock, taken per ID, does not hold back. Or a
// takeover on another node that ended less than a takeover check interval before
// this request started: until its next check the old owner serves its copy and
// learns of the move only from its conditional write (docs/design.md, section 8).
// Allowed only with such a request beside it.
bool Cluster::refused_beside_a_parallel_writer(const Request& request) const {
  // A change, or a logout, refused because another node wrote the session.
  if (request.outcome.error.find("was not saved:") == std::string::npos &&
      request.outcome.error.find("not destroyed:") == std::string::npos) {
    return false;
  }
  return std::any_of(requests_.begin(), requests_.end(), [&](const auto& other) {
    if (other.get() == &request || other->outcome.user != request.outcome.user ||
        other->outcome.node < 0 ||
        (other->outcome.node == request.outcome.node &&
         other->outcome.cookie == request.outcome.cookie)) {
      return false;
    }
    const bool beside = other->started_ms <= request.finished_ms &&
                        (other->finished_ms < 0 || other->finished_ms >= request.started_ms);
    const bool moved_just_before =
        other->moved && other->outcome.node != request.outcome.node && other->finished_ms >= 0 &&
        other->finished_ms <= request.started_ms &&
        request.started_ms - other->finished_ms <= options_.takeover_check_interval_s * 1000;
    return beside || moved_just_before;
  });
}

// A write refused because the copy it read is not there any more: an outsider
// overwrote the session's key (docs/design.md, "Sealed values") before or while
// the request ran. The handler must not write over what it did not read; the
// outsider could as well have deleted the session.
bool Cluster::refused_after_an_outsider(const Request& request) const {
  return request.outcome.error.find("was not saved:") != std::string::npos &&
         oracle_.overwritten_since(request.outcome.user, request.start);
}

// A node that failed stays marked down in the segment until one process's
// probe (once per retry_interval) answers, however long ago the failure was:
// requests beside that probe fail fast. The first requests after a fault has
// healed may therefore fail (docs/design.md, "Invariants"); a node marked down
// that no fault ever touched would still count as a liveness failure.
bool Cluster::failed_fast_during_a_probe(const Request& request) const {
  return request.outcome.error.find("another process of this app node is trying it right now") !=
             std::string::npos &&
         faults_ > 0;
}

// Two requests of one session at once, one of them moving it (a takeover
// beside a slow request on the old owner, or parallel requests that both take
// the session over or relocate it): the trace says so,
// since what the oracle then sees is the class of writes that are not
// conditional (sim/known_issues.cpp; docs/design.md, "Known gaps").
void Cluster::note_overlapping_move(const Request& request) {
  if (request.replay) return;
  for (const auto& other : requests_) {
    if (other.get() == &request || other->replay || other->outcome.user != request.outcome.user ||
        other->outcome.node < 0) {
      continue;
    }
    const bool overlaps = other->started_ms <= request.finished_ms &&
                          (other->finished_ms < 0 || other->finished_ms >= request.started_ms);
    if (!overlaps || !(request.moved || other->moved)) continue;
    const Request& mover = request.moved ? request : *other;
    const Request& beside = request.moved ? *other : request;
    note("overlap: r" + std::to_string(mover.outcome.request) + "@" +
         apps_[mover.outcome.node]->route + " moved the session while r" +
         std::to_string(beside.outcome.request) + "@" + apps_[beside.outcome.node]->route + " ran");
    return;
  }
}

int Cluster::in_flight(int user, bool exclusive_only) const {
  return static_cast<int>(std::count_if(requests_.begin(), requests_.end(), [&](const auto& r) {
    return r->outcome.user == user && !r->outcome.done && !r->replay &&
           (!exclusive_only || r->op == Op::kLogout || r->op == Op::kRegenerate);
  }));
}

bool Cluster::idle() const {
  return std::all_of(requests_.begin(), requests_.end(),
                     [](const auto& request) { return request->outcome.done; });
}

// A process's own handler and connections on its node's segment (a new child,
// or one made after a save_path change), as ext/ makes one.
void Cluster::make_handler(int app_index, int process_index) {
  AppNode& app = *apps_[app_index];
  const auto index = static_cast<std::size_t>(process_index);
  AppNode::Process& process =
      index < app.processes.size() ? app.processes[index] : app.idle_checker;
  process.handler.reset();
  process.locks =
      std::make_unique<SimLocks>(*app.locks, process_index, world_.mono_ms, options_.lock_stripes);
  process.pause = std::make_unique<SimPause>(world_.mono_ms);
  HandlerConfig config;
  config.route = app.route;
  config.strict_mode = true;
  config.replicas = options_.replicas;
  config.io_timeout = std::chrono::milliseconds(options_.io_timeout_ms);
  config.lock_timeout = std::chrono::milliseconds(options_.lock_timeout_ms);
  config.takeover_check_interval_s = options_.takeover_check_interval_s;
  config.gc_maxlifetime_s = options_.gc_maxlifetime_s;
  config.sealer = sealer_;
  // As make_memcached_handler(): the nodes listed, then those dropped.
  std::vector<std::unique_ptr<StoreNode>> links;
  for (const NodeAddress& node : with_departed_nodes(
           listed_nodes(app), app.segment, app.clock.monotonic_ms() / 1000, remote_ttl_s(config))) {
    const auto m = std::find_if(memcached_.begin(), memcached_.end(),
                                [&](const auto& model) { return model->address().id == node.id; });
    links.push_back(std::make_unique<Link>(
        *this, app_index, static_cast<int>(m - memcached_.begin()), node.role, node.departed));
  }
  HandlerServices services{app.clock,           entropy_, app.segment,
                           process.locks.get(), no_log(), *process.pause};
  process.handler = std::make_unique<SessionHandler>(std::move(config), std::move(links), services);
  process.generation = app.generation;
}

bool Cluster::step(std::optional<int> only) {
  std::vector<Request*> ready;
  for (auto& request : requests_) {
    if (only && request->outcome.request != *only) continue;
    if (runnable(*request)) ready.push_back(request.get());
  }
  if (ready.empty()) {
    // Everything left waits for a lock: let time run to the first deadline.
    std::int64_t earliest = LLONG_MAX;
    for (auto& app : apps_) {
      if (app->locks) earliest = std::min(earliest, app->locks->earliest_deadline());
      for (const auto& process : app->processes) {
        if (process.pause && process.pause->wake_at_ms > 0) {
          earliest = std::min(earliest, process.pause->wake_at_ms);
        }
      }
    }
    if (earliest == LLONG_MAX) return false;
    advance_ms(std::max<std::int64_t>(1, earliest - world_.mono_ms));
    last_stepped_ = -1;
    if (after_step) after_step();
    return true;
  }
  Request& request = *ready[random_.below(ready.size())];
  AppNode& app = *apps_[request.outcome.node];
  if (request.process < 0) {
    for (std::size_t p = 0; p < app.processes.size(); ++p) {
      auto& process = app.processes[p];
      if (process.busy) continue;
      process.busy = true;
      request.process = static_cast<int>(p);
      if (process.generation != app.generation) {
        // A new child (or one made after a save_path change): its own handler and
        // connections, on the node's segment.
        make_handler(request.outcome.node, request.process);
        process.generation = app.generation;
      }
      break;
    }
  }
  running_ = request.outcome.request;
  last_stepped_ = running_;
  request.fiber->resume();
  running_ = -1;
  advance_ms(static_cast<std::int64_t>(random_.below(kMaxStepMs)));
  if (request.fiber->finished() && !request.outcome.done) finish(request);
  if (fault_free_since_ms_ == LLONG_MAX && !faults_active()) fault_free_since_ms_ = world_.mono_ms;
  if (after_step) after_step();
  return true;
}

void Cluster::run_until_idle() {
  while (!idle() && step()) {
  }
}

const RequestOutcome& Cluster::request(int user, Op op, std::optional<int> node) {
  const int number = start_request(user, op, node);
  while (!requests_[number]->outcome.done && step(number)) {
  }
  return requests_[number]->outcome;
}

void Cluster::run_request(Request& request) {
  AppNode& app = *apps_[request.outcome.node];
  SessionHandler& handler = *app.processes[request.process].handler;
  RequestOutcome& out = request.outcome;
  const std::string who = "r" + std::to_string(out.request) + "@" + app.route;
  const auto hook = [&](const std::string& what) { note(who + " " + what); };
  const auto failed = [&](const std::string& where, const std::string& error) {
    out.error = where + ": " + error;
    hook(out.error);
    for (const auto& warning : handler.take_handled()) hook("handled: " + warning);
    (void)handler.close();  // php_session_abort()
  };

  // session_start(): open, validate_sid (strict mode) or create_sid, read.
  (void)handler.open();
  std::string id = out.cookie;
  if (!id.empty()) {
    const bool valid = handler.validate_sid(id);
    hook("validate_sid(" + id + ") = " + (valid ? "true" : "false"));
    if (!valid) id.clear();
    Fiber::yield();
  }
  if (id.empty()) {
    auto made = handler.create_sid();
    if (!made) return failed("create_sid", made.error());
    id = *made;
    hook("create_sid() = " + id);
  }
  auto read = handler.read(id);
  if (!read) return failed("read(" + id + ")", read.error());
  std::string data(*read);
  hook("read(" + id + ") = \"" + data + "\"");
  out.read = data;
  oracle_.on_session_id(out.user, id, who);
  oracle_.on_read(out.user, request.start, data, request.replay, world_.mono_ms, who);
  Fiber::yield();

  // The page.
  bool garbled = false;
  SessionValue value =
      decode_session(data, &garbled).value_or(SessionValue{request.start.epoch, 0});
  std::string session = data;
  std::string read_for_id = data;
  switch (request.op) {
    case Op::kRead:
      break;
    case Op::kIncrement:
      ++value.count;
      session = encode_session(value);
      break;
    case Op::kLogout: {
      Status destroyed = handler.destroy(id);
      hook(std::string("destroy(") + id + ") = " + (destroyed ? "ok" : destroyed.error()));
      Status closed = handler.close();
      if (!destroyed) return failed("destroy", destroyed.error());
      if (!closed) return failed("close", closed.error());
      out.ok = true;
      out.id.clear();
      return;
    }
    case Op::kRegenerate: {
      // session_regenerate_id(true): destroy, close, open, create_sid, read.
      if (data.empty()) session = encode_session(value);
      Status destroyed = handler.destroy(id);
      if (!destroyed) return failed("destroy", destroyed.error());
      Status closed = handler.close();
      if (!closed) return failed("close", closed.error());
      Fiber::yield();
      (void)handler.open();
      auto made = handler.create_sid();
      if (!made) return failed("create_sid", made.error());
      id = *made;
      (void)handler.validate_sid(id);
      auto fresh = handler.read(id);
      if (!fresh) return failed("read(" + id + ")", fresh.error());
      read_for_id = std::string(*fresh);
      hook("regenerated to " + id);
      oracle_.on_session_id(out.user, id, who);
      break;
    }
  }
  Fiber::yield();

  // session_write_close(): write, or update_timestamp when unchanged (lazy_write).
  const bool unchanged = session == read_for_id;
  oracle_.on_write_attempt(out.user, session);
  Status saved = unchanged ? handler.update_timestamp(id, session) : handler.write(id, session);
  hook(std::string(unchanged ? "update_timestamp" : "write") + "(" + id +
       ") = " + (saved ? "ok" : saved.error()));
  Status closed = handler.close();
  for (const auto& warning : handler.take_handled()) {
    hook("handled: " + warning);
    if (warning.find("kept on this node") != std::string::npos) out.local_only = true;
  }
  if (!saved || !closed) {
    if (id != out.cookie) out.cookie_sent = id;
    return failed(saved ? "close" : "write", saved ? closed.error() : saved.error());
  }
  out.ok = true;
  out.id = id;
  out.written = session;
}

void Cluster::finish(Request& request) {
  RequestOutcome& out = request.outcome;
  out.done = true;
  AppNode& app = *apps_[out.node];
  if (request.process >= 0 && request.process < static_cast<int>(app.processes.size())) {
    app.processes[request.process].busy = false;
  }
  const std::string who = "r" + std::to_string(out.request);
  if (!out.ok) {
    request.finished_ms = world_.mono_ms;
    const bool clean =
        request.clean_start && request.faults_at_start == faults_ && !faults_active() &&
        !waited_on_a_slow_request(request) && !failed_fast_during_a_probe(request) &&
        !refused_beside_a_parallel_writer(request) && !refused_after_an_outsider(request);
    oracle_.on_failure(out.user, request.op == Op::kLogout || request.op == Op::kRegenerate,
                       out.error, !clean, who);
    if (!out.cookie_sent.empty())
      oracle_.on_cookie_only(out.user, out.cookie, out.cookie_sent, request.replay);
    return;
  }
  // A request that found no session under its cookie (none sent, or one the
  // handler refused) made a new one: to the oracle it came without a cookie.
  const bool made_new = out.read.empty() && out.id != out.cookie;
  request.finished_ms = world_.mono_ms;
  request.moved = !made_new && !out.cookie.empty() && out.id != out.cookie;
  note_overlapping_move(request);
  oracle_.on_ack(out.user, request.op == Op::kLogout, request.op == Op::kIncrement,
                 made_new ? std::string() : out.cookie, out.id, out.written, request.replay,
                 world_.mono_ms, who);
  oracle_.on_durability(out.user, request.replay, out.local_only ? out.node : -1);
  if (request.op == Op::kIncrement && !request.replay)
    oracle_.on_rewritten(out.user, request.start);
}

}  // namespace clustered::sim
