// SPDX-License-Identifier: BSD-3-Clause
#include "session/departed_nodes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace clustered {
namespace {

// A segment without a cache, unmapped at the end of the test.
struct Segment {
  SharedSegment* segment = *SharedSegment::create_or_reattach(0);
  ~Segment() { SharedSegment::release(segment, false); }
};

std::vector<NodeAddress> nodes(const std::string& save_path) {
  auto parsed = parse_save_path(save_path);
  EXPECT_TRUE(parsed.ok()) << parsed.error();
  return parsed ? *parsed : std::vector<NodeAddress>{};
}

std::string ids(const std::vector<NodeAddress>& list) {
  std::string text;
  for (const NodeAddress& node : list) {
    text += (text.empty() ? "" : ",") + node.id;
    if (node.departed) text += std::string(":departed-") + role_name(node.role);
  }
  return text;
}

constexpr const char* kThree = "n1=10.0.0.1:11211,n2=10.0.0.2:11211,n3=10.0.0.3:11211";
constexpr const char* kWithoutN2 = "n1=10.0.0.1:11211,n3=10.0.0.3:11211";

// A node dropped from save_path without the drain still holds sessions: it is
// read (as draining) for as long as a session there lives, then forgotten.
TEST(DepartedNodes, NodeDroppedWithoutTheDrainIsReadUntilItsSessionsExpire) {
  Segment shared;
  EXPECT_EQ(ids(with_departed_nodes(nodes(kThree), shared.segment, 100, 1440)), "n1,n2,n3");
  EXPECT_EQ(ids(with_departed_nodes(nodes(kWithoutN2), shared.segment, 160, 1440)),
            "n1,n3,n2:departed-drain");
  // Another process of the node, later: the change is dated by the first.
  EXPECT_EQ(ids(with_departed_nodes(nodes(kWithoutN2), shared.segment, 1600, 1440)),
            "n1,n3,n2:departed-drain");
  EXPECT_EQ(ids(with_departed_nodes(nodes(kWithoutN2), shared.segment, 1601, 1440)), "n1,n3");
}

TEST(DepartedNodes, NodeListedAgainIsNoLongerDeparted) {
  Segment shared;
  (void)with_departed_nodes(nodes(kThree), shared.segment, 100, 1440);
  (void)with_departed_nodes(nodes(kWithoutN2), shared.segment, 110, 1440);
  EXPECT_EQ(ids(with_departed_nodes(nodes(kThree), shared.segment, 120, 1440)), "n1,n2,n3");
}

// Another save_path altogether (another virtual host's cluster) drops nothing.
TEST(DepartedNodes, SavePathSharingNoNodeDropsNothing) {
  Segment shared;
  (void)with_departed_nodes(nodes(kThree), shared.segment, 100, 1440);
  EXPECT_EQ(ids(with_departed_nodes(nodes("m1=10.0.1.1:11211"), shared.segment, 110, 1440)), "m1");
}

TEST(DepartedNodes, WithoutASegmentOnlyTheListedNodes) {
  EXPECT_EQ(ids(with_departed_nodes(nodes(kWithoutN2), nullptr, 100, 1440)), "n1,n3");
}

TEST(DepartedNodes, SavePathTextReadsBackAsTheSameNodes) {
  const auto listed = nodes("a=10.0.0.1:11211;joining,b=[::1]:11212,c=unix:/run/mc.sock;drain");
  EXPECT_EQ(nodes(save_path_text(listed)), listed);
}

}  // namespace
}  // namespace clustered
