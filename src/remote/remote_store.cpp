// SPDX-License-Identifier: BSD-3-Clause
#include "remote/remote_store.h"

#include <algorithm>
#include <array>

#include "util/fnv1a.h"

namespace clustered {

std::string_view describe_outage(Cause cause) {
  switch (cause) {
    case Cause::kTimeout:
      return "no reply within clustered_session.io_timeout";
    case Cause::kBadReply:
      return "a reply that did not fit the request";
    default:
      return "no connection";
  }
}

RemoteStore::RemoteStore(std::vector<std::unique_ptr<StoreNode>> nodes, RemoteOptions options,
                         NodeHealthTable* health, Counters& counters, const Clock& clock,
                         Entropy& entropy, LogSink& log)
    : nodes_(std::move(nodes)),
      options_(options),
      counters_(counters),
      clock_(clock),
      entropy_(entropy),
      log_(log),
      codec_(options.codec != nullptr ? options.codec : std::make_shared<const ValueCodec>()) {
  for (const auto& node : nodes_) {
    health_.push_back(health != nullptr ? health->slot_for(node->address().endpoint()) : nullptr);
  }
  private_health_ = std::make_unique<NodeHealthSlot[]>(nodes_.size());
  contacts_.assign(nodes_.size(), 0);
}

std::optional<std::size_t> RemoteStore::index_of(std::string_view node_id) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->address().id == node_id) return i;
  }
  return std::nullopt;
}

bool RemoteStore::is_up(std::size_t index) const {
  return NodeHealthTable::is_up(health_[index], clock_.monotonic_ms());
}

bool RemoteStore::another_active_up(std::optional<std::size_t> except) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if ((!except || i != *except) && stores_sessions(i) && is_up(i)) return true;
  }
  return false;
}

std::uint64_t RemoteStore::failures(std::size_t index) const {
  return health_[index] != nullptr ? health_[index]->failures.load() : 0;
}

NodeHealthSlot& RemoteStore::identity_slot(std::size_t index) {
  return health_[index] != nullptr ? *health_[index] : private_health_[index];
}

const NodeHealthSlot& RemoteStore::identity_slot(std::size_t index) const {
  return health_[index] != nullptr ? *health_[index] : private_health_[index];
}

std::optional<RemoteStore::Outage> RemoteStore::outage(std::size_t index) const {
  const NodeHealthSlot& slot = identity_slot(index);
  if (slot.logged_down.load(std::memory_order_relaxed) == 0) return std::nullopt;
  return Outage{slot.down_since_s.load(std::memory_order_relaxed),
                static_cast<Cause>(slot.down_cause.load(std::memory_order_relaxed))};
}

void RemoteStore::count_kept_write(std::size_t index) {
  identity_slot(index).kept_while_down.fetch_add(1, std::memory_order_relaxed);
}

std::string RemoteStore::name(std::size_t index) const {
  const NodeAddress& address = nodes_[index]->address();
  return "memcached node " + address.id + " (" + address.endpoint() + ")";
}

