// SPDX-License-Identifier: BSD-3-Clause
// The memcached side of the handler: one StoreNode per save_path node, the
// shared health table in front of them, replicas in save_path ring order, and
// values encoded and decoded by the codec (codec/value_codec.h). Knows nothing
// about PHP, the cache or ownership.
// Every call reports in one style: a Result whose Failure carries the node's
// answer (its Cause) and a message naming the node.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/value_codec.h"
#include "codec/value_header.h"
#include "stats/counters.h"
#include "store/node_health.h"
#include "store/store_node.h"
#include "util/clock.h"
#include "util/entropy.h"
#include "util/log_sink.h"
#include "util/result.h"

namespace clustered {

// Why a node was marked down, in the words of an error or a status page.
std::string_view describe_outage(Cause cause);

// The most replicas a session has (clustered_session.replicas).
inline constexpr std::size_t kMaxReplicas = 8;

// memcached's CAS tokens of a session's replica copies, in ring order
// (copy_nodes() after the primary); 0: not known. Learnt from this node's own
// writes, they make its next write conditional on every node at no extra cost
// (docs/design.md, "Conditional writes").
using ReplicaTokens = std::array<std::uint64_t, kMaxReplicas>;

struct RemoteOptions {
  std::int64_t retry_interval_ms = 2000;
  unsigned replicas = 0;
  // Encodes what is written and decodes what is read (sealing, compression);
  // null: plain, uncompressed values.
  std::shared_ptr<const ValueCodec> codec;
};

// The newest copy of a session that a read found.
struct RemoteCopy {
  StoredValue value;
  std::size_t node = 0;   // where it came from
  std::uint64_t cas = 0;  // its CAS token there
  // A replica's copy newer than the primary's (read with every_copy): the token
  // of the primary's older item (0: none there, or the primary did not answer).
  std::uint64_t primary_cas = 0;
};

// Which copy a request read, where: a write that must replace exactly that copy
// on that node (RemoteCopy::node, RemoteCopy::cas).
struct CopyToken {
  std::size_t node = 0;
  std::uint64_t cas = 0;
};

// A write whose primary copy is stored; replica failures are reported, not fatal.
struct WriteReport {
  std::string replica_errors;
  std::uint64_t cas = 0;             // the primary copy's new CAS token (0: not known)
  Cause replica_cause = Cause::kOk;  // of the first replica that failed
  ReplicaTokens replica_cas{};       // the replica copies' new tokens (0: not written)
};

class RemoteStore {
 public:
  // `health` may be null (no shared memory: every node is always tried). A node
  // going down and coming back is logged to `log`, once per change per app node.
  RemoteStore(std::vector<std::unique_ptr<StoreNode>> nodes, RemoteOptions options,
              NodeHealthTable* health, Counters& counters, const Clock& clock, Entropy& entropy,
              LogSink& log = no_log());

