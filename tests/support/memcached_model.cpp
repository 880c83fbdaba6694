// SPDX-License-Identifier: BSD-3-Clause
#include "support/memcached_model.h"

#include <climits>
#include <utility>

namespace clustered::testing {
namespace {

using clustered::Cause;
using clustered::StoreReply;

// Only to tell processes apart; a real pid would do no better.
constexpr int kFirstPid = 1000;

bool valid_key(std::string_view key) {
  if (key.empty() || key.size() > MemcachedModel::kMaxKeyLength) return false;
  for (const char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= ' ' || byte == 0x7f) return false;
  }
  return true;
}

std::size_t footprint(std::string_view key, std::size_t value_size) {
  return key.size() + value_size + MemcachedModel::kItemOverhead;
}

StoreReply bad_key() {
  return Failure::of(Cause::kRefused, "CLIENT_ERROR bad command line format");
}

StoreReply stored(std::uint64_t cas) { return clustered::StoreItem{std::nullopt, cas}; }

}  // namespace

// One app process's connection to the model.
class MemcachedModel::Client final : public clustered::StoreNode {
 public:
  Client(MemcachedModel& model, const clustered::Clock* app_clock)
      : model_(model), app_clock_(app_clock) {}

  const NodeAddress& address() const override { return model_.address(); }

  StoreReply get(std::string_view key) override {
    if (auto down = reach()) return *down;
    return model_.get(key);
  }
  StoreReply set(std::string_view key, std::string_view value, std::uint32_t ttl) override {
    if (auto down = reach()) return *down;
    return model_.store(Store::kSet, key, value, wire_ttl(ttl), 0);
  }
  StoreReply add(std::string_view key, std::string_view value, std::uint32_t ttl) override {
    if (auto down = reach()) return *down;
    return model_.store(Store::kAdd, key, value, wire_ttl(ttl), 0);
  }
  StoreReply cas(std::string_view key, std::string_view value, std::uint32_t ttl,
                 std::uint64_t cas) override {
    if (auto down = reach()) return *down;
    if (!model_.cas_enabled_) return no_cas();
    return model_.store(Store::kCas, key, value, wire_ttl(ttl), cas);
  }
  StoreReply set_checked(std::string_view key, std::string_view value, std::uint32_t ttl,
                         std::uint64_t expected_cas) override {
    if (auto down = reach()) return *down;
    if (!model_.cas_enabled_) return no_cas();
    return model_.store(Store::kMetaSet, key, value, wire_ttl(ttl), expected_cas);
  }
  StoreReply add_checked(std::string_view key, std::string_view value, std::uint32_t ttl) override {
    if (auto down = reach()) return *down;
    if (!model_.cas_enabled_) return no_cas();
    return model_.store(Store::kMetaAdd, key, value, wire_ttl(ttl), 0);
  }
  StoreReply append(std::string_view key, std::string_view value) override {
    if (auto down = reach()) return *down;
    return model_.store(Store::kAppend, key, value, 0, 0);
  }
  StoreReply touch(std::string_view key, std::uint32_t ttl) override {
    if (auto down = reach()) return *down;
    return model_.touch(key, wire_ttl(ttl));
  }
  StoreReply remove(std::string_view key) override {
    if (auto down = reach()) return *down;
    return model_.remove(key);
  }
  StoreReply ping() override {
    if (auto down = reach()) return *down;
    return model_.ping();
  }
  StoreReply stats(clustered::ServerStats& out) override {
    if (auto down = reach()) return *down;
    out.pid = model_.pid();
    out.started_at_s = model_.clock_.wall_s() - model_.uptime_s();
    out.uptime_s = model_.uptime_s();
    out.evictions = model_.evictions();
    return {};
  }
  std::optional<bool> cas_supported() const override {
    if (connections_ == 0) return std::nullopt;
    return model_.cas_enabled_;
  }
  std::uint64_t connections() const override { return connections_; }
  std::optional<clustered::ServerStats> identity() const override { return identity_; }
  std::optional<clustered::Failure> refuses_size(std::string_view key,
                                                 std::size_t value_size) const override {
    // Known once a call answered, as a real client learns it from "stats settings".
    if (connections_ == 0 || !model_.limit_reported_ ||
        footprint(key, value_size) <= model_.limits_.item_size_max) {
      return std::nullopt;
    }
    return clustered::Failure::of(clustered::Cause::kTooLarge,
                                  "item larger than the node's item size limit (memcached -I)");
  }