std::string RemoteStore::retry_interval_text() const {
  const std::int64_t ms = options_.retry_interval_ms;
  return "tried again every " +
         (ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms") +
         " (clustered_session.retry_interval)";
}

std::string RemoteStore::skipped_because_down(std::size_t index) const {
  std::string text = "marked down";
  if (const std::optional<Outage> down = outage(index)) {
    text += " " + std::to_string(std::max<std::int64_t>(0, clock_.wall_s() - down->since_s)) +
            " s ago (" + std::string(describe_outage(down->cause)) + ")";
  }
  // Its retry time has come, and another process of this app node is trying it.
  if (is_up(index)) return text + "; another process of this app node is trying it right now";
  return text + ", " + retry_interval_text();
}

void RemoteStore::log_down(std::size_t index, const StoreReply& reply) {
  log_.log(
      name(index) + " down: " +
      (reply.error().empty() ? std::string(clustered::describe(reply.cause())) : reply.error()) +
      "; sessions stored there move to the other nodes, and it is " + retry_interval_text());
}

void RemoteStore::log_back(std::size_t index, std::int64_t down_for_s) {
  const std::uint64_t kept = identity_slot(index).kept_while_down.exchange(0);
  std::string line = name(index) + " back after " + std::to_string(down_for_s) + " s";
  if (kept > 0) {
    line +=
        "; " + std::to_string(kept) + " writes it missed were kept on this app node for a retry";
  }
  log_.log(line);
}

std::uint64_t RemoteStore::evictions(std::size_t index) const {
  const NodeHealthSlot& slot = health_[index] != nullptr ? *health_[index] : private_health_[index];
  return slot.evictions.load(std::memory_order_relaxed);
}

std::uint64_t RemoteStore::restarts(std::size_t index) const {
  const NodeHealthSlot& slot = health_[index] != nullptr ? *health_[index] : private_health_[index];
  return slot.restarts.load(std::memory_order_relaxed);
}

bool RemoteStore::record_identity(std::size_t index, const ServerStats& seen) {
  NodeHealthSlot& slot = identity_slot(index);
  std::int64_t pid = slot.server_pid.load(std::memory_order_relaxed);
  const std::int64_t started = slot.server_started_at_s.load(std::memory_order_relaxed);
  // The server's start time is its clock minus its uptime, so it wobbles by a
  // second between reads of one process; a restart moves it by its age.
  const bool same =
      pid == seen.pid && started > seen.started_at_s - 3 && started < seen.started_at_s + 3;
  if (same) return false;
  // One process of the app node records the new one (and counts the restart).
  if (!slot.server_pid.compare_exchange_strong(pid, seen.pid, std::memory_order_relaxed)) {
    return false;
  }
  slot.server_started_at_s.store(seen.started_at_s, std::memory_order_relaxed);
  if (pid == 0) {
    // The first look: no restart to count, but a server that started just
    // before it (restarted while this app node was down, or started with it)
    // may have lost copies whose owners have not stored them again yet, so
    // the restart hold runs from its start (docs/design.md, "Lost copies").
    // Kept below 0 when it started before this clock's zero (the hold reads
    // that as none): a miss beside a replica that does not answer asks how long
    // ago the server started (docs/design.md, section 8).
    const std::int64_t started_ms = clock_.monotonic_ms() - seen.uptime_s * 1000;
    if (seen.uptime_s >= 0)
      slot.restart_seen_at_ms.store(started_ms != 0 ? started_ms : -1, std::memory_order_relaxed);
    return false;
  }
  slot.restart_seen_at_ms.store(std::max<std::int64_t>(1, clock_.monotonic_ms()),
                                std::memory_order_relaxed);
  slot.restarts.fetch_add(1, std::memory_order_relaxed);
  slot.restart_unhandled.store(1, std::memory_order_relaxed);
  log_.log(name(index) + " restarted (pid " + std::to_string(pid) + ", now " +
           std::to_string(seen.pid) + "): it lost what it held; this app node stores what " +
           "it keeps of those sessions there again");
  return true;
}

std::int64_t RemoteStore::restart_seen_at_ms(std::size_t index) const {
  return identity_slot(index).restart_seen_at_ms.load(std::memory_order_relaxed);
}

bool RemoteStore::without_cas(std::size_t index) const {
  return identity_slot(index).without_cas.load(std::memory_order_relaxed) != 0;
}

void RemoteStore::note_cas_support(std::size_t index, bool supported) {
  // One line per change for the app node, by the process that changes it.
  NodeHealthSlot& slot = identity_slot(index);
  std::uint32_t was = supported ? 1 : 0;
  if (!slot.without_cas.compare_exchange_strong(was, supported ? 0 : 1)) return;
  log_.log(supported ? name(index) + " gives CAS tokens again: sessions are stored on it again"
                     : name(index) +
                           " gives no CAS tokens (memcached -C): a write there could "
                           "not replace only the copy its request read, so no session "
                           "is stored on it (they move to the other nodes); restart "
                           "it without -C");
}

void RemoteStore::note_contact(std::size_t index) {
  StoreNode& node = *nodes_[index];
  if (const std::optional<bool> cas = node.cas_supported(); cas && *cas == without_cas(index)) {
    note_cas_support(index, *cas);
  }
  const std::uint64_t opened = node.connections();
  if (opened == contacts_[index]) return;
  contacts_[index] = opened;
  // Who answered on the new connection, read before it carried anything of ours:
  // a restart since the last contact is recorded before this app node writes there.
  if (const std::optional<ServerStats> identity = node.identity()) {
    (void)record_identity(index, *identity);
  }
}

bool RemoteStore::take_unhandled_restart(std::size_t index) {
  return identity_slot(index).restart_unhandled.exchange(0, std::memory_order_relaxed) != 0;
}

bool RemoteStore::take_new_evictions(std::size_t index) {
  return identity_slot(index).evictions_unhandled.exchange(0, std::memory_order_relaxed) != 0;
}

Result<bool> RemoteStore::restarted_since_last_look(std::size_t index) {
  ServerStats seen;
  const StoreReply read = on_node(index, [&](StoreNode& node) { return node.stats(seen); });
  if (!read.ok()) return failure(index, read);
  NodeHealthSlot& slot = identity_slot(index);
  if (slot.evictions.exchange(seen.evictions, std::memory_order_relaxed) < seen.evictions) {
    slot.evictions_unhandled.store(1, std::memory_order_relaxed);
  }
  return record_identity(index, seen);
}

void RemoteStore::note_if_silent(std::optional<Failure>& silent_nodes, std::size_t index,
                                 const StoreReply& got) const {
  if (!silent(index, got.cause())) return;
  if (silent_nodes) {
    silent_nodes->message += "; " + describe(index, got);
  } else {
    silent_nodes = Failure::of(got.cause(), describe(index, got));
  }
}

std::string RemoteStore::describe(std::size_t index, const Failure& failure) const {
  return name(index) + ": " +
         (failure.message.empty() ? std::string(clustered::describe(failure.cause))
                                  : failure.message);
}

std::string RemoteStore::describe(std::size_t index, const StoreReply& reply) const {
  return name(index) + ": " +
         (reply.error().empty() ? std::string(clustered::describe(reply.cause())) : reply.error());
}

Failure RemoteStore::failure(std::size_t index, const StoreReply& reply) const {
  return Failure{describe(index, reply), reply.cause(), reply.failure().stored_copy_dropped};
}

template <class Operation>
StoreReply RemoteStore::on_node(std::size_t index, Operation operation) {
  NodeHealthSlot* health = health_[index];
  if (!NodeHealthTable::may_try(health, clock_.monotonic_ms())) {
    return Failure::of(Cause::kDown, skipped_because_down(index));
  }
  // Only an answer to a call made while the node was believed down proves it
  // back: a call already under way when another process marked it down answers
  // with older news than that failure (docs/design.md, "Who hears what": one
  // line per change of state, never down, back, down for one outage).
  NodeHealthSlot& identity = identity_slot(index);
  const bool believed_down = identity.logged_down.load(std::memory_order_relaxed) != 0;
  StoreReply result = operation(*nodes_[index]);
  note_contact(index);
  if (node_failed(result.cause())) {
    NodeHealthTable::report_failure(health, clock_.monotonic_ms(), options_.retry_interval_ms);
    if (NodeHealthTable::note_down(identity, clock_.wall_s(),
                                   static_cast<std::uint32_t>(result.cause()))) {
      log_down(index, result);
    }
  } else if (believed_down || identity.logged_down.load(std::memory_order_relaxed) == 0) {
    NodeHealthTable::report_success(health);
    if (const auto down_for = NodeHealthTable::note_up(identity, clock_.wall_s())) {
      log_back(index, *down_for);
    }
  }
  return result;
}

std::optional<std::size_t> RemoteStore::pick_live_node(std::optional<std::size_t> avoid) {
  std::uint32_t seed = 0;
  if (!entropy_.fill(&seed, sizeof seed)) seed = 0;
  const std::size_t count = nodes_.size();
  for (std::size_t step = 0; step < count; ++step) {
    const std::size_t index = (seed + step) % count;
    if ((avoid && *avoid == index) || !stores_sessions(index)) continue;
    const StoreReply connected = on_node(index, [](StoreNode& node) { return node.ping(); });
    // The first contact may find a server without CAS tokens.
    if (!node_failed(connected.cause()) && !without_cas(index)) return index;
  }
  return std::nullopt;
}

std::size_t RemoteStore::rendezvous_node(std::string_view session_id) const {
  std::size_t best = 0;
  std::uint64_t best_score = 0;
  const std::uint64_t id_hash = fnv1a(session_id);
  bool found = false;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!takes_new_sessions(i)) continue;  // the parser makes sure one is active
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    const std::uint64_t score = fnv1a(nodes_[i]->address().id, fnv1a("\n", id_hash));
    if (!found || score > best_score) {
      found = true;
      best = i;
      best_score = score;
    }
  }
  return best;
}