  std::size_t node_count() const { return nodes_.size(); }
  const ValueCodec& codec() const { return *codec_; }
  const Sealer& sealer() const { return codec_->sealer(); }
  // Values (or notice records) that were ignored: they did not open, were plain
  // where sealing is required, or were older than this node's copy. Counted in
  // rejected_values; the first message of a request becomes its one warning.
  void reject(std::size_t count, std::string message);
  // The message of what was rejected since the last call (empty: nothing).
  std::string take_rejection();
  const NodeAddress& address(std::size_t index) const { return nodes_[index]->address(); }
  std::optional<std::size_t> index_of(std::string_view node_id) const;
  bool is_up(std::size_t index) const;
  // New sessions (and sessions that move) are placed only on active nodes;
  // ;joining ones are read but not placed on, ;drain ones are being left.
  bool takes_new_sessions(std::size_t index) const {
    return address(index).role == NodeRole::kActive;
  }
  bool draining(std::size_t index) const { return address(index).role == NodeRole::kDraining; }
  // Dropped from save_path (NodeAddress::departed): draining, and never asked for
  // notices, stats or a session it is not named by.
  bool departed(std::size_t index) const { return address(index).departed; }
  // A node that gives no CAS tokens (memcached -C), as this app node found on
  // contact: conditional writes are impossible there, so no session is placed
  // or kept on it while another node can take it (docs/design.md, "Conditional
  // writes"); a write that must go there is refused (kNoCas), never sent blind.
  bool without_cas(std::size_t index) const;
  // An active node that gives CAS tokens: where sessions are placed and moved.
  bool stores_sessions(std::size_t index) const {
    return takes_new_sessions(index) && !without_cas(index);
  }
  // Whether a node other than `except` that stores sessions is believed up.
  bool another_active_up(std::optional<std::size_t> except) const;
  std::uint64_t failures(std::size_t index) const;
  // Since when (wall s) and why the node is down, as this app node logged it;
  // nullopt while it is up.
  struct Outage {
    std::int64_t since_s = 0;
    Cause cause = Cause::kDown;
  };
  std::optional<Outage> outage(std::size_t index) const;
  // A node save_path dropped whose memcached is not running: this app node's
  // outage of it began with a refused or reset connection, and memcached keeps
  // nothing across a stop, so what it held is gone and is looked for elsewhere.
  // One that does not reply at all (frozen, cut off from this app node, its host
  // unreachable) may still hold the newest copy (docs/design.md, "save_path roles").
  bool departed_and_stopped(std::size_t index) const { return departed(index) && stopped(index); }
  // This app node's outage of the node began with a refused or reset connection:
  // its memcached is not running, and a stopped memcached keeps nothing.
  bool stopped(std::size_t index) const {
    const std::optional<Outage> down = outage(index);
    return down && down->cause == Cause::kDown;
  }
  // The node failed to answer a read of a copy it may hold: it did not reply,
  // or is marked down after not replying; a stopped one kept nothing.
  bool silent(std::size_t index, Cause cause) const {
    return node_failed(cause) && !(cause == Cause::kDown && stopped(index));
  }
  // A write meant for the node was kept on this app node for a retry (an
  // unsynced session, a missed forward or delete): counted for the line that
  // says the node is back.
  void count_kept_write(std::size_t index);
  // What the node's "stats" last said (evictions) and how many restarts were seen.
  std::uint64_t evictions(std::size_t index) const;
  std::uint64_t restarts(std::size_t index) const;
  // When this app node recorded the node's last restart (monotonic ms of the
  // first process that saw it), or, at its first look, when the server started
  // by its uptime (below 0 when that was before this clock's zero); 0: the
  // server never said who it is.
  std::int64_t restart_seen_at_ms(std::size_t index) const;

  // Reads the node's "stats" and compares the process with the one seen last
  // (shared by the app node's processes): true when it is another one, i.e.
  // memcached restarted (empty) since; false the first time and when unchanged.
  // Every new connection compares the same way (note_contact()), so a restart
  // may have been recorded at the first contact after it: take_unhandled_restart().
  Result<bool> restarted_since_last_look(std::size_t index);
  // True once for a restart that was recorded (by any process of this app node)
  // and not yet acted on: what this app node holds there must be stored again.
  bool take_unhandled_restart(std::size_t index);
  // True once after a "stats" read (restarted_since_last_look()) found the
  // node's eviction count grown: what this app node holds there may be gone.
  bool take_new_evictions(std::size_t index);

  // A random active node that is believed up and answers (never `avoid`);
  // nullopt when none does.
  std::optional<std::size_t> pick_live_node(std::optional<std::size_t> avoid = std::nullopt);
  // Deterministic active node for IDs without a usable store suffix (rendezvous
  // hashing with FNV-1a: the same on every node, process and build).
  std::size_t rendezvous_node(std::string_view session_id) const;
  // The primary and the next `replicas` active nodes in ring order.
  std::vector<std::size_t> copy_nodes(std::size_t primary) const;

