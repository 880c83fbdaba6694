// SPDX-License-Identifier: BSD-3-Clause
#include "store/same_server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace clustered::testing {
namespace {

std::vector<NodeAddress> nodes(const char* save_path) {
  auto parsed = parse_save_path(save_path);
  if (!parsed) ADD_FAILURE() << parsed.error();
  return parsed ? *parsed : std::vector<NodeAddress>{};
}

// Once, "n1=127.0.0.1:11211,n2=localhost:11211" was accepted, so the
// "replica" and the relocation target were the very server that held the copy.
TEST(SameServer, AnIpAndANameOfTheSameServerAreRefusedNamingBoth) {
  const auto refusal = same_server_listed_twice(nodes("n1=127.0.0.1:11211,n2=localhost:11211"));
  ASSERT_TRUE(refusal.has_value());
  EXPECT_NE(refusal->find("node 2 (n2=localhost:11211)"), std::string::npos) << *refusal;
  EXPECT_NE(refusal->find("node 1 (n1=127.0.0.1:11211)"), std::string::npos) << *refusal;
  EXPECT_NE(refusal->find("127.0.0.1:11211"), std::string::npos) << *refusal;
}

TEST(SameServer, OtherPortsOrHostsAreDifferentServers) {
  EXPECT_EQ(same_server_listed_twice(nodes("n1=127.0.0.1:11211,n2=localhost:11212")), std::nullopt);
  EXPECT_EQ(same_server_listed_twice(nodes("n1=127.0.0.1:11211,n2=127.0.0.2:11211")), std::nullopt);
}

TEST(SameServer, OneSocketUnderTwoPathsIsRefused) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("cs_same_server_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::FILE* socket_file = std::fopen((dir / "memcached.sock").c_str(), "w");
  ASSERT_NE(socket_file, nullptr);
  std::fclose(socket_file);
  std::filesystem::create_symlink(dir / "memcached.sock", dir / "link.sock");
  const std::string save_path =
      "a=unix:" + (dir / "memcached.sock").string() + ",b=unix:" + (dir / "link.sock").string();
  const auto refusal = same_server_listed_twice(nodes(save_path.c_str()));
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_NE(refusal->find("(b=unix:"), std::string::npos) << *refusal;
}

}  // namespace
}  // namespace clustered::testing
