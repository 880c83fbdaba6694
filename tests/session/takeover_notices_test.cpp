// SPDX-License-Identifier: BSD-3-Clause
#include "session/takeover_notices.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sid/session_id.h"

namespace clustered {
namespace {

// Lists were keyed by wall-clock minute, so a reader whose clock differed from
// the writer's read other lists. The key names the route only (docs/design.md,
// "Forwards and notices": no wall clock takes part).
TEST(TakeoverNotices, KeyNamesTheRouteAndNoTime) {
  EXPECT_EQ(notice_key("web1"), "clustered_session.moved:web1");
}

TEST(TakeoverNotices, HeadCarriesTheGenerationAndOffsetsReadOnlyWhatWasAppended) {
  const std::string head = notice_list_head(0xfedcba9876543210ULL);
  EXPECT_EQ(head, "g fedcba9876543210\n");
  const std::string first = head + notice_line(1) + notice_line(2);
  const Notices whole = parse_notices(first);
  EXPECT_EQ(whole.generation, 0xfedcba9876543210ULL);
  EXPECT_FALSE(whole.everything);
  EXPECT_EQ(whole.key_hashes, (std::vector<std::uint64_t>{1, 2}));
  const std::string grown = first + notice_line(3);
  const Notices appended = parse_notices(grown, first.size());
  EXPECT_EQ(appended.key_hashes, std::vector<std::uint64_t>{3});
  EXPECT_TRUE(parse_notices(grown, 0).key_hashes.size() == 3u);
  EXPECT_TRUE(parse_notices(first, first.size() + 1).everything) << "an offset past the list";
  EXPECT_TRUE(parse_notices(first, 3).everything) << "an offset inside the head";
}

TEST(TakeoverNotices, KeysCanNeverBeSessionKeys) {
  // A client without strict mode may send any key-safe ID; none can reach a list.
  const std::string key = notice_key("web1");
  EXPECT_FALSE(is_key_safe_session_id(key, 300)) << key;
}

TEST(TakeoverNotices, LinesRoundTrip) {
  const std::uint64_t hashes[] = {0, 1, 0xfedcba9876543210ULL, UINT64_MAX};
  std::string list;
  for (const std::uint64_t hash : hashes) list += notice_line(hash);
  EXPECT_EQ(notice_line(0xfedcba9876543210ULL), "fedcba9876543210\n");
  const Notices parsed = parse_notices(list);
  EXPECT_FALSE(parsed.everything);
  ASSERT_EQ(parsed.key_hashes.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(parsed.key_hashes[i], hashes[i]);
}

TEST(TakeoverNotices, EmptyListSaysNothing) {
  const Notices parsed = parse_notices("");
  EXPECT_FALSE(parsed.everything);
  EXPECT_TRUE(parsed.key_hashes.empty());
}

TEST(TakeoverNotices, OverflowMarkerMeansEverything) {
  const Notices parsed = parse_notices(std::string(kNoticeEverything) + notice_line(5));
  EXPECT_TRUE(parsed.everything);
  ASSERT_EQ(parsed.key_hashes.size(), 1u);
  EXPECT_EQ(parsed.key_hashes[0], 5u);
}

TEST(TakeoverNotices, AnythingUnreadableMeansEverything) {
  // What we cannot read could have named any of our entries: distrust them all.
  for (const std::string list :
       {std::string("0123456789abcdef"), std::string("0123456789ABCDEF\n"),
        std::string("0123456789abcde\n"), std::string("0123456789abcdef0\n"),
        std::string("garbage\n"), std::string("\n"), std::string("\x00\n", 2)}) {
    EXPECT_TRUE(parse_notices(list).everything) << list;
  }
}

TEST(TakeoverNotices, ListsOutliveEveryReaderThatChecksWithinTheGap) {
  static_assert(kMaxCheckIntervalSeconds < kNoticeGapSeconds);
  static_assert(kNoticeTtlSeconds > 2 * kNoticeGapSeconds);
  SUCCEED();
}

// Sealed lists (docs/design.md, "Sealed values"). Records open only in their
// list; a plain "*" or hash, garbage, or a record of another list is rejected,
// never obeyed.
std::shared_ptr<const Sealer> test_sealer(bool accept_unsealed = false) {
  auto made = Sealer::with_secrets({"a-secret-of-the-notice-tests-0123456789"}, SealMode::kEncrypt,
                                   accept_unsealed);
  EXPECT_TRUE(made.ok()) << made.error();
  return *made;
}

TEST(SealedNotices, LinesAndHeadRoundTripAndOffsetsReadOnlyWhatWasAppended) {
  const auto sealer = test_sealer();
  const NoticeFormat format(*sealer, notice_key("web1"));
  const std::string first = format.head(42) + format.line(1) + format.line(2);
  const Notices whole = format.parse(first);
  EXPECT_EQ(whole.generation, 42u);
  EXPECT_FALSE(whole.everything);
  EXPECT_EQ(whole.key_hashes, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(whole.rejected, 0u);
  const std::string grown = first + format.line(3);
  EXPECT_EQ(format.parse(grown, first.size()).key_hashes, std::vector<std::uint64_t>{3});
  const Notices full = format.parse(format.head(43, true) + format.line(4));
  EXPECT_TRUE(full.everything) << "a head that replaced a full list stands for the lost lines";
}

TEST(SealedNotices, PoisonIsRejectedNotObeyed) {
  const auto sealer = test_sealer();
  const NoticeFormat format(*sealer, notice_key("web1"));
  const NoticeFormat other(*sealer, notice_key("web2"));
  const std::string list = format.head(42) + std::string(kNoticeEverything) + notice_line(7) +
                           other.line(8) + "s 00ff\n" + "garbage\n" + "cut short";
  const Notices parsed = format.parse(list);
  EXPECT_FALSE(parsed.everything);
  EXPECT_TRUE(parsed.key_hashes.empty());
  EXPECT_EQ(parsed.rejected, 6u);
  const Notices forged_head = format.parse(notice_list_head(5) + format.line(9));
  EXPECT_EQ(forged_head.generation, 0u) << "a plain head names no generation";
  EXPECT_EQ(forged_head.rejected, 1u);
  EXPECT_EQ(forged_head.key_hashes, std::vector<std::uint64_t>{9});
}

TEST(SealedNotices, ListCutShortIsReadWholeInsteadOfDroppingEverything) {
  const auto sealer = test_sealer();
  const NoticeFormat format(*sealer, notice_key("web1"));
  const std::string list = format.head(42) + format.line(1) + format.line(2);
  const std::string cut = format.head(42) + format.line(1);
  const Notices parsed = format.parse(cut, list.size());
  EXPECT_FALSE(parsed.everything);
  EXPECT_EQ(parsed.key_hashes, std::vector<std::uint64_t>{1});
}

TEST(SealedNotices, PlainListsAreReadWhileSwitchingOver) {
  const auto sealer = test_sealer(true);
  const NoticeFormat format(*sealer, notice_key("web1"));
  const Notices parsed = format.parse(notice_list_head(5) + notice_line(9) + format.line(10));
  EXPECT_EQ(parsed.generation, 5u);
  EXPECT_EQ(parsed.key_hashes, (std::vector<std::uint64_t>{9, 10}));
  EXPECT_TRUE(format.parse(notice_list_head(5) + std::string(kNoticeEverything)).everything);
}

}  // namespace
}  // namespace clustered
