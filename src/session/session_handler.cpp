#include "session/session_handler.h"

#include <sys/time.h>

#include <algorithm>
#include <ctime>

#include "sid/node_id.h"

namespace clustered {
namespace {

// How many forwards validate_sid() follows before giving up on an ID.
constexpr int kMaxForwardHops = 4;

// Longest ID the handler will look at: PHP's 256-character limit plus our suffix.
constexpr std::size_t kMaxIdLength = kMaxRandomLength + 2 + 2 * kMaxNodeIdLength;

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

// Versions grow with every write of a session and roughly follow wall time, so of
// two copies written on different nodes the later write also has the higher one.
std::uint64_t next_version(std::uint64_t previous) {
  timeval now{};
  gettimeofday(&now, nullptr);
  const auto micros =
      static_cast<std::uint64_t>(now.tv_sec) * 1000000ULL + static_cast<std::uint64_t>(now.tv_usec);
  return std::max<std::uint64_t>(previous + 1, micros);
}

RemoteOptions remote_options(const HandlerConfig& config) {
  RemoteOptions options;
  options.timeouts.connect = config.connect_timeout;
  options.timeouts.io = config.io_timeout;
  options.retry_interval_ms = config.retry_interval_ms;
  options.replicas = config.replicas;
  return options;
}

}  // namespace

struct SessionHandler::Loaded {
  std::string id;
  std::size_t store_index = 0;
  std::uint64_t version = 0;
  std::string data;
  bool owned = false;
  // Set when the local cache held exactly this version, synced, and memcached's
  // copy was last touched at this time: update_timestamp() then needs no lookup.
  std::optional<std::int64_t> synced_touched_at;
};

struct SessionHandler::Carried {
  // kFollow: the session already lives under target_id (a forward was found).
  CarryKind kind = CarryKind::kMigration;
  bool id_issued = false;
  std::string from_id;
  std::size_t from_store = 0;
  std::string data;
  std::uint64_t version = 0;
  std::optional<std::size_t> avoid_store;  // the store that is down (relocation)
  std::string target_id;                   // set by create_sid()
  std::size_t target_store = 0;
};

struct SessionHandler::Prefetched {
  enum class Kind { kFound, kMissing, kFailed } kind = Kind::kMissing;
  std::string id;
  std::string data;
  std::uint64_t version = 0;
  std::optional<std::int64_t> synced_touched_at;  // as in Loaded
  std::size_t store_index = 0;                    // of `id`, as read() would work it out
  bool owned = false;
  std::string error;
};

SessionHandler::SessionHandler(HandlerConfig config, std::vector<NodeAddress> nodes,
                               SharedSegment* shared)
    : config_(std::move(config)),
      private_counters_(shared == nullptr ? std::make_unique<Counters>() : nullptr),
      shared_(shared),
      counters_(shared != nullptr ? &shared->counters() : private_counters_.get()),
      cache_(shared != nullptr ? shared->cache() : nullptr),
      remote_(std::move(nodes), remote_options(config_),
              shared != nullptr ? &shared->health() : nullptr, counters_),
      private_watch_(shared == nullptr ? std::make_unique<TakeoverWatch>() : nullptr),
      takeovers_(remote_, cache_, shared != nullptr ? shared->takeover_watch() : *private_watch_,
                 *counters_) {}

SessionHandler::~SessionHandler() { release_lock(); }

void SessionHandler::update_request_settings(const RequestSettings& settings) {
  config_.apply(settings);
}

std::vector<std::string> SessionHandler::take_warnings() {
  std::vector<std::string> taken;
  taken.swap(warnings_);
  return taken;
}

void SessionHandler::warn(std::string message) {
  Counters::add(counters_->errors);
  warnings_.push_back(std::move(message));
}

std::string SessionHandler::key_for(std::string_view id) const {
  std::string key = config_.prefix;
  key.append(id);
  return key;
}

std::uint32_t SessionHandler::remote_ttl() const {
  return static_cast<std::uint32_t>(
      std::max<std::int64_t>(1, config_.gc_maxlifetime_s + config_.touch_interval_s));
}

// The local copy lives as long as the remote one (gc_maxlifetime + touch_interval):
// both are extended at most once per touch_interval, and the extra interval keeps
// a session alive at least gc_maxlifetime after its last request.
std::int64_t SessionHandler::local_expiry(std::int64_t now) const {
  return now + static_cast<std::int64_t>(remote_ttl());
}

bool SessionHandler::owned_here(const std::optional<SessionIdView>& parsed) {
  // A node that serves only new sessions still checks its notices here.
  return config_.trusts_local_copy() && cache_ != nullptr && parsed &&
         parsed->route == config_.route && remote_.index_of(parsed->store).has_value() &&
         takeovers_.trust_local_copies(config_.route, config_.takeover_check_interval_s,
                                       unix_now());
}

std::size_t SessionHandler::store_index_for(std::string_view id,
                                            const std::optional<SessionIdView>& parsed) {
  if (parsed) {
    if (auto index = remote_.index_of(parsed->store)) return *index;
  }
  return remote_.rendezvous_node(id);
}

Status SessionHandler::acquire_lock(std::string_view id, std::string_view key) {
  if (!config_.locking || shared_ == nullptr) return success();
  if (held_stripe_ && locked_id_ == id) return success();
  release_lock();
  const std::size_t stripe = LockTable::stripe_for(key);
  switch (shared_->locks().lock(stripe, config_.lock_timeout)) {
    case SessionLockResult::kAcquiredAfterWait:
      Counters::add(counters_->lock_waits);
      [[fallthrough]];
    case SessionLockResult::kAcquired:
      held_stripe_ = stripe;
      locked_id_ = id;
      return success();
    case SessionLockResult::kTimedOut:
      Counters::add(counters_->lock_waits);
      Counters::add(counters_->lock_timeouts);
      return Error{"timed out after " + std::to_string(config_.lock_timeout.count() / 1000) +
                   " s (clustered_session.lock_timeout) waiting for the lock of session " +
                   std::string(id)};
    case SessionLockResult::kFailed:
      break;
  }
  return Error{"cannot take the lock of session " + std::string(id)};
}

bool SessionHandler::lock_held_for(std::string_view id) const {
  return !config_.locking || shared_ == nullptr || (held_stripe_ && locked_id_ == id);
}

void SessionHandler::release_lock() {
  if (held_stripe_ && shared_ != nullptr) shared_->locks().unlock(*held_stripe_);
  held_stripe_.reset();
  locked_id_.clear();
}

void SessionHandler::reset_request_state() {
  loaded_.reset();
  carried_.reset();
  prefetched_.reset();
  created_ids_.clear();
}

Status SessionHandler::open() { return success(); }

Status SessionHandler::close() {
  Status result = success();
  // read_and_close, session_abort() and an unchanged session after a rewrite end
  // here without a write: the carried data must still reach its new ID.
  if (carried_ && loaded_ && carried_->target_id == loaded_->id) {
    result = finish_carry(loaded_->id, loaded_->data);
  }
  release_lock();
  reset_request_state();
  return result;
}

bool SessionHandler::validate_sid(std::string_view id) {
  if (created_ids_.count(id) != 0) return false;  // new: does not exist yet
  if (!is_key_safe_session_id(id, kMaxIdLength)) return false;
  // Well-formed but too long for a memcached key (a random part of 238..256
  // characters): refused like any unknown ID, so the client gets a fresh one
  // instead of a failed session_start() on every request.
  const std::string id_key = key_for(id);
  if (id_key.size() > kMaxMemcachedKey) return false;
  const std::optional<SessionIdView> parsed = parse_session_id_view(id);
  if (!parsed || !remote_.index_of(parsed->store)) return false;
  // Reads this node's takeover notices first when they are due, so that a copy
  // another node has taken over since is not served from here.
  const bool trusted =
      config_.trusts_local_copy() && cache_ != nullptr &&
      takeovers_.trust_local_copies(config_.route, config_.takeover_check_interval_s, unix_now());

  prefetched_ = std::make_unique<Prefetched>();
  prefetched_->id = id;
  if (auto locked = acquire_lock(id, id_key); !locked) {
    prefetched_->kind = Prefetched::Kind::kFailed;
    prefetched_->error = locked.error();
    return true;  // read() reports the failure; a new ID would hide it
  }

  // A session that moved (taken over or relocated) leaves a forward under its old
  // key, so requests still carrying the old ID (parallel requests of one page, a
  // late response) follow it instead of starting empty.
  std::string_view current = id;
  std::string forwarded;      // the ID the last forward pointed to
  std::string forwarded_key;  // and its key
  for (int hop = 0; hop <= kMaxForwardHops; ++hop) {
    const std::optional<SessionIdView> at = hop == 0 ? parsed : parse_session_id_view(current);
    if (!at) return false;
    const std::optional<std::size_t> store_index = remote_.index_of(at->store);
    if (!store_index) return false;
    const std::size_t store = *store_index;
    if (hop > 0) forwarded_key = key_for(current);
    const std::string& key = hop == 0 ? id_key : forwarded_key;
    const bool owned = trusted && at->route == config_.route;

    if (trusted) {
      if (auto hit = cache_->get(key, unix_now())) {
        if (hit->forward) {
          forwarded = std::move(hit->data);
          current = forwarded;
          continue;
        }
        if (owned) {
          Counters::add(counters_->local_hits);
          if (validate_owned_hit(current, key, store, std::move(*hit))) {
            if (current == id) return true;
            follow_to(current);
          }
          return false;
        }
      } else if (owned) {
        Counters::add(counters_->local_misses);
      }
    }

    const RemoteRead fetched = remote_.read(store, key);
    if (fetched.kind == RemoteRead::Kind::kMissing) return false;
    if (fetched.kind == RemoteRead::Kind::kFailed) {
      prefetched_->kind = Prefetched::Kind::kFailed;
      prefetched_->error = "cannot read session: " + fetched.error;
      return true;
    }
    if (fetched.value.forward) {
      forwarded = fetched.value.payload;
      current = forwarded;
      continue;
    }
    const bool from_replica = fetched.source_node != store;
    if (trusted && (!owned || from_replica)) {
      carry(owned ? CarryKind::kRelocation : CarryKind::kMigration, current, store,
            fetched.value.payload, fetched.value.version,
            from_replica ? std::optional<std::size_t>(store) : std::nullopt);
      return false;
    }
    prefetched_->kind = Prefetched::Kind::kFound;
    prefetched_->id = current;
    prefetched_->data = fetched.value.payload;
    prefetched_->version = fetched.value.version;
    prefetched_->store_index = store;
    prefetched_->owned = owned;
    if (owned && current == id) {
      // Ours, but not in the cache (this node restarted, or evicted it): keep it
      // there so the next requests are served locally again. Stored under this
      // ID's lock, so no newer local write can be overwritten. When the remote TTL
      // was last refreshed is unknown (remote_touched_at stays 0): the next
      // unchanged request touches it.
      cache_fetched(key, fetched.value, store);
    }
    if (current == id) return true;
    follow_to(current);
    return false;
  }
  return false;  // a chain of forwards this long is not ours
}

bool SessionHandler::validate_owned_hit(std::string_view id, const std::string& key,
                                        std::size_t store, CachedSession hit) {
  bool store_ok = remote_.is_up(store);
  std::optional<std::int64_t> synced_touched_at;
  if (!hit.unsynced) synced_touched_at = hit.remote_touched_at;
  if (hit.unsynced && store_ok) {
    // The last write-through failed: retry it now, before serving.
    const RemoteWrite retried = remote_.write(store, key, hit.version, hit.data, remote_ttl());
    store_ok = retried.stored;
    if (store_ok) {
      const std::int64_t now = unix_now();
      cache_->refresh(key, local_expiry(now), now, hit.version);
      synced_touched_at = now;
    }
  }
  // Moving the session needs another node believed up; with none (a one-node
  // save_path, or all down) a new ID would only name a dead node again: the
  // session stays here, unsynced, and is written when its node is back.
  bool another_up = false;
  for (std::size_t i = 0; i < remote_.node_count(); ++i) {
    if (i != store && remote_.is_up(i)) another_up = true;
  }
  if (store_ok || !another_up) {
    prefetched_->kind = Prefetched::Kind::kFound;
    prefetched_->id = id;
    prefetched_->data = std::move(hit.data);
    prefetched_->version = hit.version;
    prefetched_->synced_touched_at = synced_touched_at;
    prefetched_->store_index = store;
    prefetched_->owned = true;  // only owned sessions are validated from the cache
    return true;
  }
  // The store node is down: this node's copy goes to another node, under a new ID.
  carry(CarryKind::kRelocation, id, store, std::move(hit.data), hit.version, store);
  return false;
}

void SessionHandler::carry(CarryKind kind, std::string_view from_id, std::size_t from_store,
                           std::string data, std::uint64_t version,
                           std::optional<std::size_t> avoid_store) {
  carried_ = std::make_unique<Carried>();
  carried_->kind = kind;
  carried_->from_id = from_id;
  carried_->from_store = from_store;
  carried_->data = std::move(data);
  carried_->version = version;
  carried_->avoid_store = avoid_store;
  prefetched_.reset();
}

void SessionHandler::follow_to(std::string_view target) {
  carried_ = std::make_unique<Carried>();
  carried_->kind = CarryKind::kFollow;
  carried_->target_id = target;
}

Result<std::string> SessionHandler::create_sid() {
  if (carried_ && carried_->kind == CarryKind::kFollow && !carried_->id_issued) {
    carried_->id_issued = true;
    return carried_->target_id;  // the ID the session already moved to
  }
  auto random = make_random_part(config_.sid_length, config_.sid_bits_per_character, system_entropy());
  if (!random) return Error{random.error()};
  const bool carrying = carried_ && !carried_->id_issued;
  std::optional<std::size_t> store;
  if (carrying && !carried_->avoid_store && remote_.is_up(carried_->from_store)) {
    store = carried_->from_store;  // migration: keep the store node that has the copy
  }
  if (!store) store = remote_.pick_live_node(carrying ? carried_->avoid_store : std::nullopt);
  if (!store) {
    // Every node is down: the session still gets an ID (and is kept locally until
    // a node answers); which node does not matter while none does.
    store = remote_.rendezvous_node(*random);
  }
  SessionId id{*random, remote_.address(*store).id, config_.route};
  std::string text = id.str();
  created_ids_.insert(text);
  if (carrying) {
    carried_->id_issued = true;
    carried_->target_id = text;
    carried_->target_store = *store;
  }
  return text;
}

Result<std::string_view> SessionHandler::read(std::string_view id) {
  // The common case: validate_sid() found this very ID, under this ID's lock (or
  // with locking off), and nothing is being carried to a new ID. What it checked
  // (key-safe, fits a key, names a node) holds, and what it found is still current.
  if (!carried_ && prefetched_ && prefetched_->kind == Prefetched::Kind::kFound &&
      prefetched_->id == id && lock_held_for(id)) {
    loaded_ = std::make_unique<Loaded>();
    loaded_->id = std::move(prefetched_->id);
    loaded_->store_index = prefetched_->store_index;
    loaded_->owned = prefetched_->owned;
    return take_prefetched();
  }
  if (!is_key_safe_session_id(id, kMaxIdLength)) {
    return Error{"session ID of " + std::to_string(id.size()) +
                 " bytes has characters outside [0-9a-zA-Z,-.] or is too long; refused"};
  }
  const std::string key = key_for(id);
  if (key.size() > kMaxMemcachedKey) {
    return Error{"memcached key for this session ID would be " + std::to_string(key.size()) +
                 " bytes, over memcached's 250; shorten clustered_session.prefix or "
                 "session.sid_length"};
  }
  const std::optional<SessionIdView> parsed = parse_session_id_view(id);
  loaded_ = std::make_unique<Loaded>();
  loaded_->id = id;
  loaded_->store_index = store_index_for(id, parsed);
  loaded_->owned = owned_here(parsed);

  if (carried_ && carried_->target_id == id && carried_->kind == CarryKind::kFollow) {
    carried_.reset();  // an existing session: read it like any other
  }
  if (carried_ && carried_->target_id == id) {
    loaded_->store_index = carried_->target_store;
    loaded_->data = carried_->data;
    loaded_->version = carried_->version;
    // Keeps holding the lock of the old ID: the new one is ours alone.
    return std::string_view(loaded_->data);
  }
  // validate_sid() could not take the lock (timed out) or read the session: say
  // so now, rather than wait for the lock a second time.
  if (prefetched_ && prefetched_->id == id && prefetched_->kind == Prefetched::Kind::kFailed) {
    const std::string error = std::move(prefetched_->error);
    prefetched_.reset();
    return Error{error};
  }
  const bool already_locked = held_stripe_.has_value() && locked_id_ == id;
  if (auto locked = acquire_lock(id, key); !locked) return Error{locked.error()};
  // What validate_sid() read before this ID's lock was ours may have changed since.
  if (!already_locked && config_.locking) prefetched_.reset();

  if (prefetched_ && prefetched_->id == id) {
    if (prefetched_->kind == Prefetched::Kind::kFailed) {
      const std::string error = std::move(prefetched_->error);
      prefetched_.reset();
      return Error{error};
    }
    return take_prefetched();
  }

  if (created_ids_.count(id) != 0) return std::string_view(loaded_->data);  // brand new: empty

  if (loaded_->owned) {
    if (auto hit = cache_->get(key, unix_now())) {
      Counters::add(counters_->local_hits);
      loaded_->data = std::move(hit->data);
      loaded_->version = hit->version;
      if (!hit->unsynced) loaded_->synced_touched_at = hit->remote_touched_at;
      return std::string_view(loaded_->data);
    }
    Counters::add(counters_->local_misses);
  }

  const RemoteRead fetched = remote_.read(loaded_->store_index, key);
  if (fetched.kind == RemoteRead::Kind::kFailed) {
    return Error{"cannot read session: " + fetched.error};
  }
  if (fetched.kind == RemoteRead::Kind::kFound) {
    loaded_->data = fetched.value.payload;
    loaded_->version = fetched.value.version;
    if (loaded_->owned) cache_fetched(key, fetched.value, loaded_->store_index);
  }
  return std::string_view(loaded_->data);
}

std::string_view SessionHandler::take_prefetched() {
  loaded_->data = std::move(prefetched_->data);
  loaded_->version = prefetched_->version;
  if (loaded_->owned) loaded_->synced_touched_at = prefetched_->synced_touched_at;
  prefetched_.reset();
  return loaded_->data;
}

void SessionHandler::cache_fetched(const std::string& key, const StoredValue& value,
                                   std::size_t store) {
  // When the remote TTL was last refreshed is unknown (remote_touched_at stays 0):
  // the next unchanged request touches it.
  const std::int64_t now = unix_now();
  CachedSession entry;
  entry.data = value.payload;
  entry.version = value.version;
  entry.expires_at = local_expiry(now);
  entry.store = remote_.address(store).id;
  cache_->put(key, entry, now);
}

Status SessionHandler::write_through(std::string_view id, std::string_view data) {
  const std::string key = key_for(id);
  const std::uint64_t previous = loaded_ && loaded_->id == id ? loaded_->version : 0;
  const std::uint64_t version = next_version(previous);
  const std::size_t store = loaded_ && loaded_->id == id
                                ? loaded_->store_index
                                : store_index_for(id, parse_session_id_view(id));
  const bool owned =
      loaded_ && loaded_->id == id ? loaded_->owned : owned_here(parse_session_id_view(id));
  const std::int64_t now = unix_now();

  // The local copy goes first, marked unsynced: whatever happens next, this node
  // never serves an older copy than the one it just tried to store.
  bool cached = false;
  if (owned) {
    CachedSession entry{std::string(data),        version, local_expiry(now), now, true,
                        remote_.address(store).id};
    cached = cache_->put(key, entry, now);
  }
  const RemoteWrite written = remote_.write(store, key, version, data, remote_ttl());
  if (written.stored) {
    if (cached) cache_->refresh(key, local_expiry(now), now, version);
    if (loaded_ && loaded_->id == id) {
      loaded_->version = version;
      loaded_->data = data;
      loaded_->synced_touched_at = cached ? std::optional<std::int64_t>(now) : std::nullopt;
    }
    if (!written.error.empty())
      warn("session written, but a replica write failed: " + written.error);
    return success();
  }
  if (written.refused_too_large) {
    if (cached) cache_->remove(key);  // the stored copy stays the valid one
    Counters::add(counters_->errors);
    return Error{"session data of " + std::to_string(data.size()) +
                 " bytes was refused (larger than the node's item size limit?); the "
                 "previously stored session is unchanged: " +
                 written.error};
  }
  if (cached) {
    warn("cannot write session " + std::string(id) + " through to memcached (" + written.error +
         "); kept on this node and retried on its next request");
    if (loaded_ && loaded_->id == id) {
      loaded_->version = version;
      loaded_->data = data;
      loaded_->synced_touched_at.reset();
    }
    return success();
  }
  Counters::add(counters_->errors);
  return Error{"cannot write session: " + written.error};
}

Status SessionHandler::finish_carry(std::string_view id, std::string_view data) {
  Status written = write_through(id, data);
  if (!written) return written;
  const Carried carried = std::move(*carried_);
  carried_.reset();
  Counters::add(carried.kind == CarryKind::kMigration ? counters_->migrations
                                                      : counters_->relocations);
  // Only now that the data is safe under the new ID, the old key becomes a
  // forward to it, here and on its store node (a dead store node is skipped).
  const std::string old_key = key_for(carried.from_id);
  const std::int64_t now = unix_now();
  if (cache_ != nullptr) {
    CachedSession forward{std::string(id), 0, local_expiry(now), now, false, "", true};
    if (!cache_->put(old_key, forward, now)) cache_->remove(old_key);
  }
  remote_.write_forward(carried.from_store, old_key, id, next_version(carried.version),
                        remote_ttl());
  // The old owner may still hold the session in its cache: tell it, now that the
  // forward is in place (the other way round it could fetch the old data again).
  if (carried.kind == CarryKind::kMigration) announce_takeover(carried.from_id, old_key, now);
  return success();
}

void SessionHandler::announce_takeover(std::string_view old_id, std::string_view old_key,
                                       std::int64_t now) {
  const std::optional<SessionIdView> old = parse_session_id_view(old_id);
  if (!old) return;  // only IDs with a route are taken over
  const std::string missed = takeovers_.announce(old->route, old_key, now);
  if (!missed.empty()) {
    warn("session taken over from " + std::string(old->route) + ", but the notice to it " +
         "could not be written (" + missed + "); it may serve its old copy of " +
         std::string(old_id) + " until it next finds a node that has the notice");
  }
}

Status SessionHandler::write(std::string_view id, std::string_view data) {
  if (carried_ && carried_->target_id == id) return finish_carry(id, data);
  if (loaded_ && loaded_->id == id && loaded_->data == data && loaded_->version != 0) {
    Counters::add(counters_->writes_skipped);
    return update_timestamp(id, data);
  }
  return write_through(id, data);
}

Status SessionHandler::update_timestamp(std::string_view id, std::string_view data) {
  if (carried_ && carried_->target_id == id) return finish_carry(id, data);
  if (!loaded_ || loaded_->id != id || loaded_->version == 0) return write_through(id, data);
  const std::int64_t now = unix_now();
  // The common case, decided without touching the cache: what read() found is
  // synced and memcached's TTL was refreshed within touch_interval. The local
  // expiry was set then too, to at least gc_maxlifetime from now (local_expiry()).
  if (loaded_->owned && loaded_->synced_touched_at &&
      now - *loaded_->synced_touched_at < config_.touch_interval_s) {
    Counters::add(counters_->touches_skipped);
    return success();
  }
  const std::string key = key_for(id);
  if (loaded_->owned) {
    const auto entry = cache_->get(key, now, /*copy_data=*/false);  // metadata is enough
    if (entry && entry->version == loaded_->version && !entry->unsynced &&
        now - entry->remote_touched_at < config_.touch_interval_s) {
      Counters::add(counters_->touches_skipped);
      cache_->refresh(key, local_expiry(now), entry->remote_touched_at);
      return success();
    }
  }
  Counters::add(counters_->touches);
  std::string error;
  switch (remote_.touch(loaded_->store_index, key, remote_ttl(), &error)) {
    case Reply::kOk:
      if (loaded_->owned) cache_->refresh(key, local_expiry(now), now);
      return success();
    case Reply::kNotFound:
    case Reply::kRefused:
      // The remote copy is gone (memcached restarted or evicted it): re-seed it.
      return write_through(id, data);
    case Reply::kNodeFailed:
      break;
  }
  return write_through(id, data);
}

Status SessionHandler::destroy(std::string_view id) {
  if (!is_key_safe_session_id(id, kMaxIdLength)) return success();  // can never have been stored
  const std::string key = key_for(id);
  if (cache_ != nullptr) cache_->remove(key);
  if (carried_ && carried_->target_id == id) {
    // Destroyed before the takeover was written: the old key still holds the
    // session and must go too, or the old cookie would bring it back.
    if (carried_->kind != CarryKind::kFollow) {
      const std::string old_key = key_for(carried_->from_id);
      if (cache_ != nullptr) cache_->remove(old_key);
      std::string ignored;
      remote_.remove(carried_->from_store, old_key, &ignored);
      if (carried_->kind == CarryKind::kMigration) {
        announce_takeover(carried_->from_id, old_key, unix_now());
      }
    }
    carried_.reset();
  }
  if (loaded_ && loaded_->id == id) loaded_->version = 0;
  std::string error;
  if (!remote_.remove(store_index_for(id, parse_session_id_view(id)), key, &error)) {
    Counters::add(counters_->errors);
    return Error{"cannot destroy session: " + error};
  }
  return success();
}

std::size_t SessionHandler::gc() {
  // memcached expires remote copies by their TTL; only the local cache is swept.
  return cache_ != nullptr ? cache_->sweep(unix_now()) : 0;
}

}  // namespace clustered