std::vector<std::size_t> RemoteStore::copy_nodes(std::size_t primary) const {
  // Joining and draining nodes hold no replicas: app nodes that do not know a
  // joining node yet, and those that have removed a drained one, find the same ring.
  std::vector<std::size_t> result{primary};
  for (std::size_t i = 1; i < nodes_.size() && result.size() <= options_.replicas; ++i) {
    const std::size_t index = (primary + i) % nodes_.size();
    if (takes_new_sessions(index)) result.push_back(index);
  }
  return result;
}

RemoteStore::Scan RemoteStore::read_anywhere(std::string_view key,
                                             const std::vector<std::size_t>& skip) {
  Scan scan;
  std::optional<RemoteCopy>& best = scan.copy;
  for (std::size_t index = 0; index < nodes_.size(); ++index) {
    if (std::find(skip.begin(), skip.end(), index) != skip.end()) continue;
    Counters::add(counters_.remote_reads);
    StoreReply got = on_node(index, [&](StoreNode& node) { return node.get(key); });
    if (got.ok()) {
      auto decoded = codec_->decode(key, *got->value);
      if (decoded) {
        if (!best || decoded->version > best->value.version) {
          best = RemoteCopy{std::move(*decoded), index, got->cas};
        }
      } else if (decoded.cause() == Cause::kRejected) {
        reject(1, describe(index, Failure::of(Cause::kRefused,
                                              std::string(key) + ": " + decoded.error())));
      }
      continue;  // a value that does not decode is nobody's session
    }
    if (got.cause() == Cause::kNotFound) continue;
    if (!scan.unanswered.empty()) scan.unanswered += "; ";
    scan.unanswered += describe(index, got);
    note_if_silent(scan.silent, index, got);
  }
  return scan;
}

