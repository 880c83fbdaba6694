// SPDX-License-Identifier: BSD-3-Clause
#include "node/machine_memory.h"

#include <gtest/gtest.h>

namespace clustered::testing {
namespace {

TEST(MachineMemory, CgroupLimitTextReadsAsBytesOrNoLimit) {
  EXPECT_EQ(parse_cgroup_limit("536870912\n"), 536870912u);
  EXPECT_EQ(parse_cgroup_limit("max\n"), std::nullopt);
  EXPECT_EQ(parse_cgroup_limit("9223372036854771712\n"), std::nullopt) << "cgroup v1 unlimited";
  EXPECT_EQ(parse_cgroup_limit(""), std::nullopt);
  EXPECT_EQ(parse_cgroup_limit("12ab"), std::nullopt);
}

TEST(MachineMemory, ThisMachineHasSomeMemory) {
  const auto bytes = machine_memory_bytes();
  ASSERT_TRUE(bytes.has_value());
  EXPECT_GT(*bytes, std::uint64_t{64} << 20);
}

// A cache_size larger than the machine was accepted, and the cache then grew
// into the OOM killer (docs/design.md, "The shared segment": MINIT refuses it).
TEST(MachineMemory, CacheLargerThanTheMachineIsRefusedWithBothSizes) {
  const std::uint64_t machine = std::uint64_t{2} << 30;
  EXPECT_EQ(cache_size_refusal(std::uint64_t{64} << 20, machine), std::nullopt);
  EXPECT_EQ(cache_size_refusal(machine, machine), std::nullopt);
  const auto refusal = cache_size_refusal(std::uint64_t{4} << 30, machine);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_NE(refusal->find("2048 MB"), std::string::npos) << *refusal;
  EXPECT_EQ(cache_size_refusal(std::uint64_t{64} << 30, std::nullopt), std::nullopt)
      << "an unknown machine size refuses nothing";
}

}  // namespace
}  // namespace clustered::testing
