// SPDX-License-Identifier: BSD-3-Clause
#include "session/departed_nodes.h"

#include <algorithm>
#include <utility>

namespace clustered {

std::string save_path_text(const std::vector<NodeAddress>& nodes) {
  std::string text;
  for (const NodeAddress& node : nodes) {
    if (node.departed) continue;
    if (!text.empty()) text += ',';
    text += node.id + "=" + node.endpoint();
    if (node.role != NodeRole::kActive) text += std::string(";") + role_name(node.role);
  }
  return text;
}

std::vector<NodeAddress> with_departed_nodes(std::vector<NodeAddress> listed, SharedSegment* shared,
                                             std::int64_t now_s, std::int64_t keep_s) {
  if (shared == nullptr || listed.empty()) return listed;
  const SavePathMemory::Before before = shared->save_paths().note(save_path_text(listed), now_s);
  if (before.text.empty() || now_s - before.changed_at > keep_s) return listed;
  auto previous = parse_save_path(before.text);
  if (!previous) return listed;
  const auto lists = [&](const NodeAddress& node) {
    return std::any_of(listed.begin(), listed.end(), [&](const NodeAddress& here) {
      return here.id == node.id || here.endpoint() == node.endpoint();
    });
  };
  if (std::none_of(previous->begin(), previous->end(), lists)) return listed;
  for (NodeAddress& node : *previous) {
    if (listed.size() >= kMaxNodes) break;
    if (lists(node)) continue;
    node.role = NodeRole::kDraining;
    node.departed = true;
    listed.push_back(std::move(node));
  }
  return listed;
}

}  // namespace clustered