 private:
  std::uint32_t wire_ttl(std::uint32_t ttl) const {
    if (app_clock_ == nullptr) return ttl;
    return clustered::memcached_expiry(ttl, app_clock_->wall_s());
  }

  // kDown or kTimeout when the server cannot answer (the connection is gone
  // then); else counts a new connection when the last one is gone.
  std::optional<StoreReply> reach() {
    if (auto down = model_.unreachable()) {
      connected_to_ = 0;
      return down;
    }
    if (connected_to_ != model_.pid()) {
      connected_to_ = model_.pid();
      ++connections_;
      identity_ = clustered::ServerStats{model_.pid(), model_.clock_.wall_s() - model_.uptime_s(),
                                         model_.uptime_s(), 0};
    }
    return std::nullopt;
  }
  static StoreReply no_cas() {
    return Failure::of(Cause::kNoCas, "the server gives no CAS tokens (memcached -C)");
  }

  MemcachedModel& model_;
  const clustered::Clock* app_clock_;  // null: TTLs go on the wire unchanged
  int connected_to_ = 0;               // the pid of the process connected to; 0: none
  std::uint64_t connections_ = 0;
  std::optional<clustered::ServerStats> identity_;  // of connected_to_, when it was reached
};

MemcachedModel::MemcachedModel(NodeAddress address, const clustered::Clock& clock)
    : MemcachedModel(std::move(address), clock, Limits{}) {}

MemcachedModel::MemcachedModel(NodeAddress address, const clustered::Clock& clock, Limits limits)
    : address_(std::move(address)), clock_(clock), limits_(limits), pid_(kFirstPid - 1) {
  begin_process();
}

std::unique_ptr<clustered::StoreNode> MemcachedModel::client() {
  return std::make_unique<Client>(*this, nullptr);
}

std::unique_ptr<clustered::StoreNode> MemcachedModel::client(const clustered::Clock& app_clock) {
  return std::make_unique<Client>(*this, &app_clock);
}

// --- Faults ---

void MemcachedModel::begin_process() {
  items_.clear();
  lru_.clear();
  bytes_stored_ = 0;
  last_cas_ = 0;
  stats_ = {};
  ++pid_;
  started_monotonic_ms_ = clock_.monotonic_ms();
  started_wall_s_ = clock_.wall_s();
  running_ = true;
  frozen_ = false;
}

void MemcachedModel::restart() { begin_process(); }

void MemcachedModel::freeze() { frozen_ = true; }

void MemcachedModel::thaw() { frozen_ = false; }

void MemcachedModel::stop() {
  // A dead process holds nothing; peek() must not see the old items.
  items_.clear();
  lru_.clear();
  bytes_stored_ = 0;
  running_ = false;
  frozen_ = false;
}

void MemcachedModel::start() {
  if (!running_) begin_process();
}

void MemcachedModel::set_memory_limit(std::size_t bytes) {
  limits_.memory_limit = bytes;
  make_room(0);
}

bool MemcachedModel::evict(std::string_view key) {
  if (!running_ || find_live(key) == nullptr) return false;
  unlink(key);
  ++stats_.evictions;
  return true;
}

std::optional<StoreReply> MemcachedModel::unreachable() {
  if (!running_) return Failure::of(Cause::kDown, "connection refused");
  if (frozen_) {
    if (on_timeout) on_timeout();
    return Failure::of(Cause::kTimeout, "timed out (frozen)");
  }
  return std::nullopt;
}