  // nullopt: no node that should hold it has it. A failure: the primary could not
  // answer and no replica had a copy, so "missing" cannot be claimed.
  // With `every_copy` the replicas are read also when the primary has a copy,
  // and the highest version wins: a change only a replica took (its writer cut
  // off from the primary) is not missed by a request that is not its owner's.
  Result<std::optional<RemoteCopy>> read(std::size_t primary, std::string_view key,
                                         bool every_copy = false);
  // What read() found, and the CAS token of a primary copy that was rejected (did
  // not open; 0: none): a writer that must replace exactly that copy uses it.
  struct Found {
    std::optional<RemoteCopy> copy;
    std::uint64_t unopened_cas = 0;
    // No copy found: the primary answered that it has none (NOT_FOUND), and a
    // replica that may hold one did not answer (timed out, or marked down after
    // that; not one that is stopped, which kept nothing). Which, and why; the
    // caller judges whether the miss stands (docs/design.md, section 8).
    std::optional<Failure> unanswered;
  };
  Result<Found> read_with_unopened(std::size_t primary, std::string_view key,
                                   bool every_copy = false);
  // Every node asked for `key` (an ID whose store is not in save_path: a node
  // removed here that a copy, a replica or a forward may have been left beside):
  // the newest copy found, and the nodes that could not answer.
  struct Scan {
    std::optional<RemoteCopy> copy;
    std::string unanswered;
    // Of those, the ones that may hold a copy: not answering (frozen, cut off,
    // marked down after that), not stopped, which kept nothing.
    std::optional<Failure> silent;
  };
  // `skip`: nodes already read (a ring's copy nodes), not asked again.
  Scan read_anywhere(std::string_view key, const std::vector<std::size_t>& skip = {});
  // Fails when the primary copy is not stored (the code tells too large, out of
  // memory, down ... apart). With `expected_cas` the primary copy is replaced
  // only if it still has that token: kExists when another write came between
  // (a forward, another node's copy); a copy that is gone is stored in full.
  // A replica's copy is replaced over its token in `replica_cas`, or, not known
  // (or another one), only if it holds `read_version` or an older one: a newer
  // copy there is kExists, and what this write stored goes back to it
  // (docs/design.md, "Conditional writes").
  Result<WriteReport> write(std::size_t primary, std::string_view key, std::uint64_t version,
                            std::string_view payload, std::uint32_t ttl_seconds,
                            std::uint64_t expected_cas = 0, std::uint64_t read_version = 0,
                            const ReplicaTokens& replica_cas = {});
  // Stores the copy only where the key is missing (memcached add), for a copy a
  // restarted node lost: true when the primary took it, false when the primary
  // has something under the key again (written since the restart: it is newer).
  Result<bool> write_if_missing(std::size_t primary, std::string_view key, std::uint64_t version,
                                std::string_view payload, std::uint32_t ttl_seconds);
  // Leaves a forward under an old key: readers of the old ID learn the new one.
  // Its version is above the data's, so of a forward and an older copy on a
  // replica, the forward wins.
  // With `expected_cas`, conditional as write() is. With `replica_read` (the
  // request read a replica's copy: the primary did not answer), that replica is
  // written first and only over that copy: kExists, and nothing written
  // anywhere, when another request wrote there since (docs/design.md,
  // "Conditional writes").
  Result<WriteReport> write_forward(std::size_t primary, std::string_view key,
                                    std::string_view new_id, std::uint64_t version,
                                    std::uint32_t ttl_seconds, std::uint64_t expected_cas = 0,
                                    std::optional<CopyToken> replica_read = std::nullopt,
                                    std::uint64_t read_version = 0);
  // Ends a session (a logout): a tombstone (codec/value_header.h) on the primary
  // and the replicas, so a request that read the session before the logout can
  // never store it again. Never blind: over the copy with `expected_cas`, or
  // (0) only where the key is missing; kExists otherwise (remote/session_end.h
  // decides what that was).
  Result<WriteReport> write_tombstone(std::size_t primary, std::string_view key,
                                      std::uint64_t version, std::uint32_t ttl_seconds,
                                      std::uint64_t expected_cas = 0,
                                      std::uint64_t read_version = 0);
  // True when touched; false when the copy is gone somewhere (restart, eviction):
  // the caller writes it in full.
  Result<bool> touch(std::size_t primary, std::string_view key, std::uint32_t ttl_seconds);
  // Delete from the primary and the replicas; a missing key is not an error.
  Status remove(std::size_t primary, std::string_view key);

  // Items on one node without the value header (the takeover notices, which
  // seal their own records):
  // a get (nullopt when missing), and an append of a line that keeps the item
  // `ttl_seconds` from now, creates it as `head` + line when it is missing and,
  // when it cannot grow (item size limit), replaces it with `when_full` + line
  // (a head and a line that stands for everything the lost lines said).
  Result<std::optional<std::string>> get_plain(std::size_t index, std::string_view key);
  Status append_line(std::size_t index, std::string_view key, std::string_view line,
                     std::string_view head, std::string_view when_full, std::uint32_t ttl_seconds);

  // How far this app node has read its notice list on a node (shared by its
  // processes): the list's generation and the bytes read.
  struct ReadPosition {
    std::uint64_t generation = 0;
    std::uint64_t offset = 0;
  };
  ReadPosition notice_position(std::size_t index);
  void set_notice_position(std::size_t index, ReadPosition position);

