// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: the session.save_path parser (src/store/save_path.h).
//
// Never crashes, and whatever it accepts re-validates: 1..64 nodes, ids in the node
// grammar and unique, TCP ports 1-65535, unix paths absolute and free of control
// bytes, endpoints unique; the canonical form (id=endpoint,...) parses back to the
// same nodes (roles included). Every error message is printable (it becomes a PHP warning).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "store/save_path.h"
#include "util/node_id.h"

using namespace clustered;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = parse_save_path(text);
  if (!parsed) {
    FUZZ_REQUIRE(!parsed.error().empty(), "empty error message");
    for (unsigned char c : parsed.error()) {
      FUZZ_REQUIRE(c >= 0x20 && c < 0x7f, "error message carries a raw control or high byte");
    }
    return 0;
  }

  const auto& nodes = *parsed;
  FUZZ_REQUIRE(!nodes.empty() && nodes.size() <= kMaxNodes, "node count outside 1..64");
  std::set<std::string> ids;
  std::set<std::string> endpoints;
  std::string canonical;
  for (const NodeAddress& node : nodes) {
    FUZZ_REQUIRE(is_valid_node_id(node.id), "accepted node id outside [a-z0-9]{1,16}");
    FUZZ_REQUIRE(ids.insert(node.id).second, "duplicate node id accepted");
    FUZZ_REQUIRE(endpoints.insert(node.endpoint()).second, "duplicate endpoint accepted");
    if (node.is_unix()) {
      FUZZ_REQUIRE(node.host.empty() && node.port == 0, "unix node with host or port");
      FUZZ_REQUIRE(node.socket_path.front() == '/', "relative unix socket path");
      FUZZ_REQUIRE(node.socket_path.size() <= 107, "unix socket path longer than sun_path");
      for (unsigned char c : node.socket_path) {
        FUZZ_REQUIRE(c >= 0x20 && c != 0x7f, "control byte in unix socket path");
      }
    } else {
      FUZZ_REQUIRE(node.port >= 1, "TCP port 0 accepted");  // u16: <= 65535 by type
      FUZZ_REQUIRE(!node.host.empty(), "TCP node without host");
      for (unsigned char c : node.host) {
        FUZZ_REQUIRE(c > 0x20 && c < 0x7f && c != ',' && c != '[' && c != ']',
                     "host carries a byte no resolver takes");
      }
    }
    if (!canonical.empty()) canonical += ',';
    canonical += node.id + "=" + node.endpoint();
    if (node.role != NodeRole::kActive) canonical += std::string(";") + role_name(node.role);
  }
  FUZZ_REQUIRE(std::any_of(nodes.begin(), nodes.end(),
                           [](const NodeAddress& n) { return n.role == NodeRole::kActive; }),
               "a save_path without an active node accepted");
  auto again = parse_save_path(canonical);
  FUZZ_REQUIRE(again.ok(), "canonical form of an accepted save_path is refused");
  for (std::size_t i = 0; i < again->size() && i < nodes.size(); ++i) {
    (*again)[i].id_from_position = nodes[i].id_from_position;  // the canonical form names all
  }
  FUZZ_REQUIRE(*again == nodes, "canonical form parses to other nodes");
  return 0;
}