// --- Commands ---

StoreReply MemcachedModel::get(std::string_view key) {
  if (!valid_key(key)) return bad_key();
  ++stats_.cmd_get;
  Item* item = find_live(key);
  if (item == nullptr) {
    ++stats_.get_misses;
    return Failure::of(Cause::kNotFound, "END");
  }
  ++stats_.get_hits;
  mark_used(*item);
  return clustered::StoreItem{item->value, item->cas};
}

StoreReply MemcachedModel::store(Store command, std::string_view key, std::string_view value,
                                 std::uint32_t ttl, std::uint64_t cas) {
  if (!valid_key(key)) return bad_key();
  ++stats_.cmd_set;
  // memcached allocates the new item before it looks at the old one, so size
  // errors come first, whatever the command.
  const std::size_t size = footprint(key, value.size());
  if (size > limits_.item_size_max || size > limits_.memory_limit) {
    // "Avoid stale data persisting in cache because we failed alloc" (memcached): SET only.
    Failure refused =
        Failure::of(size > limits_.item_size_max ? Cause::kTooLarge : Cause::kOutOfMemory,
                    size > limits_.item_size_max ? "SERVER_ERROR object too large for cache"
                                                 : "SERVER_ERROR out of memory storing object");
    if (command == Store::kSet || command == Store::kMetaSet) {
      refused.stored_copy_dropped = find_live(key) != nullptr;
      unlink(key);
    }
    return refused;
  }

  Item* existing = find_live(key);
  std::string new_value(value);
  std::int64_t expires_at = expiry_from_ttl(ttl);
  switch (command) {
    case Store::kSet:
      break;
    case Store::kAdd:
    case Store::kMetaAdd:
      if (existing != nullptr) {
        mark_used(*existing);  // memcached bumps an item that an add found
        return Failure::of(Cause::kNotStored, "NOT_STORED");
      }
      break;
    case Store::kMetaSet:
      if (cas == 0) break;
      [[fallthrough]];
    case Store::kCas:
      if (existing == nullptr) return Failure::of(Cause::kNotFound, "NOT_FOUND");
      if (existing->cas != cas) return Failure::of(Cause::kExists, "EXISTS");
      break;
    case Store::kAppend: {
      if (existing == nullptr) return Failure::of(Cause::kNotStored, "NOT_STORED");
      const std::size_t grown = footprint(key, existing->value.size() + value.size());
      // memcached 1.6.18 answers NOT_STORED (not an error) when the result cannot be allocated.
      if (grown > limits_.item_size_max || grown > limits_.memory_limit) {
        return Failure::of(Cause::kNotStored, "NOT_STORED");
      }
      new_value = existing->value + new_value;
      expires_at = existing->expires_at;
      break;
    }
  }
  unlink(key);  // replaced: its memory is free for the new item
  link(key, std::move(new_value), expires_at);
  return stored(cas_enabled_ ? last_cas_ : 0);
}

StoreReply MemcachedModel::touch(std::string_view key, std::uint32_t ttl) {
  if (!valid_key(key)) return bad_key();
  ++stats_.cmd_touch;
  Item* item = find_live(key);
  if (item == nullptr) return Failure::of(Cause::kNotFound, "NOT_FOUND");
  item->expires_at = expiry_from_ttl(ttl);
  mark_used(*item);
  return {};
}

StoreReply MemcachedModel::remove(std::string_view key) {
  if (!valid_key(key)) return bad_key();
  if (find_live(key) == nullptr) {
    ++stats_.delete_misses;
    return Failure::of(Cause::kNotFound, "NOT_FOUND");
  }
  ++stats_.delete_hits;
  unlink(key);
  return {};
}

StoreReply MemcachedModel::ping() { return {}; }

// --- Time ---

