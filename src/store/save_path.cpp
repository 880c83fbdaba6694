// SPDX-License-Identifier: BSD-3-Clause
#include "store/save_path.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "util/node_id.h"

namespace clustered {
namespace {

constexpr std::size_t kMaxHostLength = 253;
constexpr std::size_t kMaxSocketPathLength = 107;  // sizeof(sockaddr_un::sun_path) - 1

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// User input made printable for error messages: control and high bytes become \xNN.
std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Quoted, printable and cut to a readable length.
std::string shown(std::string_view s) {
  constexpr std::size_t kMaxShown = 80;
  return "'" + printable(s.substr(0, kMaxShown)) + (s.size() > kMaxShown ? "..." : "") + "'";
}

bool is_hostname(std::string_view host) {
  if (host.empty() || host.size() > kMaxHostLength) return false;
  if (host.front() == '.' || host.front() == '-' || host.back() == '-') return false;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return host.find("..") == std::string_view::npos;
}

bool is_ipv6_literal(std::string_view host) {
  if (host.size() < 2 || host.size() > 45) return false;
  for (char c : host) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                    c == ':' || c == '.';
    if (!ok) return false;
  }
  return host.find(':') != std::string_view::npos;
}

Result<std::uint16_t> parse_port(std::string_view text, const std::string& where) {
  if (text.empty()) return Error{where + ": missing port"};
  unsigned long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() && ec != std::errc::result_out_of_range) {
    return Error{where + ": port " + shown(text) + " is not a number"};
  }
  if (end != text.data() + text.size()) {
    return Error{where + ": port " + shown(text) + " is not a number"};
  }
  if (ec == std::errc::result_out_of_range || value < 1 || value > 65535) {
    return Error{where + ": port " + shown(text) + " is out of range 1-65535"};
  }
  return static_cast<std::uint16_t>(value);
}

Result<NodeAddress> parse_address(std::string_view text, const std::string& where) {
  NodeAddress node;
  if (text.empty()) return Error{where + ": missing address"};
  if (text.starts_with("unix:")) {
    std::string_view path = text.substr(5);
    if (path.empty() || path.front() != '/') {
      return Error{where + ": unix socket path " + shown(path) + " must be absolute"};
    }
    if (path.size() > kMaxSocketPathLength) {
      return Error{where + ": unix socket path is longer than 107 bytes"};
    }
    for (unsigned char c : path) {
      if (c < 0x20 || c == 0x7f) return Error{where + ": unix socket path has a control byte"};
    }
    node.socket_path = path;
    return node;
  }
  if (const auto scheme = text.find("://"); scheme != std::string_view::npos) {
    return Error{where + ": unknown scheme " + shown(text.substr(0, scheme)) +
                 " (use HOST:PORT or unix:/path)"};
  }
  std::string_view host;
  std::string_view port;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return Error{where + ": missing ']' after IPv6 address"};
    host = text.substr(1, close - 1);
    if (!is_ipv6_literal(host)) return Error{where + ": bad IPv6 address " + shown(host)};
    if (close + 1 >= text.size() || text[close + 1] != ':') {
      return Error{where + ": missing port after IPv6 address"};
    }
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return Error{where + ": missing port in " + shown(text)};
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      // "udp:h:1" names a scheme; "fe80::1:11211" is an IPv6 address without brackets.
      const std::string_view first = host.substr(0, host.find(':'));
      const bool letters =
          !first.empty() &&
          first.find_first_not_of("abcdefghijklmnopqrstuvwxyz") == std::string_view::npos;
      if (letters && first.find_first_not_of("abcdef") != std::string_view::npos) {
        return Error{where + ": unknown scheme " + shown(first) + " (use HOST:PORT or unix:/path)"};
      }
      return Error{where + ": IPv6 addresses need brackets, as in [::1]:11211"};
    }
    if (!is_hostname(host)) return Error{where + ": bad host " + shown(host)};
  }
  auto parsed_port = parse_port(port, where);
  if (!parsed_port) return Error{parsed_port.error()};
  node.host = host;
  node.port = *parsed_port;
  return node;
}

