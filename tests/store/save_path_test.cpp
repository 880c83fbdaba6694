// SPDX-License-Identifier: BSD-3-Clause
#include "store/save_path.h"

#include <gtest/gtest.h>

#include <string>

namespace clustered {
namespace {

using namespace std::string_literals;

std::vector<NodeAddress> parse_ok(std::string_view text) {
  auto parsed = parse_save_path(text);
  EXPECT_TRUE(parsed.ok()) << "'" << text << "': " << (parsed.ok() ? "" : parsed.error());
  return parsed.ok() ? *parsed : std::vector<NodeAddress>{};
}

// The error for `text`, which must not parse.
std::string parse_error(std::string_view text) {
  auto parsed = parse_save_path(text);
  EXPECT_FALSE(parsed.ok()) << "'" << text << "' parsed";
  return parsed.ok() ? std::string() : parsed.error();
}

// Checks that the error names the node's position and contains each fragment.
#define EXPECT_ERROR(text, position, ...)                                         \
  do {                                                                            \
    const std::string error_ = parse_error(text);                                 \
    EXPECT_NE(error_.find("node " + std::to_string(position)), std::string::npos) \
        << "error does not name node " << (position) << ": " << error_;           \
    for (const std::string fragment_ : {__VA_ARGS__}) {                           \
      EXPECT_NE(error_.find(fragment_), std::string::npos)                        \
          << "error lacks '" << fragment_ << "': " << error_;                     \
    }                                                                             \
  } while (0)

TEST(ParseSavePath, NamedNodes) {
  const auto nodes = parse_ok("n1=127.0.0.1:11211,n2=127.0.0.1:11212");
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].id, "n1");
  EXPECT_EQ(nodes[0].host, "127.0.0.1");
  EXPECT_EQ(nodes[0].port, 11211);
  EXPECT_FALSE(nodes[0].is_unix());
  EXPECT_EQ(nodes[0].endpoint(), "127.0.0.1:11211");
  EXPECT_EQ(nodes[1].id, "n2");
  EXPECT_EQ(nodes[1].port, 11212);
  EXPECT_EQ(nodes[1].endpoint(), "127.0.0.1:11212");
}

TEST(ParseSavePath, BareNodesAreNamedByPosition) {
  const auto nodes = parse_ok("10.0.0.1:11211,10.0.0.2:11211,mc3.example.com:1");
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].id, "n1");
  EXPECT_EQ(nodes[1].id, "n2");
  EXPECT_EQ(nodes[2].id, "n3");
  EXPECT_EQ(nodes[2].host, "mc3.example.com");
  EXPECT_EQ(nodes[2].port, 1);
}

TEST(ParseSavePath, MixedNamedAndBareUsesPositionForBare) {
  const auto nodes = parse_ok("a=h1:1,h2:2");
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].id, "a");
  EXPECT_EQ(nodes[1].id, "n2");
}

TEST(ParseSavePath, UnixSocket) {
  const auto nodes = parse_ok("unix:/run/memcached/memcached.sock,s2=unix:/tmp/m.sock");
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_TRUE(nodes[0].is_unix());
  EXPECT_EQ(nodes[0].id, "n1");
  EXPECT_EQ(nodes[0].socket_path, "/run/memcached/memcached.sock");
  EXPECT_EQ(nodes[0].host, "");
  EXPECT_EQ(nodes[0].port, 0);
  EXPECT_EQ(nodes[0].endpoint(), "unix:/run/memcached/memcached.sock");
  EXPECT_EQ(nodes[1].id, "s2");
  EXPECT_EQ(nodes[1].socket_path, "/tmp/m.sock");
}

