// The save handler's logic, one PHP hook per method, in core terms. ext/ calls
// these and turns the results into PHP return values and warnings.
//
// Request flows (DESIGN.md §1): a session whose ID carries this node's route is
// served from the shared cache; any other is fetched through its <store> suffix
// and, in strict mode, taken over under a new ID with this node's route
// (migration); an owned session whose store node is down is written to another
// node under a new ID (relocation). ID rewrites ride on PHP's strict-mode path:
// validate_sid() fails -> create_sid() -> read(new id) returns the carried data.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "session/handler_config.h"
#include "session/takeovers.h"
#include "node/shared_segment.h"
#include "sid/session_id.h"
#include "store/remote_store.h"
#include "util/result.h"

namespace clustered {

class SessionHandler {
 public:
  // `shared` may be null (no shared memory: counters and health stay private).
  SessionHandler(HandlerConfig config, std::vector<NodeAddress> nodes, SharedSegment* shared);
  ~SessionHandler();
  SessionHandler(const SessionHandler&) = delete;
  SessionHandler& operator=(const SessionHandler&) = delete;

  // Per-request settings (prefix, lifetimes, strict mode) may change between
  // requests; nodes and timeouts may not (a new handler is made for those).
  void update_request_settings(const RequestSettings& settings);
  const HandlerConfig& config() const { return config_; }
  RemoteStore& remote() { return remote_; }
  Counters& counters() { return *counters_; }

  // The nine hooks, with mod_files.c's contract:
  Status open();
  // Finishes a pending migration/relocation write, releases the session lock.
  Status close();
  // A missing session is an empty string; a store that cannot answer is an error.
  // The data stays valid until the next call on this handler (no copy is made).
  Result<std::string_view> read(std::string_view id);
  Status write(std::string_view id, std::string_view data);
  // A missing key is not an error.
  Status destroy(std::string_view id);
  std::size_t gc();
  Result<std::string> create_sid();
  // True when the ID may be used as it is: it parses, names a known node and the
  // session exists and is owned here. False makes PHP ask for a new ID.
  bool validate_sid(std::string_view id);
  Status update_timestamp(std::string_view id, std::string_view data);

  // Non-fatal problems met during the last call (each to be shown once).
  std::vector<std::string> take_warnings();

 private:
  enum class CarryKind { kMigration, kRelocation, kFollow };
  struct Loaded;      // what read() found for the current ID
  struct Carried;     // data moving to a new ID (migration or relocation)
  struct Prefetched;  // what validate_sid() found, handed to read()

  bool validate_owned_hit(std::string_view id, const std::string& key, std::size_t store,
                          CachedSession hit);
  void carry(CarryKind kind, std::string_view from_id, std::size_t from_store, std::string data,
             std::uint64_t version, std::optional<std::size_t> avoid_store);
  void follow_to(std::string_view target);
  std::string key_for(std::string_view id) const;
  std::size_t store_index_for(std::string_view id, const std::optional<SessionIdView>& parsed);
  bool owned_here(const std::optional<SessionIdView>& parsed);
  // `key` is key_for(id), which every caller already has.
  Status acquire_lock(std::string_view id, std::string_view key);
  void release_lock();
  // True when this request may work on `id` now: its lock is ours, or none is needed.
  bool lock_held_for(std::string_view id) const;
  Status write_through(std::string_view id, std::string_view data);
  // Moves what validate_sid() found for loaded_'s ID into loaded_; returns its data.
  std::string_view take_prefetched();
  // Keeps an owned session just read from memcached in the local cache.
  void cache_fetched(const std::string& key, const StoredValue& value, std::size_t store);
  Status finish_carry(std::string_view id, std::string_view data);
  void announce_takeover(std::string_view old_id, std::string_view old_key, std::int64_t now);
  std::uint32_t remote_ttl() const;
  std::int64_t local_expiry(std::int64_t now) const;
  void warn(std::string message);
  void reset_request_state();

  HandlerConfig config_;
  std::unique_ptr<Counters> private_counters_;
  SharedSegment* shared_;
  Counters* counters_;
  SessionCache* cache_;
  RemoteStore remote_;
  std::unique_ptr<TakeoverWatch> private_watch_;  // without shared memory
  Takeovers takeovers_;

  std::unique_ptr<Loaded> loaded_;
  std::unique_ptr<Carried> carried_;
  std::unique_ptr<Prefetched> prefetched_;
  std::set<std::string, std::less<>> created_ids_;  // less<>: looked up by string_view
  std::optional<std::size_t> held_stripe_;
  std::string locked_id_;
  std::vector<std::string> warnings_;
};

}  // namespace clustered
