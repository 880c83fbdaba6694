// SPDX-License-Identifier: BSD-3-Clause
// session.save_path grammar (README "php.ini"):
//   node[,node...]   node := [ID=]ADDRESS[;ROLE]
//   ADDRESS := HOST:PORT | unix:/path | [IPv6]:PORT     ROLE := active | joining | drain
// Nodes without an id are named n1, n2, ... by their position. The role is how a
// rolling save_path change adds or removes a node (docs/operator-guide.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace clustered {

inline constexpr std::size_t kMaxNodes = 64;

// What a node is for while save_path changes one app node at a time.
enum class NodeRole : std::uint8_t {
  kActive,    // new sessions are placed on it
  kJoining,   // known (sessions naming it are read), but no session is placed on it yet
  kDraining,  // leaving: no new sessions; the owners move theirs off it on their next request
};
const char* role_name(NodeRole role);

struct NodeAddress {
  std::string id;
  std::string host;         // hostname, IPv4 or IPv6 (no brackets); empty for unix
  std::uint16_t port = 0;   // 0 for unix sockets
  std::string socket_path;  // set for unix:/path nodes
  NodeRole role = NodeRole::kActive;
  bool id_from_position = false;  // no ID= given: named n<position>
  // Not in this save_path: the one before it listed the node, and this app node
  // still reads there for a while (session/departed_nodes.h); role kDraining.
  bool departed = false;

  bool is_unix() const { return !socket_path.empty(); }
  // host:port, [v6]:port or unix:/path; the key of the shared health table.
  std::string endpoint() const;
  bool operator==(const NodeAddress&) const = default;
};

// Every error names the node's position and what is wrong with it.
Result<std::vector<NodeAddress>> parse_save_path(std::string_view save_path);

// A list of two or more nodes of which some have no ID=: their ids follow the
// order, so inserting or removing an entry renames the nodes after it (and
// loses the sessions naming them). The text of the notice, or nullopt.
std::optional<std::string> positional_ids_notice(const std::vector<NodeAddress>& nodes);

}  // namespace clustered