TEST(ParseSavePath, Ipv6InBrackets) {
  const auto nodes = parse_ok("id=[::1]:11211,[2001:db8::1]:11212");
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].id, "id");
  EXPECT_EQ(nodes[0].host, "::1");
  EXPECT_EQ(nodes[0].port, 11211);
  EXPECT_EQ(nodes[0].endpoint(), "[::1]:11211");
  EXPECT_EQ(nodes[1].id, "n2");
  EXPECT_EQ(nodes[1].host, "2001:db8::1");
  EXPECT_EQ(nodes[1].endpoint(), "[2001:db8::1]:11212");
}

TEST(ParseSavePath, WhitespaceAroundEntries) {
  const auto nodes = parse_ok("  n1 = 127.0.0.1:11211 ,\tn2=127.0.0.1:11212\t, 127.0.0.1:3  ");
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].id, "n1");
  EXPECT_EQ(nodes[0].host, "127.0.0.1");
  EXPECT_EQ(nodes[0].port, 11211);
  EXPECT_EQ(nodes[1].id, "n2");
  EXPECT_EQ(nodes[1].port, 11212);
  EXPECT_EQ(nodes[2].id, "n3");
  EXPECT_EQ(nodes[2].port, 3);
}

TEST(ParseSavePath, PortLimits) {
  EXPECT_EQ(parse_ok("h:1")[0].port, 1);
  EXPECT_EQ(parse_ok("h:65535")[0].port, 65535);
}

TEST(ParseSavePath, SixtyFourNodesAreAllowed) {
  std::string text;
  for (int i = 1; i <= 64; ++i) text += (i > 1 ? "," : "") + "h:"s + std::to_string(i);
  EXPECT_EQ(parse_ok(text).size(), 64u);
}

// ---------------------------------------------------------------- errors

TEST(ParseSavePathError, Empty) {
  for (const char* text : {"", "   ", "\t"}) {
    const std::string error = parse_error(text);
    EXPECT_NE(error.find("empty"), std::string::npos) << error;
  }
}

TEST(ParseSavePathError, EmptyEntries) {
  EXPECT_ERROR(",,", 1, "empty");
  EXPECT_ERROR(",h:1", 1, "empty");
  EXPECT_ERROR("h:1,", 2, "empty");
  EXPECT_ERROR("h:1,,h:2", 2, "empty");
  EXPECT_ERROR("h:1, ,h:2", 2, "empty");
}

TEST(ParseSavePathError, BadPorts) {
  EXPECT_ERROR("h:0", 1, "port", "'0'", "range");
  EXPECT_ERROR("h:1,h:65536", 2, "port", "'65536'", "range");
  EXPECT_ERROR("h:99999999999999999999", 1, "port", "'99999999999999999999'", "range");
  EXPECT_ERROR("h:abc", 1, "port", "'abc'", "not a number");
  EXPECT_ERROR("h:-1", 1, "port", "'-1'");
  EXPECT_ERROR("h:+1", 1, "port", "'+1'");
  EXPECT_ERROR("h:1x", 1, "port", "'1x'");
  EXPECT_ERROR("h:", 1, "missing port");
  EXPECT_ERROR("n1=h", 1, "missing port");
  EXPECT_ERROR("[::1]", 1, "missing port");
  EXPECT_ERROR("[::1]:", 1, "missing port");
}

TEST(ParseSavePathError, DuplicateId) {
  EXPECT_ERROR("a=h:1,a=h:2", 2, "duplicate node id", "'a'");
  // A bare node's positional name counts too.
  EXPECT_ERROR("h:1,n1=h:2", 2, "duplicate node id", "'n1'");
}

TEST(ParseSavePathError, DuplicateAddress) {
  EXPECT_ERROR("n1=127.0.0.1:11211,n2=127.0.0.1:11211", 2, "duplicate address", "127.0.0.1:11211");
  EXPECT_ERROR("h:1,x:2, h:1", 3, "duplicate address", "h:1");
  EXPECT_ERROR("unix:/a,unix:/a", 2, "duplicate address", "unix:/a");
  EXPECT_ERROR("[::1]:5,b=[::1]:5", 2, "duplicate address", "[::1]:5");
}