Result<std::optional<RemoteCopy>> RemoteStore::read(std::size_t primary, std::string_view key,
                                                    bool every_copy) {
  auto found = read_with_unopened(primary, key, every_copy);
  if (!found) return found.failure();
  return std::move(found->copy);
}

Result<RemoteStore::Found> RemoteStore::read_with_unopened(std::size_t primary,
                                                           std::string_view key, bool every_copy) {
  Found found;
  // The primary is read first; replicas only when it has no usable copy (it is
  // down, or was restarted empty), and then every replica is read and the highest
  // version wins: one of them may have missed a write the others received.
  // every_copy: the replicas are read in any case.
  std::optional<RemoteCopy> best;
  std::uint64_t primary_cas = 0;
  std::optional<Failure> primary_failure;
  std::optional<Failure> replica_failure;
  std::optional<Failure> replica_silent;  // of the replicas that may hold a copy
  bool primary_unopened = false;
  std::string errors;
  for (std::size_t index : copy_nodes(primary)) {
    if (best && best->node == primary && !every_copy) break;
    Counters::add(counters_.remote_reads);
    StoreReply got = on_node(index, [&](StoreNode& node) { return node.get(key); });
    if (got.ok() && index == primary) primary_cas = got->cas;
    if (got.ok()) {
      auto decoded = codec_->decode(key, *got->value);
      if (decoded) {
        if (!best || decoded->version > best->value.version) {
          best = RemoteCopy{std::move(*decoded), index, got->cas};
        }
        continue;
      }
      // What does not open is absent, never data (and never a failed read).
      if (decoded.cause() == Cause::kRejected) {
        reject(1, describe(index, Failure::of(Cause::kRefused,
                                              std::string(key) + ": " + decoded.error())));
        if (index == primary) {
          found.unopened_cas = got->cas;
          primary_unopened = true;
        }
        continue;
      }
      got = Failure::of(Cause::kRefused, decoded.error());
    }
    if (got.cause() == Cause::kNotFound) continue;
    if (!errors.empty()) errors += "; ";
    errors += describe(index, got);
    if (index == primary) {
      primary_failure = failure(index, got);
      continue;
    }
    if (!replica_failure) replica_failure = failure(index, got);
    note_if_silent(replica_silent, index, got);
  }
  if (!best && primary_failure) return Failure::of(primary_failure->cause, errors);
  // The store node's copy does not open and a replica, which may hold the
  // session, did not answer: "missing" cannot be claimed (a new, empty session
  // would replace the user's).
  if (!best && primary_unopened && replica_failure) {
    return Failure::of(replica_failure->cause,
                       name(primary) + " holds a copy of " + std::string(key) +
                           " that does not open, and no replica answered: " + errors);
  }
  if (best && best->node != primary) best->primary_cas = primary_cas;
  if (!best && !primary_unopened) found.unanswered = std::move(replica_silent);
  found.copy = std::move(best);
  return found;
}

