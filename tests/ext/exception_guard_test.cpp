// SPDX-License-Identifier: BSD-3-Clause
// ext/exception_guard.h has no PHP header in it: its guard is tested here with a
// reporter of the test's own instead of php_error_docref.
#include "../../ext/exception_guard.h"

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace clustered::ext {
namespace {

struct Report {
  std::string where;
  std::string what;
};
std::vector<Report> g_reports;
bool g_exception_alive = false;

void record(const char* where, const char* what) { g_reports.push_back({where, what}); }

class ExceptionGuard : public ::testing::Test {
 protected:
  void SetUp() override {
    g_reports.clear();
    g_exception_alive = false;
  }
};

TEST_F(ExceptionGuard, ReturnsWhatTheBodyReturnsAndReportsNothing) {
  EXPECT_EQ(guarded_with(
                record, "read", [] { return 7; }, -1),
            7);
  int calls = 0;
  guarded_with(record, "phpinfo()", [&] { ++calls; });
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(g_reports.empty());
}

TEST_F(ExceptionGuard, BadAllocBecomesOneReportAndTheFailureValue) {
  const int result = guarded_with(
      record, "read", []() -> int { throw std::bad_alloc(); }, -1);
  EXPECT_EQ(result, -1);
  ASSERT_EQ(g_reports.size(), 1u);
  EXPECT_EQ(g_reports[0].where, "read");
  EXPECT_EQ(g_reports[0].what, std::bad_alloc().what());
}

TEST_F(ExceptionGuard, LengthErrorFromAStringIsCaught) {
  const char* result = guarded_with(
      record, "create_sid",
      []() -> const char* {
        std::string text;
        text.resize(text.max_size() + 1);  // throws std::length_error
        return "unreachable";
      },
      static_cast<const char*>(nullptr));
  EXPECT_EQ(result, nullptr);
  ASSERT_EQ(g_reports.size(), 1u);
  EXPECT_EQ(g_reports[0].where, "create_sid");
  EXPECT_FALSE(g_reports[0].what.empty());
}

TEST_F(ExceptionGuard, AnythingElseThrownIsCaughtToo) {
  EXPECT_EQ(guarded_with(
                record, "gc", []() -> long { throw 42; }, -1L),
            -1L);
  guarded_with(record, "MSHUTDOWN", [] { throw "a C string"; });
  ASSERT_EQ(g_reports.size(), 2u);
  EXPECT_EQ(g_reports[0].what, "unknown exception");
  EXPECT_EQ(g_reports[1].where, "MSHUTDOWN");
  EXPECT_EQ(g_reports[1].what, "unknown exception");
}

TEST_F(ExceptionGuard, LongMessagesAreCut) {
  const std::string long_message(4000, 'x');
  guarded_with(record, "write", [&] { throw std::runtime_error(long_message); });
  ASSERT_EQ(g_reports.size(), 1u);
  EXPECT_EQ(g_reports[0].what, std::string(255, 'x'));
}

// The report (php_error_docref, which may bail out by longjmp) runs after the
// catch block, when the exception object is gone.
struct Tracked : std::runtime_error {
  Tracked() : std::runtime_error("tracked") { g_exception_alive = true; }
  Tracked(const Tracked& other) : std::runtime_error(other) { g_exception_alive = true; }
  ~Tracked() override { g_exception_alive = false; }
};

TEST_F(ExceptionGuard, ReportsAfterTheExceptionIsDestroyed) {
  bool alive_when_reported = true;
  static bool* seen = nullptr;
  seen = &alive_when_reported;
  guarded_with(
      [](const char*, const char* what) {
        *seen = g_exception_alive;
        g_reports.push_back({"", what});
      },
      "destroy", []() -> int { throw Tracked(); }, 0);
  ASSERT_EQ(g_reports.size(), 1u);
  EXPECT_EQ(g_reports[0].what, "tracked");
  EXPECT_FALSE(alive_when_reported);
}

}  // namespace
}  // namespace clustered::ext
