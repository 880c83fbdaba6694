// SPDX-License-Identifier: BSD-3-Clause
#include "support/store_faults.h"

#include <utility>

namespace clustered::testing {

using clustered::StoreNode;
using clustered::StoreReply;

void StoreFaults::fail(StoreOp op, std::string_view key_prefix, StoreReply reply, int times) {
  rules_.push_back(Rule{op, std::string(key_prefix), std::move(reply), times});
}

std::optional<StoreReply> StoreFaults::take(StoreOp op, std::string_view key) {
  ++calls_[static_cast<int>(op)];
  if (before) before(op, key);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (it->op != op || it->times == 0 || !key.starts_with(it->key_prefix)) continue;
    StoreReply reply = it->reply;
    if (it->times > 0) --it->times;
    return reply;
  }
  return std::nullopt;
}

namespace {

class FaultyNode final : public StoreNode {
 public:
  FaultyNode(std::unique_ptr<StoreNode> node, StoreFaults& faults)
      : node_(std::move(node)), faults_(faults) {}

  const clustered::NodeAddress& address() const override { return node_->address(); }
  StoreReply get(std::string_view key) override {
    return call(StoreOp::kGet, key, [&] { return node_->get(key); });
  }
  StoreReply set(std::string_view key, std::string_view value, std::uint32_t ttl) override {
    return call(StoreOp::kSet, key, [&] { return node_->set(key, value, ttl); });
  }
  StoreReply add(std::string_view key, std::string_view value, std::uint32_t ttl) override {
    return call(StoreOp::kAdd, key, [&] { return node_->add(key, value, ttl); });
  }
  StoreReply cas(std::string_view key, std::string_view value, std::uint32_t ttl,
                 std::uint64_t token) override {
    return call(StoreOp::kCas, key, [&] { return node_->cas(key, value, ttl, token); });
  }
  // A write of the item, as set is: the faults of kSet apply.
  StoreReply set_checked(std::string_view key, std::string_view value, std::uint32_t ttl,
                         std::uint64_t expected_cas) override {
    return call(StoreOp::kSet, key,
                [&] { return node_->set_checked(key, value, ttl, expected_cas); });
  }
  StoreReply append(std::string_view key, std::string_view value) override {
    return call(StoreOp::kAppend, key, [&] { return node_->append(key, value); });
  }
  StoreReply touch(std::string_view key, std::uint32_t ttl) override {
    return call(StoreOp::kTouch, key, [&] { return node_->touch(key, ttl); });
  }
  StoreReply remove(std::string_view key) override {
    return call(StoreOp::kRemove, key, [&] { return node_->remove(key); });
  }
  StoreReply stats(clustered::ServerStats& out) override {
    return call(StoreOp::kStats, {}, [&] { return node_->stats(out); });
  }
  StoreReply ping() override {
    return call(StoreOp::kPing, {}, [&] { return node_->ping(); });
  }
  std::optional<bool> cas_supported() const override { return node_->cas_supported(); }
  std::uint64_t connections() const override { return node_->connections(); }
  std::optional<ServerStats> identity() const override { return node_->identity(); }
  StoreReply add_checked(std::string_view key, std::string_view value, std::uint32_t ttl) override {
    return call(StoreOp::kSet, key, [&] { return node_->add_checked(key, value, ttl); });
  }
  std::optional<Failure> refuses_size(std::string_view key, std::size_t size) const override {
    return node_->refuses_size(key, size);
  }

 private:
  template <class Call>
  StoreReply call(StoreOp op, std::string_view key, Call real) {
    if (auto forced = faults_.take(op, key)) return *forced;
    return real();
  }

  std::unique_ptr<StoreNode> node_;
  StoreFaults& faults_;
};

}  // namespace

std::unique_ptr<StoreNode> with_faults(std::unique_ptr<StoreNode> node, StoreFaults& faults) {
  return std::make_unique<FaultyNode>(std::move(node), faults);
}

}  // namespace clustered::testing