std::int64_t MemcachedModel::now_s() const {
  return (clock_.monotonic_ms() - started_monotonic_ms_) / 1000;
}

std::int64_t MemcachedModel::expiry_from_ttl(std::uint32_t ttl) const {
  if (ttl == 0) return 0;
  // memcached reads exptime as a signed 32-bit number: negative expires at once.
  if (ttl > static_cast<std::uint32_t>(INT32_MAX)) return -1;
  if (ttl <= kMaxRelativeTtl) return now_s() + ttl;
  // An absolute Unix time; one before this process started is already past.
  const std::int64_t since_start = static_cast<std::int64_t>(ttl) - started_wall_s_;
  return since_start > 0 ? since_start : -1;
}

bool MemcachedModel::expired(const Item& item) const {
  return item.expires_at != 0 && item.expires_at <= now_s();
}

// --- Items and memory ---

MemcachedModel::Item* MemcachedModel::find_live(std::string_view key) {
  const auto found = items_.find(key);
  if (found == items_.end()) return nullptr;
  if (expired(found->second)) {
    unlink(found);
    return nullptr;
  }
  return &found->second;
}

const MemcachedModel::Item* MemcachedModel::find_live(std::string_view key) const {
  const auto found = items_.find(key);
  if (found == items_.end() || expired(found->second)) return nullptr;
  return &found->second;
}

void MemcachedModel::link(std::string_view key, std::string value, std::int64_t expires_at) {
  const std::size_t size = footprint(key, value.size());
  make_room(size);
  lru_.emplace_front(key);
  Item item;
  item.value = std::move(value);
  ++last_cas_;
  item.cas = cas_enabled_ ? last_cas_ : 0;  // memcached -C: every token is 0
  item.expires_at = expires_at;
  item.footprint = size;
  item.lru_position = lru_.begin();
  items_.emplace(std::string(key), std::move(item));
  bytes_stored_ += size;
}

void MemcachedModel::unlink(Items::iterator item) {
  bytes_stored_ -= item->second.footprint;
  lru_.erase(item->second.lru_position);
  items_.erase(item);
}

void MemcachedModel::unlink(std::string_view key) {
  const auto found = items_.find(key);
  if (found != items_.end()) unlink(found);
}

void MemcachedModel::mark_used(Item& item) { lru_.splice(lru_.begin(), lru_, item.lru_position); }

void MemcachedModel::make_room(std::size_t needed) {
  const auto fits = [&] { return bytes_stored_ + needed <= limits_.memory_limit; };
  if (fits()) return;
  for (auto it = items_.begin(); it != items_.end();) {
    auto next = std::next(it);
    if (expired(it->second)) unlink(it);
    it = next;
  }
  while (!fits() && !lru_.empty()) {
    unlink(lru_.back());
    ++stats_.evictions;
  }
}

// --- Raw access ---

std::size_t MemcachedModel::item_count() const {
  std::size_t count = 0;
  for (const auto& [key, item] : items_) count += expired(item) ? 0 : 1;
  return count;
}

std::size_t MemcachedModel::bytes_used() const {
  std::size_t bytes = 0;
  for (const auto& [key, item] : items_) bytes += expired(item) ? 0 : item.footprint;
  return bytes;
}

std::optional<std::string> MemcachedModel::peek(std::string_view key) const {
  const Item* item = find_live(key);
  if (item == nullptr) return std::nullopt;
  return item->value;
}

void MemcachedModel::poke(std::string_view key, std::string_view value, std::uint32_t ttl) {
  if (!running_) return;
  unlink(key);
  link(key, std::string(value), expiry_from_ttl(ttl));
}

std::optional<std::int64_t> MemcachedModel::ttl_left(std::string_view key) const {
  const Item* item = find_live(key);
  if (item == nullptr) return std::nullopt;
  if (item->expires_at == 0) return 0;
  return item->expires_at - now_s();
}

}  // namespace clustered::testing
