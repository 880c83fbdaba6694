// SPDX-License-Identifier: BSD-3-Clause
// TTL arithmetic (the TTLs under docs/design.md, "Known gaps"): any
// session.gc_maxlifetime gives a memcached expiry that keeps the session, never
// one that expires it at once.
#include <gtest/gtest.h>

#include <climits>
#include <cstdint>

#include "session/handler_rig.h"

namespace clustered::testing {
namespace {

class SessionTtlTest : public ModelHandlerTest {
 protected:
  // A session written with `gc_maxlifetime` on web1, then read by web2 (which
  // has no copy of it) two seconds later.
  std::string written_then_read_elsewhere(std::int64_t gc_maxlifetime) {
    HandlerConfig settings = config("web1");
    settings.gc_maxlifetime_s = gc_maxlifetime;
    AppNode web1 = make_node(settings);
    const std::string id = new_session(*web1.handler, "n|i:1;");
    clock_.advance_ms(2000);
    HandlerConfig other = config("web2");
    other.gc_maxlifetime_s = gc_maxlifetime;
    AppNode web2 = make_node(other);
    const Started started = session_start(*web2.handler, id);
    EXPECT_TRUE(started.ok) << started.error;
    (void)web2.handler->close();
    return started.data;
  }
};

TEST_F(SessionTtlTest, GcMaxlifetimeOfPhpIntMaxDoesNotOverflowToOneSecond) {
  EXPECT_EQ(written_then_read_elsewhere(INT64_MAX), "n|i:1;");
}

TEST_F(SessionTtlTest, GcMaxlifetimeOfTwoToThe31DoesNotExpireAtOnce) {
  EXPECT_EQ(written_then_read_elsewhere(std::int64_t{1} << 31), "n|i:1;");
}

TEST_F(SessionTtlTest, GcMaxlifetimeOfTenYearsIsStoredAsAnAbsoluteExpiry) {
  const std::int64_t ten_years = 10LL * 365 * 24 * 3600;
  EXPECT_EQ(written_then_read_elsewhere(ten_years), "n|i:1;");
}

TEST_F(SessionTtlTest, ZeroOrNegativeGcMaxlifetimeStillKeepsTheSessionForTouchInterval) {
  EXPECT_EQ(written_then_read_elsewhere(0), "n|i:1;");
  EXPECT_EQ(written_then_read_elsewhere(-5), "n|i:1;");
}

// "Any value gives a valid memcached expiry [...], clamped with one start-up
// notice if it must be."
TEST(TtlClampNotice, SaysSoOnlyWhenTheExpiryIsHeld) {
  constexpr std::int64_t kNow = 1767225600;  // 2026-01-01
  HandlerConfig config;
  config.touch_interval_s = 60;
  for (const std::int64_t fits : {std::int64_t{1440}, std::int64_t{86400} * 365 * 10}) {
    config.gc_maxlifetime_s = fits;
    EXPECT_EQ(ttl_clamp_notice(config, kNow), std::nullopt) << fits;
  }
  for (const std::int64_t held : {std::int64_t{INT32_MAX}, std::int64_t{UINT32_MAX},
                                  std::int64_t{86400} * 365 * 20, std::int64_t{INT64_MAX}}) {
    config.gc_maxlifetime_s = held;
    const auto notice = ttl_clamp_notice(config, kNow);
    ASSERT_TRUE(notice.has_value()) << held;
    EXPECT_NE(notice->find("2038-01-19 03:14:07 UTC"), std::string::npos) << *notice;
  }
  EXPECT_EQ(remote_ttl_s(config), UINT32_MAX);
}

}  // namespace
}  // namespace clustered::testing
