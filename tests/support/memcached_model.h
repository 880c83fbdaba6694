// SPDX-License-Identifier: BSD-3-Clause
// An in-memory model of ONE memcached server (1.6, ASCII protocol), for the
// handler tests and the deterministic cluster simulator: no sockets, no threads,
// no real time. Time is the server's own Clock (a testing::ManualClock), so a
// test moves it and nothing else does.
//
//   ManualClock clock;
//   MemcachedModel model(node_address, clock);
//   auto node = model.client();    // a StoreNode; several may share the model
//   node->set("k", "v", 60);
//   model.freeze();                // every call now times out
//
// What it copies from memcached (checked against memcached 1.6.18):
// - TTLs: 0 = never, up to 30 days relative, above that an absolute Unix time.
//   client() passes a TTL through unchanged, as if the caller had put it on the
//   wire: a caller that sends a relative TTL over 30 days sees its item expire at
//   once (1970 is past), the bug memcached would show. client(app_clock) instead
//   converts like MemcachedNode does (memcached_expiry() with the app's clock),
//   so skew between the app's and the server's clock shows in such expiries.
// - The server's clock: whole seconds since it started, from the monotonic clock
//   (memcached's current_time). A wall step on the server after it started moves
//   no expiry; absolute expiries are read against the wall time at start. An
//   item stored with TTL n therefore lives more than n-1 and at most n seconds.
// - Keys: 1..250 bytes, no space or control character, else kRefused
//   ("CLIENT_ERROR bad command line format").
// - Item size: key + value + kItemOverhead must fit in item_size_max, else
//   kTooLarge ("SERVER_ERROR object too large for cache"). A failed SET unlinks
//   the item it would have replaced; a failed add, cas or append leaves it.
// - An append whose RESULT would exceed item_size_max (or the memory limit)
//   gets NOT_STORED (kNotStored), the same word as "no such key": that is what
//   memcached 1.6.18 answers; only the appended data alone being too large gets
//   "object too large".
// - Memory: the live items' footprints never exceed memory_limit; a store
//   reclaims expired items, then evicts the least recently used (get, touch and
//   stores count as use). An item bigger than the whole limit gets kOutOfMemory
//   ("SERVER_ERROR out of memory storing object"), and a SET unlinks the old one.
// - CAS tokens come from one counter per server process, bumped by every store
//   (touch keeps the token). restart() starts the counter over, as a new
//   memcached process does, so a token read before a restart can match an item
//   stored after it.
// - Stats count what reached the server; restart() resets them, like memcached.
// - Connections: a client counts one (connections()) at its first answered call,
//   and again after the process changed (restart, stop and start) or a call of
//   its own failed (MemcachedNode drops its connection then).
// - memcached -C (set_cas_enabled(false)): every token is 0, and a client answers
//   set_checked and cas with kNoCas without storing, as MemcachedNode does; its
//   cas_supported() is false (nullopt before its first answered call).
//
// Not modelled: flags, replace/prepend/incr/decr, slab classes, a timed-out
// write that lands after thaw (a frozen model applies nothing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/save_path.h"
#include "store/store_node.h"
#include "util/clock.h"

namespace clustered::testing {

class MemcachedModel {
 public:
  struct Limits {
    std::size_t item_size_max = 1024 * 1024;      // memcached -I
    std::size_t memory_limit = 64 * 1024 * 1024;  // memcached -m
  };
  // memcached 1.6 on 64 bits: item header (48) + CAS (8) + the key's NUL (1) +
  // the value's CRLF (2).
  static constexpr std::size_t kItemOverhead = 59;
  static constexpr std::size_t kMaxKeyLength = 250;
  static constexpr std::uint32_t kMaxRelativeTtl = 60 * 60 * 24 * 30;

  // What memcached's "stats" would show of the same name (since the last start).
  struct Stats {
    std::uint64_t cmd_get = 0;
    std::uint64_t get_hits = 0;
    std::uint64_t get_misses = 0;
    std::uint64_t cmd_set = 0;  // set, add, cas and append
    std::uint64_t cmd_touch = 0;
    std::uint64_t delete_hits = 0;
    std::uint64_t delete_misses = 0;
    std::uint64_t evictions = 0;  // live items dropped to make room (not expired ones)
  };

  // `clock` is the server's clock; it must outlive the model. (Two constructors,
  // not `Limits limits = {}`: a nested struct's member initializers cannot serve
  // as a default argument inside its own class.)
  MemcachedModel(NodeAddress address, const clustered::Clock& clock);
  MemcachedModel(NodeAddress address, const clustered::Clock& clock, Limits limits);
  MemcachedModel(const MemcachedModel&) = delete;
  MemcachedModel& operator=(const MemcachedModel&) = delete;

  const NodeAddress& address() const { return address_; }

