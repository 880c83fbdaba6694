// session.save_path grammar (README "php.ini"):
//   node[,node...]   node := [ID=]HOST:PORT | [ID=]unix:/path | [ID=][IPv6]:PORT
// Nodes without an id are named n1, n2, ... by their position.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace clustered {

inline constexpr std::size_t kMaxNodes = 64;

struct NodeAddress {
  std::string id;
  std::string host;         // hostname, IPv4 or IPv6 (no brackets); empty for unix
  std::uint16_t port = 0;   // 0 for unix sockets
  std::string socket_path;  // set for unix:/path nodes

  bool is_unix() const { return !socket_path.empty(); }
  // host:port, [v6]:port or unix:/path; the key of the shared health table.
  std::string endpoint() const;
  bool operator==(const NodeAddress&) const = default;
};

// Every error names the node's position and what is wrong with it.
Result<std::vector<NodeAddress>> parse_save_path(std::string_view save_path);

}  // namespace clustered
