// SPDX-License-Identifier: BSD-3-Clause
// Replies a test forces on some calls of a StoreNode, for what the memcached
// model cannot do by itself: one command failing while the others work (the
// forward's set times out after the data's set succeeded, the notice append is
// refused, a delete fails), or a reply no healthy server gives (NOT_STORED to a
// set, EXISTS, an error line). Every other call goes to the wrapped node.
//
//   StoreFaults faults;
//   auto node = with_faults(model.client(clock), faults);
//   faults.fail(StoreOp::kSet, "sess.", Failure::of(Cause::kTimeout), 1);
//
// `before` runs ahead of every call (faulted or not), so a test can change the
// world in the middle of a hook: another request writes, a server dies.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store_node.h"

namespace clustered::testing {

enum class StoreOp { kGet, kSet, kAdd, kCas, kAppend, kTouch, kRemove, kPing, kStats };

class StoreFaults {
 public:
  // The next `times` calls of `op` on a key that starts with `key_prefix` get
  // `reply` instead of reaching the node; `times` < 0: every such call. kPing
  // calls have an empty key. Rules are tried in the order they were added.
  void fail(StoreOp op, std::string_view key_prefix, clustered::StoreReply reply, int times = -1);
  void clear() { rules_.clear(); }

  // The forced reply for this call, if a rule has one (and uses it up).
  std::optional<clustered::StoreReply> take(StoreOp op, std::string_view key);
  // Calls of `op` that reached the wrapper (faulted ones included).
  std::uint64_t calls(StoreOp op) const { return calls_[static_cast<int>(op)]; }

  std::function<void(StoreOp op, std::string_view key)> before;

 private:
  struct Rule {
    StoreOp op;
    std::string key_prefix;
    clustered::StoreReply reply;
    int times;
  };
  std::vector<Rule> rules_;
  std::uint64_t calls_[9] = {};
};

// `node` with `faults` in front of it; `faults` must outlive the result.
std::unique_ptr<clustered::StoreNode> with_faults(std::unique_ptr<clustered::StoreNode> node,
                                                  StoreFaults& faults);

}  // namespace clustered::testing