Result<WriteReport> RemoteStore::write(std::size_t primary, std::string_view key,
                                       std::uint64_t version, std::string_view payload,
                                       std::uint32_t ttl_seconds, std::uint64_t expected_cas,
                                       std::uint64_t read_version,
                                       const ReplicaTokens& replica_cas) {
  Replacing replacing = Replacing::token_or_anything(expected_cas, read_version);
  replacing.replica_cas = replica_cas;
  return store_copies(primary, key, codec_->encode(key, version, payload), ttl_seconds, replacing,
                      true);
}

Result<WriteReport> RemoteStore::store_copies(std::size_t primary, std::string_view key,
                                              const std::string& bytes, std::uint32_t ttl_seconds,
                                              Replacing replacing, bool counted) {
  const std::vector<std::size_t> copies = copy_nodes(primary);
  // No node of the ring may refuse the copy for its size while another takes it:
  // a replica that took what the primary refused would serve it later, and one
  // that refused what the primary took would lose it with the primary. Every
  // copy's node is asked first (its limit is known after the first contact).
  for (std::size_t index : copies) {
    if (copies.size() > 1) (void)on_node(index, [](StoreNode& node) { return node.ping(); });
    if (std::optional<Failure> refused = nodes_[index]->refuses_size(key, bytes.size())) {
      refused->message = describe(index, *refused);
      return *refused;
    }
  }
  WriteReport report;
  std::optional<Failure> primary_failure;
  const auto written_since = [] {
    return StoreReply(
        Failure::of(Cause::kExists, "written by another request since this one read it"));
  };
  // A replica whose copy the request read while the primary gave no token (it
  // did not answer) goes first, and only over that copy: another request that
  // wrote there since wins, and nothing is written at all. With the primary's
  // token the primary goes first, as always: what it refuses reaches no node,
  // so no replica holds a write (a move's forward) that did not happen.
  std::optional<std::size_t> replica_done;
  if (const auto& read = replacing.replica;
      read && read->cas != 0 && read->node != primary && replacing.cas == 0 &&
      std::find(copies.begin(), copies.end(), read->node) != copies.end()) {
    if (counted) Counters::add(counters_.remote_writes);
    const StoreReply put = store_over(read->node, key, bytes, ttl_seconds, read->cas);
    if (put.cause() == Cause::kExists) return failure(read->node, put);
    if (!put.ok()) {
      report.replica_errors = describe(read->node, put);
      report.replica_cause = put.cause();
    }
    replica_done = read->node;
  }
  // What this write stored, node and new token: a replica found newer gives
  // them that copy back (below). No allocation: the ring is at most 1 + 8 nodes.
  std::array<std::pair<std::size_t, std::uint64_t>, 1 + kMaxReplicas> stored{};
  std::size_t stored_count = 0;
  const auto note_stored = [&](std::size_t index, std::uint64_t token) {
    if (stored_count < stored.size()) stored[stored_count++] = {index, token};
  };
  const auto note_replica_error = [&](std::size_t index, const StoreReply& put) {
    if (!report.replica_errors.empty()) report.replica_errors += "; ";
    report.replica_errors += describe(index, put);
    if (report.replica_cause == Cause::kOk) report.replica_cause = put.cause();
  };
  for (std::size_t k = 0; k < copies.size(); ++k) {
    const std::size_t index = copies[k];
    if (replica_done && index == *replica_done) continue;
    if (counted) Counters::add(counters_.remote_writes);
    if (index != primary) {
      // The replica's token: the copy this request read there, or as this node
      // last wrote it.
      const auto& read = replacing.replica;
      const std::uint64_t known = read && read->node == index && read->cas != 0 ? read->cas
                                  : k - 1 < kMaxReplicas ? replacing.replica_cas[k - 1]
                                                         : 0;
      std::string newer;
      // The primary's token decided there; here the replica's own does, or the
      // version the request read (all a write reaches while the primary does
      // not answer, so it too replaces only what the request read). A write
      // the primary took blindly (a key new to this request) is blind here too.
      const bool blind = !primary_failure && replacing.cas == 0 && !replacing.only_missing;
      const StoreReply put = store_replica(index, key, bytes, ttl_seconds, known,
                                           blind ? 0 : replacing.read_version, &newer);
      if (put.cause() == Cause::kExists) {
        // Another request wrote a newer copy there, one that could not reach
        // the primary: this write is refused, and the nodes it wrote get that
        // copy back over the tokens they answered (docs/design.md,
        // "Conditional writes").
        if (!newer.empty()) {
          for (std::size_t i = 0; i < stored_count; ++i) {
            const std::uint64_t token = stored[i].second;  // a lambda captures no binding
            if (token == 0) continue;
            (void)on_node(stored[i].first, [&](StoreNode& node) {
              return node.set_checked(key, newer, ttl_seconds, token);
            });
          }
        }
        return failure(index, put);
      }
      if (put.ok()) {
        if (k - 1 < kMaxReplicas) report.replica_cas[k - 1] = put->cas;
        note_stored(index, put->cas);
      } else {
        note_replica_error(index, put);
      }
      continue;
    }
    // The primary answers its new token (same round trip): the next write of
    // this session can be conditional on it.
    const bool add = replacing.only_missing && replacing.cas == 0;
    StoreReply put = on_node(index, [&](StoreNode& node) {
      return add ? node.add_checked(key, bytes, ttl_seconds)
                 : node.set_checked(key, bytes, ttl_seconds, replacing.cas);
    });
    if (replacing.cas != 0 && put.cause() == Cause::kNotFound) {
      // The copy it was to replace is gone (evicted, restarted): it is stored
      // in full, but only where nothing was written since (a tombstone of a
      // logout, another node's copy): that is a conflict, not an empty key.
      put = on_node(index,
                    [&](StoreNode& node) { return node.add_checked(key, bytes, ttl_seconds); });
      if (put.cause() == Cause::kNotStored) put = written_since();
    } else if (add && put.cause() == Cause::kNotStored) {
      put = written_since();
    }
    if (put.ok()) {
      report.cas = put->cas;
      note_stored(index, put->cas);
      continue;
    }
    primary_failure = failure(index, put);
    // Refused: another copy is there than the one the request read. No replica
    // takes what the primary refused.
    if (put.cause() == Cause::kExists) return *primary_failure;
  }
  if (primary_failure) return *primary_failure;
  if (replacing.ends_below != 0 && options_.replicas > 0) {
    end_copies_off_this_ring(primary, copies, key, bytes, ttl_seconds, replacing.ends_below);
  }
  return report;
}

