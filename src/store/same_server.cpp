// SPDX-License-Identifier: BSD-3-Clause
#include "store/same_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <climits>
#include <cstdlib>
#include <map>

namespace clustered {
namespace {

// Where a node's connection goes: "ip:port" for each address its host resolves
// to, or the socket's real path.
std::vector<std::string> destinations(const NodeAddress& node) {
  std::vector<std::string> found;
  if (node.is_unix()) {
    char resolved[PATH_MAX];
    found.emplace_back(realpath(node.socket_path.c_str(), resolved) != nullptr ? resolved
                                                                               : node.socket_path);
    return found;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (getaddrinfo(node.host.c_str(), std::to_string(node.port).c_str(), &hints, &list) != 0) {
    return found;
  }
  for (const addrinfo* at = list; at != nullptr; at = at->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* address = nullptr;
    if (at->ai_family == AF_INET) {
      address = &reinterpret_cast<const sockaddr_in*>(at->ai_addr)->sin_addr;
    } else if (at->ai_family == AF_INET6) {
      address = &reinterpret_cast<const sockaddr_in6*>(at->ai_addr)->sin6_addr;
    }
    if (address != nullptr && inet_ntop(at->ai_family, address, text, sizeof text) != nullptr) {
      found.push_back(std::string(text) + ":" + std::to_string(node.port));
    }
  }
  freeaddrinfo(list);
  return found;
}

std::string named(const NodeAddress& node, std::size_t index) {
  return "node " + std::to_string(index + 1) + " (" + node.id + "=" + node.endpoint() + ")";
}

}  // namespace

std::optional<std::string> same_server_listed_twice(const std::vector<NodeAddress>& nodes) {
  std::map<std::string, std::size_t> seen;  // destination -> first node reaching it
  for (std::size_t index = 0; index < nodes.size(); ++index) {
    for (const std::string& destination : destinations(nodes[index])) {
      const auto [first, inserted] = seen.emplace(destination, index);
      if (!inserted && first->second != index) {
        return named(nodes[index], index) + " is the same memcached server as " +
               named(nodes[first->second], first->second) + ": both reach " + destination +
               "; list each server once";
      }
    }
  }
  return std::nullopt;
}

}  // namespace clustered