TEST(ParseSavePathError, BadId) {
  EXPECT_ERROR("N1=h:1", 1, "bad node id", "'N1'", "[a-z0-9]{1,16}");
  EXPECT_ERROR("h:2,abcdefghijklmnopq=h:1", 2, "bad node id", "'abcdefghijklmnopq'");
  EXPECT_ERROR("a-b=h:1", 1, "bad node id", "'a-b'");
  EXPECT_ERROR("=h:1", 1, "bad node id", "''");
  EXPECT_ERROR("a.b=h:1", 1, "bad node id");
  EXPECT_ERROR("a\x01=h:1", 1, "bad node id", "\\x01");
  // 16 characters is the limit, not an error.
  EXPECT_EQ(parse_ok("abcdefghijklmnop=h:1")[0].id, "abcdefghijklmnop");
}

TEST(ParseSavePathError, BadHost) {
  EXPECT_ERROR("my host:11211", 1, "bad host", "'my host'");
  EXPECT_ERROR("h:1,bad..host:11211", 2, "bad host", "'bad..host'");
  EXPECT_ERROR("ho\x01st:1", 1, "bad host", "\\x01");
  EXPECT_ERROR("ho\nst:1", 1, "bad host", "\\x0a");
  EXPECT_ERROR("ho\0st:1"s, 1, "bad host", "\\x00");
  EXPECT_ERROR("h\xc3\xa9:1", 1, "bad host", "\\xc3\\xa9");
  EXPECT_ERROR(".host:1", 1, "bad host");
  EXPECT_ERROR("-host:1", 1, "bad host");
  EXPECT_ERROR(":1", 1, "bad host");
  EXPECT_ERROR("h/x:1", 1, "bad host");
  EXPECT_ERROR(std::string(254, 'a') + ":1", 1, "bad host");
}

TEST(ParseSavePathError, ControlBytesNeverReachTheMessageRaw) {
  const std::string error = parse_error("n1=h:1,n2=ev\x1b[31mil:1");
  for (unsigned char c : error) EXPECT_GE(c, 0x20) << error;
}

// Found by tests/fuzz/fuzz_save_path.cpp (corpus: crash-duplicate-unix-path-high-bytes):
// unix paths may hold high bytes (UTF-8 names), and the duplicate-address error put
// the path into the warning raw.
TEST(ParseSavePathError, DuplicateUnixPathWithHighBytesIsEscapedInTheMessage) {
  const std::string error = parse_error("unix:/tmp/\xff\x80.sock,x=unix:/tmp/\xff\x80.sock");
  EXPECT_NE(error.find("duplicate address unix:/tmp/\\xff\\x80.sock"), std::string::npos) << error;
  for (unsigned char c : error) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "raw byte " << int{c} << " in: " << error;
  }
  // Such a path is accepted once: only the message escapes it.
  EXPECT_EQ(parse_ok("unix:/tmp/\xc3\xa9.sock")[0].socket_path, "/tmp/\xc3\xa9.sock");
}

TEST(ParseSavePathError, UnknownScheme) {
  EXPECT_ERROR("tcp://h:1", 1, "unknown scheme", "'tcp'");
  EXPECT_ERROR("h:1,redis://h:1", 2, "unknown scheme", "'redis'");
  EXPECT_ERROR("n1=udp://h:1", 1, "unknown scheme", "'udp'");
}

TEST(ParseSavePathError, Ipv6WithoutBrackets) {
  EXPECT_ERROR("::1:11211", 1, "IPv6", "brackets");
  EXPECT_ERROR("h:1,fe80::1:11211", 2, "IPv6", "brackets");
  EXPECT_ERROR("[::1:11211", 1, "']'");
  EXPECT_ERROR("[zz::1]:11211", 1, "bad IPv6");
  EXPECT_ERROR("[]:11211", 1, "bad IPv6");
}