void RemoteStore::end_copies_off_this_ring(std::size_t primary,
                                           const std::vector<std::size_t>& written,
                                           std::string_view key, const std::string& bytes,
                                           std::uint32_t ttl_seconds, std::uint64_t ends_below) {
  for (std::size_t index = 0; index < nodes_.size(); ++index) {
    if (index == primary || without_cas(index) ||
        std::find(written.begin(), written.end(), index) != written.end()) {
      continue;
    }
    // Only what is older than this end: a newer copy is not this move's to end.
    (void)store_over_version(index, key, bytes, ttl_seconds, ends_below - 1, nullptr,
                             WhereEmpty::kLeave);
  }
}

StoreReply RemoteStore::store_over(std::size_t index, std::string_view key,
                                   const std::string& bytes, std::uint32_t ttl_seconds,
                                   std::uint64_t cas) {
  StoreReply put = on_node(
      index, [&](StoreNode& node) { return node.set_checked(key, bytes, ttl_seconds, cas); });
  if (put.cause() == Cause::kNotFound) {
    // The copy is gone (evicted, restarted): only where nothing was written since.
    put =
        on_node(index, [&](StoreNode& node) { return node.add_checked(key, bytes, ttl_seconds); });
    if (put.cause() == Cause::kNotStored) {
      put = StoreReply(
          Failure::of(Cause::kExists, "written by another request since this one read it"));
    }
  }
  return put;
}

