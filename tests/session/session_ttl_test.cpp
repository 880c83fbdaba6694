// TTL arithmetic (issue 14 item 8): any session.gc_maxlifetime gives a memcached
// expiry that keeps the session, never one that expires it at once.
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

}  // namespace
}  // namespace clustered::testing
