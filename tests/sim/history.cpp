// SPDX-License-Identifier: BSD-3-Clause
#include "sim/history.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace clustered::sim {
namespace {

std::string app_name(int node) { return "web" + std::to_string(node + 1); }
std::string memcached_name(int node) { return "n" + std::to_string(node + 1); }

std::optional<int> numbered(const std::string& word, const std::string& prefix) {
  if (word.rfind(prefix, 0) != 0 || word.size() == prefix.size()) return std::nullopt;
  try {
    return std::stoi(word.substr(prefix.size())) - (prefix == "u" ? 0 : 1);
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<Op> op_named(const std::string& word) {
  for (Op op : {Op::kRead, Op::kIncrement, Op::kLogout, Op::kRegenerate}) {
    if (word == op_name(op)) return op;
  }
  return std::nullopt;
}

}  // namespace

std::string Action::str() const {
  const std::string at = node ? " @" + app_name(*node) : "";
  switch (kind) {
    case Kind::kRequest:
      return "request u" + std::to_string(user) + " " + op_name(op) + at;
    case Kind::kBurst:
      return "burst u" + std::to_string(user) + " " + op_name(op) + " " + std::to_string(count) +
             at;
    case Kind::kReplay:
      return "replay u" + std::to_string(user) + at;
    case Kind::kRun:
      return "run " + std::to_string(count);
    case Kind::kDrain:
      return "drain";
    case Kind::kKillApp:
      return "kill " + app_name(node.value_or(0));
    case Kind::kRestartApp:
      return "restart " + app_name(node.value_or(0));
    case Kind::kMemcached:
      return "memcached " + verb + " " + memcached_name(memcached);
    case Kind::kLimit:
      return "limit " + memcached_name(memcached) + " " + verb + "=" + std::to_string(ms);
    case Kind::kEvict:
      return "evict u" + std::to_string(user);
    case Kind::kRestore:
      return "restore u" + std::to_string(user) + " " + std::to_string(count);
    case Kind::kForge: {
      std::string text = "forge u" + std::to_string(user);
      switch (forgery) {
        case Forgery::kGarbled:
          return text;
        case Forgery::kForward:
        case Forgery::kCopy:
        case Forgery::kCopyForward:
          return text + " " + forgery_name(forgery) + " u" + std::to_string(other);
        case Forgery::kFlip:
          return text + " flip " + std::to_string(count);
        case Forgery::kValue:
        case Forgery::kTruncate:
          break;
      }
      return text + " " + forgery_name(forgery);
    }
    case Kind::kPoison:
      return "poison " + app_name(node.value_or(0)) + " " + poison_name(poison) +
             (poison == Poison::kLine ? " u" + std::to_string(user) : "");
    case Kind::kCut:
      return "cut " + app_name(node.value_or(0)) + " " + memcached_name(memcached);
    case Kind::kHeal:
      return "heal " + app_name(node.value_or(0)) + " " + memcached_name(memcached);
    case Kind::kSkew:
      return "skew " + app_name(node.value_or(0)) + " " + std::to_string(ms);
    case Kind::kSavePath: {
      std::string nodes;
      for (std::size_t i = 0; i < list.size(); ++i) {
        nodes += (nodes.empty() ? "" : ",") + memcached_name(list[i]);
        if (i < roles.size() && roles[i] != NodeRole::kActive) {
          nodes += std::string(":") + role_name(roles[i]);
        }
      }
      return "save_path " + app_name(node.value_or(0)) + " " + nodes;
    }
    case Kind::kBalancer:
      return std::string("balancer ") +
             (balancer == Balancer::kRouteAware ? "route" : "round-robin");
    case Kind::kAdvance:
      return "advance " + std::to_string(ms);
  }
  return "?";
}

std::string History::str() const {
  std::ostringstream out;
  out << "options apps=" << options.app_nodes << " memcached=" << options.memcached_nodes
      << " replicas=" << options.replicas << " users=" << users
      << " balancer=" << (options.balancer == Balancer::kRouteAware ? "route" : "round-robin");
  if (options.gc_maxlifetime_s != ClusterOptions{}.gc_maxlifetime_s) {
    out << " gc_maxlifetime=" << options.gc_maxlifetime_s;
  }
  if (options.lock_stripes != 0) out << " lock_stripes=" << options.lock_stripes;
  if (options.idle_checks != ClusterOptions{}.idle_checks) {
    out << " idle_checks=" << (options.idle_checks ? "on" : "off");
  }
  for (std::size_t i = 0; i < options.routes.size(); ++i) {
    out << (i == 0 ? " routes=" : ",") << options.routes[i];
  }
  if (options.seal) out << " seal=" << seal_mode_name(*options.seal);
  out << "\n";
  out << "seed " << seed << "\n";
  for (const Action& action : actions) out << action.str() << "\n";
  return out.str();
}

std::optional<History> History::parse(const std::string& text, std::string* error) {
  History history;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  const auto fail = [&](const std::string& why) {
    if (error != nullptr) *error = "line " + std::to_string(number) + ": " + why + ": " + line;
    return std::nullopt;
  };
  while (std::getline(lines, line)) {
    ++number;
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string word; words >> word;) w.push_back(word);
    if (w.empty() || w[0][0] == '#') continue;
    Action action;
    // A trailing "@webN" forces the app node of a request.
    if (w.size() > 1 && w.back()[0] == '@') {
      action.node = numbered(w.back().substr(1), "web");
      if (!action.node) return fail("bad app node");
      w.pop_back();
    }
    const std::string& verb = w[0];
    if (verb == "options") {
      for (std::size_t i = 1; i < w.size(); ++i) {
        const auto eq = w[i].find('=');
        if (eq == std::string::npos) return fail("bad option");
        const std::string name = w[i].substr(0, eq);
        const std::string value = w[i].substr(eq + 1);
        if (name == "balancer") {
          history.options.balancer =
              value == "round-robin" ? Balancer::kRoundRobin : Balancer::kRouteAware;
        } else if (name == "apps") {
          history.options.app_nodes = std::stoi(value);
        } else if (name == "memcached") {
          history.options.memcached_nodes = std::stoi(value);
        } else if (name == "replicas") {
          history.options.replicas = static_cast<unsigned>(std::stoi(value));
        } else if (name == "users") {
          history.users = std::stoi(value);
        } else if (name == "gc_maxlifetime") {
          history.options.gc_maxlifetime_s = std::stoll(value);
        } else if (name == "lock_stripes") {
          history.options.lock_stripes = std::stoul(value);
        } else if (name == "idle_checks") {
          history.options.idle_checks = value == "on";
        } else if (name == "seal") {
          history.options.seal = parse_seal_mode(value);
          if (!history.options.seal || *history.options.seal == SealMode::kOff) {
            return fail("seal is encrypt or authenticate");
          }
        } else if (name == "routes") {
          std::istringstream routes(value);
          for (std::string route; std::getline(routes, route, ',');) {
            history.options.routes.push_back(route);
          }
        } else {
          return fail("unknown option");
        }
      }
      continue;
    }
    if (verb == "seed" && w.size() == 2) {
      history.seed = std::stoull(w[1]);
      continue;
    }
    if ((verb == "request" || verb == "burst") && w.size() >= 3) {
      action.kind = verb == "request" ? Action::Kind::kRequest : Action::Kind::kBurst;
      const auto user = numbered(w[1], "u");
      const auto op = op_named(w[2]);
      if (!user || !op) return fail("bad request");
      action.user = *user;
      action.op = *op;
      if (verb == "burst") action.count = w.size() > 3 ? std::stoi(w[3]) : 2;
    } else if (verb == "replay" && w.size() == 2) {
      action.kind = Action::Kind::kReplay;
      const auto user = numbered(w[1], "u");
      if (!user) return fail("bad user");
      action.user = *user;
    } else if (verb == "run" && w.size() == 2) {
      action.kind = Action::Kind::kRun;
      action.count = std::stoi(w[1]);
    } else if (verb == "drain") {
      action.kind = Action::Kind::kDrain;
    } else if ((verb == "kill" || verb == "restart") && w.size() == 2) {
      action.kind = verb == "kill" ? Action::Kind::kKillApp : Action::Kind::kRestartApp;
      action.node = numbered(w[1], "web");
      if (!action.node) return fail("bad app node");
    } else if (verb == "memcached" && w.size() == 3) {
      action.kind = Action::Kind::kMemcached;
      action.verb = w[1];
      const auto node = numbered(w[2], "n");
      if (!node) return fail("bad memcached node");
      action.memcached = *node;
    } else if (verb == "limit" && w.size() == 3) {
      action.kind = Action::Kind::kLimit;
      const auto node = numbered(w[1], "n");
      const auto eq = w[2].find('=');
      if (!node || eq == std::string::npos) return fail("bad limit");
      action.memcached = *node;
      action.verb = w[2].substr(0, eq);
      if (action.verb != "item_size" && action.verb != "memory") return fail("unknown limit");
      action.ms = std::stoll(w[2].substr(eq + 1));
    } else if (verb == "evict" && w.size() == 2) {
      action.kind = Action::Kind::kEvict;
      const auto user = numbered(w[1], "u");
      if (!user) return fail("bad evict");
      action.user = *user;
    } else if (verb == "restore" && w.size() == 3) {
      action.kind = Action::Kind::kRestore;
      const auto user = numbered(w[1], "u");
      if (!user) return fail("bad user");
      action.user = *user;
      action.count = std::stoi(w[2]);
      if (action.count < 1) return fail("old cookies count from 1");
    } else if (verb == "forge" && w.size() >= 2 && w.size() <= 4) {
      action.kind = Action::Kind::kForge;
      const auto user = numbered(w[1], "u");
      if (!user) return fail("bad user");
      action.user = *user;
      if (w.size() > 2) {
        std::optional<Forgery> forgery;
        for (Forgery f : {Forgery::kValue, Forgery::kForward, Forgery::kCopy, Forgery::kCopyForward,
                          Forgery::kTruncate, Forgery::kFlip}) {
          if (w[2] == forgery_name(f)) forgery = f;
        }
        if (!forgery) return fail("unknown forgery");
        action.forgery = *forgery;
        const bool needs_user = *forgery == Forgery::kForward || *forgery == Forgery::kCopy ||
                                *forgery == Forgery::kCopyForward;
        const bool needs_byte = *forgery == Forgery::kFlip;
        if (w.size() != (needs_user || needs_byte ? 4U : 3U)) return fail("bad forgery");
        if (needs_user) {
          const auto other = numbered(w[3], "u");
          if (!other) return fail("bad user");
          action.other = *other;
        }
        if (needs_byte) action.count = std::stoi(w[3]);
      }
    } else if (verb == "poison" && (w.size() == 3 || w.size() == 4)) {
      action.kind = Action::Kind::kPoison;
      action.node = numbered(w[1], "web");
      if (!action.node) return fail("bad app node");
      if (w[2] == poison_name(Poison::kEverything) && w.size() == 3) {
        action.poison = Poison::kEverything;
      } else if (w[2] == poison_name(Poison::kLine) && w.size() == 4) {
        action.poison = Poison::kLine;
        const auto user = numbered(w[3], "u");
        if (!user) return fail("bad user");
        action.user = *user;
      } else {
        return fail("bad poison");
      }
    } else if ((verb == "cut" || verb == "heal") && w.size() == 3) {
      action.kind = verb == "cut" ? Action::Kind::kCut : Action::Kind::kHeal;
      action.node = numbered(w[1], "web");
      const auto node = numbered(w[2], "n");
      if (!action.node || !node) return fail("bad nodes");
      action.memcached = *node;
    } else if (verb == "skew" && w.size() == 3) {
      action.kind = Action::Kind::kSkew;
      action.node = numbered(w[1], "web");
      if (!action.node) return fail("bad app node");
      action.ms = std::stoll(w[2]);
    } else if (verb == "save_path" && w.size() == 3) {
      action.kind = Action::Kind::kSavePath;
      action.node = numbered(w[1], "web");
      std::istringstream nodes(w[2]);
      bool any_role = false;
      for (std::string entry; std::getline(nodes, entry, ',');) {
        const auto colon = entry.find(':');
        const auto node = numbered(entry.substr(0, colon), "n");
        if (!node) return fail("bad memcached node");
        action.list.push_back(*node);
        NodeRole role = NodeRole::kActive;
        if (colon != std::string::npos) {
          const std::string word = entry.substr(colon + 1);
          if (word == "joining") {
            role = NodeRole::kJoining;
          } else if (word == "drain") {
            role = NodeRole::kDraining;
          } else if (word != "active") {
            return fail("bad role " + word);
          }
          any_role = true;
        }
        action.roles.push_back(role);
      }
      if (!any_role) action.roles.clear();
    } else if (verb == "balancer" && w.size() == 2) {
      action.kind = Action::Kind::kBalancer;
      action.balancer = w[1] == "round-robin" ? Balancer::kRoundRobin : Balancer::kRouteAware;
    } else if (verb == "advance" && w.size() == 2) {
      action.kind = Action::Kind::kAdvance;
      action.ms = std::stoll(w[1]);
    } else {
      return fail("cannot read");
    }
    history.actions.push_back(std::move(action));
  }
  return history;
}

History generate_history(std::uint64_t seed, const FaultMix& mix, int length) {
  SimRandom random(seed * 0x9e3779b97f4a7c15ULL + 1);
  History history;
  history.seed = seed;
  history.users = static_cast<int>(random.between(1, 4));
  history.options.replicas = mix.memcached_stops && random.chance(0.7) ? 1 : 0;
  if (mix.save_path_changes) history.options.memcached_nodes = 3;
  // Swarm: this seed's own rates, some of them zero.
  const auto rate = [&](bool allowed, double high) {
    return allowed && random.chance(0.6) ? high * static_cast<double>(random.between(1, 4)) / 4
                                         : 0.0;
  };
  const double kill_rate = rate(mix.app_kills, 0.05);
  const double restart_rate = rate(mix.app_restarts, 0.04);
  const double stop_rate = rate(mix.memcached_stops && history.options.replicas > 0, 0.04);
  const double freeze_rate = rate(mix.memcached_freezes, 0.04);
  const double empty_rate = rate(mix.memcached_restarts, 0.04);
  const double cut_rate = rate(mix.partitions, 0.04);
  const double skew_rate = rate(mix.clock_skew, 0.05);
  const double path_rate = rate(mix.save_path_changes, 0.04);
  const double balancer_rate = rate(mix.round_robin, 0.05);
  const double burst_rate = rate(mix.bursts, 0.2);
  const double replay_rate = rate(mix.replays, 0.1);
  const double logout_rate = mix.logouts ? 0.05 : 0.0;
  const double outsider_rate = rate(mix.outsiders, 0.04);
  history.options.seal = mix.seal;

  const int apps = history.options.app_nodes;
  const int memcached = history.options.memcached_nodes;
  std::vector<bool> app_down(apps, false);
  std::vector<std::string> memcached_state(memcached, "up");  // up, stopped, frozen
  std::vector<std::vector<bool>> cut(apps, std::vector<bool>(memcached, false));
  const auto any_app_up_besides = [&](int node) {
    for (int i = 0; i < apps; ++i) {
      if (i != node && !app_down[i]) return true;
    }
    return false;
  };
  // A fault the design tolerates is one at a time: at most one memcached node
  // unwell, and at least one app node up.
  const auto memcached_unwell = [&] {
    return std::count_if(memcached_state.begin(), memcached_state.end(),
                         [](const auto& s) { return s != "up"; });
  };

  auto& actions = history.actions;
  const auto add = [&](Action action) { actions.push_back(std::move(action)); };
  for (int i = 0; i < length; ++i) {
    Action action;
    const double roll = static_cast<double>(random.below(1000000)) / 1000000;
    double edge = 0;
    const auto pick = [&](double p) {
      edge += p;
      return roll < edge;
    };
    const int app = static_cast<int>(random.below(static_cast<std::uint64_t>(apps)));
    const int node = static_cast<int>(random.below(static_cast<std::uint64_t>(memcached)));
    if (pick(kill_rate)) {
      if (app_down[app]) {
        action.kind = Action::Kind::kRestartApp;  // the dead node comes back, empty
        app_down[app] = false;
      } else if (any_app_up_besides(app)) {
        action.kind = Action::Kind::kKillApp;
        app_down[app] = true;
      } else {
        continue;
      }
      action.node = app;
    } else if (pick(restart_rate)) {
      action.kind = Action::Kind::kRestartApp;
      action.node = app;
      app_down[app] = false;
    } else if (pick(stop_rate + freeze_rate + empty_rate)) {
      action.kind = Action::Kind::kMemcached;
      action.memcached = node;
      const std::string state = memcached_state[node];
      if (state == "stopped") {
        action.verb = "start";
      } else if (state == "frozen") {
        action.verb = "thaw";
      } else if (memcached_unwell() > 0) {
        continue;
      } else {
        const double which = random.chance(0.5) ? 0 : 1;
        if (empty_rate > 0 && (stop_rate + freeze_rate == 0 || random.chance(0.3))) {
          action.verb = "restart";
        } else if ((which == 0 && stop_rate > 0) || freeze_rate == 0) {
          action.verb = "stop";
        } else {
          action.verb = "freeze";
        }
      }
      memcached_state[node] = action.verb == "stop"     ? "stopped"
                              : action.verb == "freeze" ? "frozen"
                                                        : "up";
    } else if (pick(cut_rate)) {
      action.node = app;
      action.memcached = node;
      if (cut[app][node]) {
        action.kind = Action::Kind::kHeal;
        cut[app][node] = false;
      } else if (memcached_unwell() == 0) {
        action.kind = Action::Kind::kCut;
        cut[app][node] = true;
      } else {
        continue;
      }
    } else if (pick(skew_rate)) {
      action.kind = Action::Kind::kSkew;
      action.node = app;
      action.ms = random.between(-240, 240) * 1000;
    } else if (pick(path_rate)) {
      action.kind = Action::Kind::kSavePath;
      action.node = app;
      for (int m = 0; m < memcached; ++m) {
        if (m != node || random.chance(0.5)) action.list.push_back(m);
      }
    } else if (pick(balancer_rate)) {
      action.kind = Action::Kind::kBalancer;
      action.balancer = random.chance(0.5) ? Balancer::kRoundRobin : Balancer::kRouteAware;
    } else if (pick(outsider_rate)) {
      // One of the outsiders' writes, on a random user's session (or the notice
      // list of a random app node).
      action.user = static_cast<int>(random.below(static_cast<std::uint64_t>(history.users)));
      action.other = static_cast<int>(random.below(static_cast<std::uint64_t>(history.users)));
      const auto which = random.below(9);
      if (which >= 7) {
        action.kind = Action::Kind::kPoison;
        action.node = app;
        action.poison = which == 7 ? Poison::kEverything : Poison::kLine;
      } else {
        action.kind = Action::Kind::kForge;
        action.forgery = static_cast<Forgery>(which);
        if (action.forgery == Forgery::kFlip) action.count = static_cast<int>(random.below(100));
      }
    } else if (pick(0.15)) {
      action.kind = Action::Kind::kAdvance;
      action.ms = random.chance(0.8) ? random.between(10, 3000) : random.between(3000, 90000);
    } else if (pick(0.3)) {
      action.kind = Action::Kind::kRun;
      action.count = static_cast<int>(random.between(1, 60));
    } else {
      action.user = static_cast<int>(random.below(static_cast<std::uint64_t>(history.users)));
      const double what = static_cast<double>(random.below(1000)) / 1000;
      action.op = what < logout_rate          ? Op::kLogout
                  : what < logout_rate + 0.03 ? Op::kRegenerate
                  : what < 0.55               ? Op::kIncrement
                                              : Op::kRead;
      if (random.chance(burst_rate)) {
        action.kind = Action::Kind::kBurst;
        action.count = static_cast<int>(random.between(2, 5));
        if (action.op == Op::kLogout || action.op == Op::kRegenerate) action.op = Op::kIncrement;
      } else if (random.chance(replay_rate)) {
        action.kind = Action::Kind::kReplay;
      } else {
        action.kind = Action::Kind::kRequest;
      }
    }
    add(std::move(action));
  }
  return history;
}

std::string HistoryResult::report() const {
  std::string text;
  for (const Violation& violation : violations) {
    text += violation.kind + ": " + violation.detail + "\n";
  }
  // CLUSTER_SIM_FULL_TRACE: every line, for a history too long for the tail.
  const bool full = std::getenv("CLUSTER_SIM_FULL_TRACE") != nullptr;
  text += full ? "trace:\n" : "trace (last 60 lines):\n";
  const std::size_t from = !full && trace.size() > 60 ? trace.size() - 60 : 0;
  for (std::size_t i = from; i < trace.size(); ++i) text += "  " + trace[i] + "\n";
  return text;
}

namespace {

// Plays one history; `observe` (when set) runs after every step of the cluster.
HistoryResult play(const History& history, const std::function<void(Cluster&)>& observe) {
  Cluster cluster(history.seed, history.options);
  if (observe) cluster.after_step = [&] { observe(cluster); };
  for (int u = 0; u < history.users; ++u) cluster.add_user();
  const auto valid_user = [&](int user) { return user >= 0 && user < history.users; };
  const auto valid_app = [&](const std::optional<int>& node) {
    return !node || (*node >= 0 && *node < cluster.app_node_count());
  };
  const auto valid_memcached = [&](int node) {
    return node >= 0 && node < cluster.memcached_count();
  };
  // A user clicks logout (or the app regenerates the ID) on a page that has
  // loaded: never beside another request of the same user, whose session it
  // ends (PHP's own session_regenerate_id(true) loses such parallel requests).
  const auto wait_until = [&](const std::function<bool()>& done) {
    for (int i = 0; i < 100000 && !done() && cluster.step(); ++i) {
    }
  };
  const auto before_request = [&](int user, Op op) {
    if (op == Op::kLogout || op == Op::kRegenerate) {
      wait_until([&] { return cluster.in_flight(user) == 0; });
    } else {
      wait_until([&] { return cluster.in_flight(user, true) == 0; });
    }
  };
  for (const Action& action : history.actions) {
    switch (action.kind) {
      case Action::Kind::kRequest:
        if (valid_user(action.user) && valid_app(action.node)) {
          before_request(action.user, action.op);
          cluster.start_request(action.user, action.op, action.node);
        }
        break;
      case Action::Kind::kBurst:
        if (valid_user(action.user) && valid_app(action.node)) {
          before_request(action.user, action.op);
          for (int i = 0; i < action.count; ++i) {
            cluster.start_request(action.user, action.op, action.node);
          }
        }
        break;
      case Action::Kind::kReplay: {
        if (!valid_user(action.user) || !valid_app(action.node)) break;
        const auto& old = cluster.oracle().old_cookies(action.user);
        if (old.empty()) break;
        cluster.start_request(action.user, Op::kRead, action.node,
                              old[cluster.random().below(old.size())]);
        break;
      }
      case Action::Kind::kRun:
        for (int i = 0; i < action.count && cluster.step(); ++i) {
        }
        break;
      case Action::Kind::kDrain:
        cluster.run_until_idle();
        break;
      case Action::Kind::kKillApp:
        if (valid_app(action.node) && cluster.app_up(*action.node)) {
          cluster.kill_app_node(*action.node);
        }
        break;
      case Action::Kind::kRestartApp:
        if (valid_app(action.node)) cluster.restart_app_node(*action.node);
        break;
      case Action::Kind::kMemcached:
        if (!valid_memcached(action.memcached)) break;
        if (action.verb == "restart") cluster.restart_memcached(action.memcached);
        if (action.verb == "freeze") cluster.freeze_memcached(action.memcached);
        if (action.verb == "thaw") cluster.thaw_memcached(action.memcached);
        if (action.verb == "stop") cluster.stop_memcached(action.memcached);
        if (action.verb == "start") cluster.start_memcached(action.memcached);
        break;
      case Action::Kind::kLimit:
        if (!valid_memcached(action.memcached)) break;
        if (action.verb == "item_size") {
          cluster.memcached(action.memcached)
              .set_item_size_max(static_cast<std::size_t>(action.ms));
        } else {
          cluster.memcached(action.memcached).set_memory_limit(static_cast<std::size_t>(action.ms));
        }
        cluster.note("limit " + memcached_name(action.memcached) + " " + action.verb + "=" +
                     std::to_string(action.ms));
        break;
      case Action::Kind::kEvict:
        if (valid_user(action.user)) cluster.evict(action.user);
        break;
      case Action::Kind::kRestore:
        if (valid_user(action.user)) cluster.restore_cookie(action.user, action.count - 1);
        break;
      case Action::Kind::kForge:
        if (valid_user(action.user) && valid_user(action.other)) {
          cluster.forge(action.user, action.forgery, action.other,
                        static_cast<std::size_t>(std::max(0, action.count)));
        }
        break;
      case Action::Kind::kPoison:
        if (valid_app(action.node) && action.node && valid_user(action.user)) {
          cluster.poison_notices(*action.node, action.poison, action.user);
        }
        break;
      case Action::Kind::kCut:
      case Action::Kind::kHeal:
        if (valid_app(action.node) && valid_memcached(action.memcached)) {
          cluster.partition(*action.node, action.memcached, action.kind == Action::Kind::kCut);
        }
        break;
      case Action::Kind::kSkew:
        if (valid_app(action.node)) cluster.skew_clock(*action.node, action.ms);
        break;
      case Action::Kind::kSavePath:
        if (valid_app(action.node) && !action.list.empty()) {
          cluster.set_save_path(*action.node, action.list, action.roles);
        }
        break;
      case Action::Kind::kBalancer:
        cluster.set_balancer(action.balancer);
        break;
      case Action::Kind::kAdvance:
        cluster.advance_ms(action.ms);
        break;
    }
  }
  // The end: every fault healed, every request ended, then each user once more.
  cluster.run_until_idle();
  cluster.heal_everything();
  cluster.advance_ms(5000);
  for (int u = 0; u < history.users; ++u) {
    cluster.note("final read of u" + std::to_string(u));
    cluster.request(u, Op::kRead);
  }
  HistoryResult result;
  result.violations = cluster.oracle().violations();
  result.trace = cluster.trace();
  result.requests = cluster.request_count();
  result.acknowledged = cluster.acknowledged_count();
  result.sealed = history.options.seal.has_value();
  return result;
}

// After one step: what it ran, how many store calls the cluster has made, and
// how many cached sessions each app node has dropped for takeover notices.
struct StepMark {
  int request = -1;
  std::uint64_t store_calls = 0;
  std::vector<std::uint64_t> dropped;
};

StepMark mark(Cluster& cluster) {
  StepMark step{cluster.last_stepped(), cluster.store_calls(), {}};
  for (int node = 0; node < cluster.app_node_count(); ++node) {
    step.dropped.push_back(cluster.app_up(node) ? cluster.counters(node).takeover_notices.load()
                                                : 0);
  }
  return step;
}

}  // namespace

HistoryResult run_history(const History& history) {
  const auto poisons = [](const Action& action) { return action.kind == Action::Kind::kPoison; };
  if (std::none_of(history.actions.begin(), history.actions.end(), poisons)) {
    return play(history, nullptr);
  }
  // The same history without the outsider's notice lines: what the nodes drop
  // for real takeovers (and gaps), step by step.
  History reference = history;
  std::erase_if(reference.actions, poisons);
  std::vector<StepMark> expected;
  play(reference, [&](Cluster& cluster) { expected.push_back(mark(cluster)); });
  std::size_t step = 0;
  bool done = false;
  return play(history, [&](Cluster& cluster) {
    if (done) return;
    const StepMark now = mark(cluster);
    if (step >= expected.size()) {
      done = true;
      return;
    }
    const StepMark& without = expected[step++];
    for (std::size_t node = 0; node < now.dropped.size(); ++node) {
      if (now.dropped[node] <= without.dropped[node]) continue;
      done = true;
      const std::string detail =
          cluster.route(static_cast<int>(node)) + " has dropped " +
          std::to_string(now.dropped[node]) + " cached sessions for takeover notices by step " +
          std::to_string(step) + "; without the outsider's notice lines it has dropped " +
          std::to_string(without.dropped[node]);
      cluster.note("VIOLATION cache dropped by a forged notice: " + detail);
      cluster.oracle().report("cache dropped by a forged notice", detail);
      return;
    }
    // A store call the other play did not make (a list the outsider made is
    // appended to where the other play adds one): the plays part here, and
    // nothing after can be compared.
    if (now.request != without.request || now.store_calls != without.store_calls) {
      done = true;
      cluster.note(
          "(from here on this play and the one without the outsider's notice lines "
          "differ: no more comparing)");
    }
  });
}

History shrink(const History& history, const std::function<bool(const HistoryResult&)>& still_fails,
               int max_runs) {
  History best = history;
  int runs = 0;
  // ddmin over the action list: try removing chunks, halving the chunk size.
  for (std::size_t chunk = std::max<std::size_t>(1, best.actions.size() / 2);
       chunk >= 1 && runs < max_runs; chunk /= 2) {
    bool removed = true;
    while (removed && runs < max_runs) {
      removed = false;
      for (std::size_t start = 0; start < best.actions.size() && runs < max_runs;) {
        History candidate = best;
        const auto first = candidate.actions.begin() + static_cast<std::ptrdiff_t>(start);
        const auto last = candidate.actions.begin() +
                          static_cast<std::ptrdiff_t>(std::min(best.actions.size(), start + chunk));
        candidate.actions.erase(first, last);
        ++runs;
        if (still_fails(run_history(candidate))) {
          best = std::move(candidate);
          removed = true;
        } else {
          start += chunk;
        }
      }
    }
    if (chunk == 1) break;
  }
  // Fewer users, when the failure does not need them.
  while (best.users > 1 && runs < max_runs) {
    History candidate = best;
    --candidate.users;
    ++runs;
    if (!still_fails(run_history(candidate))) break;
    best = std::move(candidate);
  }
  return best;
}

}  // namespace clustered::sim