StoreReply RemoteStore::store_replica(std::size_t index, std::string_view key,
                                      const std::string& bytes, std::uint32_t ttl_seconds,
                                      std::uint64_t known, std::uint64_t read_version,
                                      std::string* newer) {
  // A node without tokens cannot take a conditional write (no session is kept
  // on one while another node can take it).
  if (without_cas(index)) {
    return on_node(index, [&](StoreNode& node) { return node.set(key, bytes, ttl_seconds); });
  }
  if (known != 0) {
    StoreReply put = on_node(
        index, [&](StoreNode& node) { return node.set_checked(key, bytes, ttl_seconds, known); });
    // Another token (a write of this node's that did not answer, another
    // node's) or no copy: what is there decides, as without a token.
    if (put.cause() != Cause::kExists && put.cause() != Cause::kNotFound) return put;
  }
  if (read_version != 0) {
    return store_over_version(index, key, bytes, ttl_seconds, read_version, newer);
  }
  // Neither the copy's token nor the version read is known (docs/design.md,
  // "Known gaps"): stored as it stands, its token kept for the next write.
  StoreReply put =
      on_node(index, [&](StoreNode& node) { return node.set_checked(key, bytes, ttl_seconds, 0); });
  if (put.cause() == Cause::kNoCas) {
    put = on_node(index, [&](StoreNode& node) { return node.set(key, bytes, ttl_seconds); });
  }
  return put;
}

StoreReply RemoteStore::store_over_version(std::size_t index, std::string_view key,
                                           const std::string& bytes, std::uint32_t ttl_seconds,
                                           std::uint64_t read_version, std::string* newer,
                                           WhereEmpty empty) {
  StoreReply got = on_node(index, [&](StoreNode& node) { return node.get(key); });
  if (got.cause() == Cause::kNotFound && empty == WhereEmpty::kStore) {
    StoreReply put =
        on_node(index, [&](StoreNode& node) { return node.add_checked(key, bytes, ttl_seconds); });
    if (put.cause() == Cause::kNotStored) {
      put = StoreReply(
          Failure::of(Cause::kExists, "written by another request since this one read it"));
    }
    return put;
  }
  if (!got.ok()) return got;
  // A value that does not open is no copy of ours: replaced (over its token).
  if (got->value) {
    const auto stored = codec_->decode(key, *got->value);
    if (stored && stored->version > read_version) {
      if (newer != nullptr) *newer = std::move(*got->value);
      return StoreReply(
          Failure::of(Cause::kExists, "written by another request since this one read it"));
    }
  }
  return store_over(index, key, bytes, ttl_seconds, got->cas);
}

Result<bool> RemoteStore::write_if_missing(std::size_t primary, std::string_view key,
                                           std::uint64_t version, std::string_view payload,
                                           std::uint32_t ttl_seconds) {
  const std::string bytes = codec_->encode(key, version, payload);
  std::optional<Result<bool>> primary_result;
  for (std::size_t index : copy_nodes(primary)) {
    Counters::add(counters_.remote_writes);
    const StoreReply put =
        on_node(index, [&](StoreNode& node) { return node.add(key, bytes, ttl_seconds); });
    if (index != primary) continue;  // a replica that kept its copy keeps it
    if (put.ok()) {
      primary_result = true;
    } else if (put.cause() == Cause::kNotStored) {
      primary_result = false;
    } else {
      primary_result = failure(index, put);
    }
  }
  return *primary_result;
}

Result<WriteReport> RemoteStore::write_forward(std::size_t primary, std::string_view key,
                                               std::string_view new_id, std::uint64_t version,
                                               std::uint32_t ttl_seconds,
                                               std::uint64_t expected_cas,
                                               std::optional<CopyToken> replica_read,
                                               std::uint64_t read_version) {
  Replacing replacing{expected_cas, false, replica_read, read_version};
  replacing.ends_below = version;
  return store_copies(primary, key, codec_->encode(key, version, new_id, kValueFlagForward),
                      ttl_seconds, replacing, false);
}

Result<WriteReport> RemoteStore::write_tombstone(std::size_t primary, std::string_view key,
                                                 std::uint64_t version, std::uint32_t ttl_seconds,
                                                 std::uint64_t expected_cas,
                                                 std::uint64_t read_version) {
  Replacing replacing{expected_cas, true, std::nullopt, read_version};
  replacing.ends_below = version;
  return store_copies(primary, key, codec_->encode(key, version, "", kValueFlagForward),
                      ttl_seconds, replacing, false);
}