 private:
  // Runs one operation on one node, honouring and updating shared health.
  template <class Operation>
  StoreReply on_node(std::size_t index, Operation operation);
  Failure failure(std::size_t index, const StoreReply& reply) const;
  // Which primary copy a write may replace: the one with `cas`; without a
  // token anything, or (only_missing) nothing.
  struct Replacing {
    std::uint64_t cas = 0;
    bool only_missing = false;
    std::optional<CopyToken> replica = std::nullopt;  // a replica's copy the request read
    // The version of the copy the request read (0: unknown). A replica's copy
    // whose token is not known is replaced only if it holds this version or an
    // older one (docs/design.md, "Conditional writes").
    std::uint64_t read_version = 0;
    // The replica copies' tokens, as this node last wrote them (0: not known).
    ReplicaTokens replica_cas{};
    // A forward or tombstone of this version (0: neither): with replicas, it
    // also ends older copies on the other known nodes (listed, or dropped and
    // still departed; end_copies_off_this_ring()).
    std::uint64_t ends_below = 0;
    static Replacing token_or_anything(std::uint64_t cas, std::uint64_t read_version) {
      return {cas, false, std::nullopt, read_version};
    }
  };
  // Replicas are placed by the ring of the save_path that wrote them: another
  // app node's save_path (a rolling change), or this one's before it dropped a
  // node, put them where this ring does not look. An end of a copy (forward,
  // tombstone) replaces every older copy of `key` on the nodes known here beyond
  // `written` (listed, or dropped and still departed), and leaves empty keys and
  // newer copies alone. Best effort: those are not this ring's copies, and a node
  // that does not answer is not retried (docs/design.md, "save_path roles").
  void end_copies_off_this_ring(std::size_t primary, const std::vector<std::size_t>& written,
                                std::string_view key, const std::string& bytes,
                                std::uint32_t ttl_seconds, std::uint64_t ends_below);
  // Where store_over_version() finds the key empty: it stores there (a replica
  // of this ring), or leaves it empty (a copy another ring may have left).
  enum class WhereEmpty : std::uint8_t { kStore, kLeave };
  // Stores `bytes` on a replica only over a copy of `read_version` or older (or
  // where the key is empty, as `empty` says), with the token of the copy it
  // finds there; kExists when a newer copy is there, whose bytes go to `newer`
  // (when not null).
  StoreReply store_over_version(std::size_t index, std::string_view key, const std::string& bytes,
                                std::uint32_t ttl_seconds, std::uint64_t read_version,
                                std::string* newer = nullptr,
                                WhereEmpty empty = WhereEmpty::kStore);
  // Stores `bytes` on a replica: over `known` (its token there), else over a
  // copy of `read_version` or older (store_over_version()); blind only when
  // neither is known.
  StoreReply store_replica(std::size_t index, std::string_view key, const std::string& bytes,
                           std::uint32_t ttl_seconds, std::uint64_t known,
                           std::uint64_t read_version, std::string* newer);
  // Stores `bytes` on one node over exactly the copy `cas` names there, or where
  // the key is empty when that copy is gone; kExists when something else is there.
  StoreReply store_over(std::size_t index, std::string_view key, const std::string& bytes,
                        std::uint32_t ttl_seconds, std::uint64_t cas);
  // Stores `bytes` on the primary (set_checked, or add_checked) and the
  // replicas (store_replica()); kExists when the primary holds another copy than
  // `replacing` (nothing is written then), or a replica a newer one (the nodes
  // written get that newer copy back).
  Result<WriteReport> store_copies(std::size_t primary, std::string_view key,
                                   const std::string& bytes, std::uint32_t ttl_seconds,
                                   Replacing replacing, bool counted);
  // Compares the server seen on a node with the one recorded (shared); true for
  // the one caller that records a restart (and logs it).
  bool record_identity(std::size_t index, const ServerStats& seen);
  // After each call: a new connection's server identity is compared.
  void note_contact(std::size_t index);
  void note_cas_support(std::size_t index, bool supported);
  NodeHealthSlot& identity_slot(std::size_t index);
  const NodeHealthSlot& identity_slot(std::size_t index) const;
  std::string describe(std::size_t index, const StoreReply& reply) const;
  std::string describe(std::size_t index, const Failure& failure) const;
  // Adds a node that did not answer, unless it is stopped, to `silent_nodes`: it may
  // hold a copy, so a read cannot claim the session missing.
  void note_if_silent(std::optional<Failure>& silent_nodes, std::size_t index,
                      const StoreReply& got) const;
  std::string name(std::size_t index) const;
  // Why a node believed down is skipped, for the errors of requests that needed it.
  std::string skipped_because_down(std::size_t index) const;
  std::string retry_interval_text() const;
  void log_down(std::size_t index, const StoreReply& reply);
  void log_back(std::size_t index, std::int64_t down_for_s);

  std::vector<std::unique_ptr<StoreNode>> nodes_;
  std::vector<NodeHealthSlot*> health_;
  std::unique_ptr<NodeHealthSlot[]> private_health_;  // for nodes without a shared slot
  RemoteOptions options_;
  Counters& counters_;
  const Clock& clock_;
  Entropy& entropy_;
  LogSink& log_;
  std::shared_ptr<const ValueCodec> codec_;
  std::vector<std::uint64_t> contacts_;  // per node, the connections() last compared
  std::string rejection_;                // the first of this request
  std::size_t rejections_ = 0;
};

}  // namespace clustered