TEST(ParseSavePathError, UnixPathMustBeAbsoluteAndSane) {
  EXPECT_ERROR("unix:relative/m.sock", 1, "unix socket path", "'relative/m.sock'", "absolute");
  EXPECT_ERROR("h:1,unix:", 2, "absolute");
  EXPECT_ERROR("unix:/" + std::string(200, 'a'), 1, "unix socket path", "longer");
  EXPECT_ERROR("unix:/tmp/a\x01", 1, "control byte");
}

TEST(ParseSavePathError, MoreThan64Nodes) {
  std::string text;
  for (int i = 1; i <= 65; ++i) text += (i > 1 ? "," : "") + "h:"s + std::to_string(i);
  EXPECT_ERROR(text, 65, "more than 64 nodes");
}

TEST(ParseSavePathError, ErrorNamesTheNodeId) {
  // Besides the position, the node id (given or positional) helps find the entry.
  EXPECT_ERROR("h:1,web=h:0", 2, "(web)");
  EXPECT_ERROR("h:1,h:0", 2, "(n2)");
}

// ---------------------------------------------------------------- roles (docs/design.md,
// "save_path roles")

TEST(ParseSavePath, RolesAfterASemicolonSayHowANodeJoinsOrLeaves) {
  const auto nodes =
      parse_ok("n1=h:1,n2=h:2;drain,n3=h:3 ; joining,n4=unix:/run/m;active,n5=[::1]:5;joining");
  ASSERT_EQ(nodes.size(), 5u);
  EXPECT_EQ(nodes[0].role, NodeRole::kActive);
  EXPECT_EQ(nodes[1].role, NodeRole::kDraining);
  EXPECT_EQ(nodes[1].port, 2);
  EXPECT_EQ(nodes[2].role, NodeRole::kJoining);
  EXPECT_EQ(nodes[2].host, "h");
  EXPECT_EQ(nodes[3].role, NodeRole::kActive);
  EXPECT_EQ(nodes[3].socket_path, "/run/m");
  EXPECT_EQ(nodes[4].role, NodeRole::kJoining);
  EXPECT_EQ(nodes[4].host, "::1");
}

TEST(ParseSavePath, ASemicolonInAUnixPathIsPartOfThePath) {
  const auto nodes = parse_ok("unix:/run/a;b");
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].socket_path, "/run/a;b");
  EXPECT_EQ(nodes[0].role, NodeRole::kActive);
}

TEST(ParseSavePathError, UnknownRoleIsNamed) {
  EXPECT_ERROR("n1=h:1,n2=h:2;leaving", 2, "unknown role 'leaving'", "active, joining or drain");
}

TEST(ParseSavePathError, ANodeMustBeActive) {
  const std::string error = parse_error("n1=h:1;drain,n2=h:2;joining");
  EXPECT_NE(error.find("no node is active"), std::string::npos) << error;
}

TEST(PositionalIdsNotice, WarnsThatIdsDependOnOrderOnlyWhenTheyDo) {
  const auto positional = positional_ids_notice(parse_ok("h:1,h:2"));
  ASSERT_TRUE(positional.has_value());
  EXPECT_NE(positional->find("named by their position"), std::string::npos) << *positional;
  EXPECT_NE(positional->find("n1=h:1,n2=h:2"), std::string::npos) << *positional;
  EXPECT_TRUE(positional_ids_notice(parse_ok("a=h:1,h:2")).has_value());
  EXPECT_FALSE(positional_ids_notice(parse_ok("h:1")).has_value());  // one node: no order
  EXPECT_FALSE(positional_ids_notice(parse_ok("n1=h:1,n2=h:2")).has_value());
  EXPECT_FALSE(positional_ids_notice(parse_ok("n1=unix:/a=b,n2=h:2")).has_value());
  EXPECT_TRUE(positional_ids_notice(parse_ok("unix:/a=b,n2=h:2")).has_value());
}

}  // namespace
}  // namespace clustered