Result<bool> RemoteStore::touch(std::size_t primary, std::string_view key,
                                std::uint32_t ttl_seconds) {
  bool everywhere = true;
  std::optional<Failure> primary_failure;
  for (std::size_t index : copy_nodes(primary)) {
    const StoreReply touched =
        on_node(index, [&](StoreNode& node) { return node.touch(key, ttl_seconds); });
    if (touched.ok()) continue;
    // Gone (or refused) on any node that should hold a copy: write it in full.
    if (!node_failed(touched.cause())) everywhere = false;
    if (index == primary && node_failed(touched.cause())) primary_failure = failure(index, touched);
  }
  if (primary_failure && everywhere) return *primary_failure;
  return everywhere;
}

Status RemoteStore::remove(std::size_t primary, std::string_view key) {
  std::optional<Failure> first_failure;
  for (std::size_t index : copy_nodes(primary)) {
    const StoreReply removed = on_node(index, [&](StoreNode& node) { return node.remove(key); });
    if (removed.ok() || removed.cause() == Cause::kNotFound) continue;
    if (!first_failure) first_failure = failure(index, removed);
  }
  if (first_failure) return *first_failure;
  return Done{};
}

Result<std::optional<std::string>> RemoteStore::get_plain(std::size_t index, std::string_view key) {
  StoreReply got = on_node(index, [&](StoreNode& node) { return node.get(key); });
  if (got.ok()) return std::move(got->value);
  if (got.cause() == Cause::kNotFound) return std::optional<std::string>();
  return failure(index, got);
}

Status RemoteStore::append_line(std::size_t index, std::string_view key, std::string_view line,
                                std::string_view head, std::string_view when_full,
                                std::uint32_t ttl_seconds) {
  const StoreReply result = on_node(index, [&](StoreNode& node) {
    // NOT_STORED is an ordinary answer here (append: no such key; add: it exists
    // now, another node created it meanwhile), so it is retried, not failed.
    StoreReply reply = Failure::of(Cause::kNotStored);
    bool appended = false;
    for (int attempt = 0; attempt < 2 && reply.cause() == Cause::kNotStored; ++attempt) {
      reply = node.append(key, line);
      appended = reply.ok();
      if (reply.cause() != Cause::kNotStored) break;
      reply = node.add(key, std::string(head) + std::string(line), ttl_seconds);
    }
    // The key exists and refuses to grow (the node's item size limit, which
    // memcached reports for an append as too large or out of memory).
    if (reply.cause() == Cause::kNotStored || reply.cause() == Cause::kTooLarge ||
        reply.cause() == Cause::kOutOfMemory || reply.cause() == Cause::kRefused) {
      return node.set(key, std::string(when_full) + std::string(line), ttl_seconds);
    }
    // An append keeps the item's expiry: the list lives ttl_seconds after its
    // last line, so a reader within the gap never misses one.
    if (appended) {
      const StoreReply touched = node.touch(key, ttl_seconds);
      if (node_failed(touched.cause())) return touched;
    }
    return reply;
  });
  if (result.ok()) return Done{};
  return failure(index, result);
}

void RemoteStore::reject(std::size_t count, std::string message) {
  Counters::add(counters_.rejected_values, count);
  if (rejections_++ == 0) rejection_ = std::move(message);
}

std::string RemoteStore::take_rejection() {
  if (rejections_ == 0) return {};
  std::string message = "ignored what memcached holds for this request (" + rejection_ + ")";
  if (rejections_ > 1) message += " and " + std::to_string(rejections_ - 1) + " more";
  rejection_.clear();
  rejections_ = 0;
  return message;
}

RemoteStore::ReadPosition RemoteStore::notice_position(std::size_t index) {
  const NodeHealthSlot& slot = identity_slot(index);
  return {slot.notice_generation.load(std::memory_order_relaxed),
          slot.notice_offset.load(std::memory_order_relaxed)};
}

void RemoteStore::set_notice_position(std::size_t index, ReadPosition position) {
  NodeHealthSlot& slot = identity_slot(index);
  slot.notice_generation.store(position.generation, std::memory_order_relaxed);
  slot.notice_offset.store(position.offset, std::memory_order_relaxed);
}

}  // namespace clustered
