// SPDX-License-Identifier: BSD-3-Clause
// Two save_path entries that reach one memcached server (127.0.0.1:11211 and
// localhost:11211, or a unix socket under two paths) would make every replica a
// copy on the same machine and every relocation a move to the server that just
// failed: refused (docs/design.md, "The shared segment"). Names are resolved as the client's
// connections will (getaddrinfo, store/node_socket.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/save_path.h"

namespace clustered {

// The first pair of nodes that reach the same server, as a message naming both
// and the address they share; nullopt when every node is its own. A name that
// does not resolve now is skipped (its connection will fail on its own).
std::optional<std::string> same_server_listed_twice(const std::vector<NodeAddress>& nodes);

}  // namespace clustered