  // A StoreNode that talks to this model, which must outlive it. TTLs go through
  // unchanged (see above).
  std::unique_ptr<clustered::StoreNode> client();
  // A StoreNode that turns TTLs over 30 days into absolute times with the app
  // process's clock first, as MemcachedNode does. `app_clock` must outlive it.
  std::unique_ptr<clustered::StoreNode> client(const clustered::Clock& app_clock);

  // Faults.
  void restart();  // a new process: empty, new pid, uptime 0, CAS and stats from 0
  void freeze();   // SIGSTOP: every call returns kTimeout and calls on_timeout
  void thaw();
  void stop();   // killed: every call returns kDown
  void start();  // a new process (as restart()); does nothing when running
  bool frozen() const { return frozen_; }
  bool running() const { return running_; }
  // Called once per timed-out call, so a simulator can move its clock by io_timeout.
  std::function<void()> on_timeout;
  // Applies to later stores; items already stored stay.
  void set_item_size_max(std::size_t bytes) { limits_.item_size_max = bytes; }
  // memcached -C when false (on by default). Applies to later calls and stores.
  void set_cas_enabled(bool enabled) { cas_enabled_ = enabled; }
  // Whether a client learns the item size limit ("stats settings" answered, as
  // memcached does); false: it only finds out when a store is refused.
  void set_limit_reported(bool reported) { limit_reported_ = reported; }
  bool cas_enabled() const { return cas_enabled_; }
  // Evicts (least recently used first) until the live items fit the new limit.
  void set_memory_limit(std::size_t bytes);
  // Evicts this one item, as memcached's LRU does when it needs room (counted in
  // evictions): the loss an app node cannot see in any reply. False when missing.
  bool evict(std::string_view key);

  // Stats.
  int pid() const { return pid_; }
  std::int64_t uptime_s() const { return now_s(); }
  const Stats& stats() const { return stats_; }
  std::uint64_t evictions() const { return stats_.evictions; }
  std::size_t item_count() const;  // live items only
  std::size_t bytes_used() const;  // footprints of the live items

  // Raw access for the test itself: counts in no stat and works while frozen
  // (a stopped model is empty). peek() and ttl_left() leave the LRU order alone.
  std::optional<std::string> peek(std::string_view key) const;
  // Stores like an outsider's set (new CAS token, most recently used, `ttl` as
  // on the wire), without checking the key or the item size.
  void poke(std::string_view key, std::string_view value, std::uint32_t ttl);
  // Seconds until the item expires; nullopt when missing, 0 when it never does.
  std::optional<std::int64_t> ttl_left(std::string_view key) const;

 private:
  class Client;
  friend class Client;

  struct Item {
    std::string value;
    std::uint64_t cas = 0;
    std::int64_t expires_at = 0;  // server seconds (see now_s()); 0 = never
    std::size_t footprint = 0;
    std::list<std::string>::iterator lru_position;
  };
  using Items = std::map<std::string, Item, std::less<>>;

  // kMetaSet: "ms" (set_checked), a set or, with a token, a cas, that unlinks the
  // stored item when the new one does not fit (as memcached 1.6.18 does).
  // kMetaAdd: "ms ... ME" (add_checked), an add that answers the new token.
  enum class Store : std::uint8_t { kSet, kAdd, kCas, kAppend, kMetaSet, kMetaAdd };

  // The commands as the server runs them, `ttl` as it came over the wire.
  clustered::StoreReply get(std::string_view key);
  clustered::StoreReply store(Store command, std::string_view key, std::string_view value,
                              std::uint32_t ttl, std::uint64_t cas);
  clustered::StoreReply touch(std::string_view key, std::uint32_t ttl);
  clustered::StoreReply remove(std::string_view key);
  clustered::StoreReply ping();
  // kDown or kTimeout when the server cannot answer at all; nullopt when it can.
  std::optional<clustered::StoreReply> unreachable();

  // Seconds since this process started: memcached's current_time.
  std::int64_t now_s() const;
  std::int64_t expiry_from_ttl(std::uint32_t ttl) const;
  bool expired(const Item& item) const;
  // The live item under `key`, or nullptr (an expired one is unlinked first).
  Item* find_live(std::string_view key);
  const Item* find_live(std::string_view key) const;
  void link(std::string_view key, std::string value, std::int64_t expires_at);
  void unlink(Items::iterator item);
  void unlink(std::string_view key);
  void mark_used(Item& item);
  // Frees memory until `needed` more bytes fit: expired items first, then LRU.
  void make_room(std::size_t needed);
  void begin_process();

  NodeAddress address_;
  const clustered::Clock& clock_;
  Limits limits_;

  Items items_;
  std::list<std::string> lru_;    // most recently used first
  std::size_t bytes_stored_ = 0;  // footprints of every linked item, expired ones too
  std::uint64_t last_cas_ = 0;
  Stats stats_;

  int pid_ = 0;
  std::int64_t started_monotonic_ms_ = 0;
  std::int64_t started_wall_s_ = 0;
  bool running_ = true;
  bool frozen_ = false;
  bool cas_enabled_ = true;
  bool limit_reported_ = true;
};

}  // namespace clustered::testing