// "ADDRESS;ROLE": the role is what follows the last ';' when it is one of the
// role words (a unix path may hold ';' itself).
Result<NodeRole> split_role(std::string_view& address, const std::string& where) {
  const auto semicolon = address.rfind(';');
  if (semicolon == std::string_view::npos) return NodeRole::kActive;
  const std::string_view word = trim(address.substr(semicolon + 1));
  NodeRole role;
  if (word == "active") {
    role = NodeRole::kActive;
  } else if (word == "joining") {
    role = NodeRole::kJoining;
  } else if (word == "drain") {
    role = NodeRole::kDraining;
  } else if (address.starts_with("unix:")) {
    return NodeRole::kActive;  // part of the path
  } else {
    return Error{where + ": unknown role " + shown(word) + " (expected active, joining or drain)"};
  }
  address = trim(address.substr(0, semicolon));
  return role;
}

}  // namespace

const char* role_name(NodeRole role) {
  switch (role) {
    case NodeRole::kActive:
      return "active";
    case NodeRole::kJoining:
      return "joining";
    case NodeRole::kDraining:
      return "drain";
  }
  return "active";
}

std::optional<std::string> positional_ids_notice(const std::vector<NodeAddress>& nodes) {
  if (nodes.size() < 2) return std::nullopt;
  std::string named;
  bool positional = false;
  for (const NodeAddress& node : nodes) {
    positional = positional || node.id_from_position;
    named += (named.empty() ? "" : ",") + node.id + "=" + node.endpoint();
  }
  if (!positional) return std::nullopt;
  return "session.save_path lists nodes without ids: they are named by their position, so "
         "inserting or removing an entry renames the nodes after it and the sessions stored "
         "on them are lost; name every node, as in " +
         named;
}

std::string NodeAddress::endpoint() const {
  if (is_unix()) return "unix:" + socket_path;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<std::vector<NodeAddress>> parse_save_path(std::string_view save_path) {
  const std::string_view all = trim(save_path);
  if (all.empty()) return Error{"save_path is empty; expected ID=HOST:PORT[,ID=HOST:PORT...]"};

  std::vector<NodeAddress> nodes;
  std::set<std::string> ids;
  std::set<std::string> endpoints;
  std::size_t start = 0;
  for (std::size_t position = 1;; ++position) {
    const auto comma = all.find(',', start);
    const std::string_view entry = trim(
        all.substr(start, comma == std::string_view::npos ? all.size() - start : comma - start));
    const std::string where = "node " + std::to_string(position);
    if (position > kMaxNodes) return Error{where + ": more than 64 nodes"};
    if (entry.empty()) return Error{where + ": empty entry"};

    std::string id;
    std::string_view address = entry;
    // An id is what stands before an '=' that comes before any ':', '/' or '['
    // ("unix:/tmp/a=b" is an address, not the id "unix:/tmp/a").
    const auto equals = entry.find('=');
    if (equals != std::string_view::npos && equals < entry.find_first_of(":/[")) {
      const std::string_view given = trim(entry.substr(0, equals));
      if (!is_valid_node_id(given)) {
        return Error{where + ": bad node id " + shown(given) + " (expected [a-z0-9]{1,16})"};
      }
      id = given;
      address = trim(entry.substr(equals + 1));
    } else {
      id = "n" + std::to_string(position);
    }
    auto role = split_role(address, where + " (" + id + ")");
    if (!role) return Error{role.error()};
    auto node = parse_address(address, where + " (" + id + ")");
    if (!node) return Error{node.error()};
    node->id = id;
    node->role = *role;
    node->id_from_position =
        equals == std::string_view::npos || equals >= entry.find_first_of(":/[");
    if (!ids.insert(id).second) return Error{where + ": duplicate node id '" + id + "'"};
    if (!endpoints.insert(node->endpoint()).second) {
      // Unix paths may hold any byte but control ones (UTF-8 names): escape them.
      return Error{where + ": duplicate address " + printable(node->endpoint())};
    }
    nodes.push_back(std::move(*node));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  const bool any_active = std::any_of(nodes.begin(), nodes.end(), [](const NodeAddress& node) {
    return node.role == NodeRole::kActive;
  });
  if (!any_active) {
    return Error{"no node is active (every one is ;joining or ;drain): new sessions need one"};
  }
  return nodes;
}

}  // namespace clustered
