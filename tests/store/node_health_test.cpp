// SPDX-License-Identifier: BSD-3-Clause
#include "store/node_health.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <new>
#include <set>
#include <string>

namespace clustered {
namespace {

TEST(NodeHealth, SameEndpointSameSlotOthersDiffer) {
  auto table = std::make_unique<NodeHealthTable>();
  NodeHealthSlot* a = table->slot_for("127.0.0.1:11211");
  NodeHealthSlot* b = table->slot_for("127.0.0.1:11212");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_EQ(table->slot_for("127.0.0.1:11211"), a);
  EXPECT_STREQ(a->endpoint, "127.0.0.1:11211");
}

TEST(NodeHealth, FullTableGivesNullAndNullMeansAlwaysTry) {
  auto table = std::make_unique<NodeHealthTable>();
  std::set<NodeHealthSlot*> slots;
  for (std::size_t i = 0; i < kHealthSlots; ++i) {
    NodeHealthSlot* slot = table->slot_for("host" + std::to_string(i) + ":1");
    ASSERT_NE(slot, nullptr) << i;
    slots.insert(slot);
  }
  EXPECT_EQ(slots.size(), kHealthSlots);
  EXPECT_EQ(table->slot_for("one-too-many:1"), nullptr);
  EXPECT_EQ(table->slot_for("host7:1"), table->slot_for("host7:1"));  // still found

  NodeHealthTable::report_failure(nullptr, 1000, 2000);
  NodeHealthTable::report_success(nullptr);
  EXPECT_TRUE(NodeHealthTable::may_try(nullptr, 1000));
  EXPECT_TRUE(NodeHealthTable::is_up(nullptr, 1000));
}

TEST(NodeHealth, LongEndpointsAreCutNotOverflowed) {
  auto table = std::make_unique<NodeHealthTable>();
  const std::string long_endpoint(400, 'h');
  NodeHealthSlot* slot = table->slot_for(long_endpoint);
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(std::string(slot->endpoint).size(), kMaxEndpointLength);
  EXPECT_EQ(table->slot_for(long_endpoint), slot);
}

TEST(NodeHealth, UpUntilAFailureThenDownForTheRetryInterval) {
  NodeHealthTable table;
  NodeHealthSlot* slot = table.slot_for("n:1");
  EXPECT_TRUE(NodeHealthTable::is_up(slot, 1000));
  EXPECT_TRUE(NodeHealthTable::may_try(slot, 1000));
  EXPECT_TRUE(NodeHealthTable::may_try(slot, 1000));  // an up node: everyone may

  NodeHealthTable::report_failure(slot, 1000, 2000);
  EXPECT_EQ(slot->failures.load(), 1u);
  EXPECT_FALSE(NodeHealthTable::is_up(slot, 1000));
  EXPECT_FALSE(NodeHealthTable::may_try(slot, 1001));
  EXPECT_FALSE(NodeHealthTable::may_try(slot, 2999));
  EXPECT_FALSE(NodeHealthTable::is_up(slot, 2999));

  // Retry time: exactly one caller probes, the others keep skipping.
  EXPECT_TRUE(NodeHealthTable::is_up(slot, 3000));
  EXPECT_TRUE(NodeHealthTable::may_try(slot, 3000));
  EXPECT_FALSE(NodeHealthTable::may_try(slot, 3000));
  EXPECT_FALSE(NodeHealthTable::may_try(slot, 3500));

  NodeHealthTable::report_success(slot);
  EXPECT_TRUE(NodeHealthTable::may_try(slot, 3600));
  EXPECT_TRUE(NodeHealthTable::may_try(slot, 3600));
  EXPECT_EQ(slot->failures.load(), 1u);
}

TEST(NodeHealth, FailedProbeStartsANewInterval) {
  NodeHealthTable table;
  NodeHealthSlot* slot = table.slot_for("n:1");
  NodeHealthTable::report_failure(slot, 1000, 2000);
  ASSERT_TRUE(NodeHealthTable::may_try(slot, 3000));
  NodeHealthTable::report_failure(slot, 3100, 2000);
  EXPECT_EQ(slot->failures.load(), 2u);
  EXPECT_FALSE(NodeHealthTable::may_try(slot, 5000));
  EXPECT_TRUE(NodeHealthTable::may_try(slot, 5100));
}

TEST(NodeHealth, AProberThatDiedIsReplacedAfterItsWindow) {
  NodeHealthTable table;
  NodeHealthSlot* slot = table.slot_for("n:1");
  NodeHealthTable::report_failure(slot, 1000, 2000);
  ASSERT_TRUE(NodeHealthTable::may_try(slot, 3000));  // this prober never reports
  EXPECT_FALSE(NodeHealthTable::may_try(slot, 7999));
  EXPECT_TRUE(NodeHealthTable::may_try(slot, 8001));
}

TEST(NodeHealth, ZeroRetryIntervalStillMarksDown) {
  NodeHealthTable table;
  NodeHealthSlot* slot = table.slot_for("n:1");
  NodeHealthTable::report_failure(slot, 1000, 0);
  EXPECT_FALSE(NodeHealthTable::is_up(slot, 1000));
  EXPECT_TRUE(NodeHealthTable::is_up(slot, 1001));
}

TEST(NodeHealth, MonotonicClockMovesForward) {
  const std::int64_t a = monotonic_ms();
  usleep(20000);
  const std::int64_t b = monotonic_ms();
  EXPECT_GE(b - a, 15);
  EXPECT_LT(b - a, 5000);
}

// The table lives in shared memory: what one child reports, the others see.
TEST(NodeHealth, SharedAcrossProcesses) {
  void* memory = mmap(nullptr, sizeof(NodeHealthTable), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(memory, MAP_FAILED);
  auto* table = new (memory) NodeHealthTable{};

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    NodeHealthSlot* slot = table->slot_for("127.0.0.1:1");
    NodeHealthTable::report_failure(slot, monotonic_ms(), 60000);
    _exit(slot != nullptr ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  NodeHealthSlot* slot = table->slot_for("127.0.0.1:1");
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(slot->failures.load(), 1u);
  EXPECT_FALSE(NodeHealthTable::is_up(slot, monotonic_ms()));
  EXPECT_FALSE(NodeHealthTable::may_try(slot, monotonic_ms()));
  munmap(memory, sizeof(NodeHealthTable));
}

}  // namespace
}  // namespace clustered
