// SPDX-License-Identifier: BSD-3-Clause
#include "php_followups.h"

#include <string_view>

extern "C" {
#include "php.h"
}

namespace clustered::ext {
namespace {

void (*g_previous)(int, zend_string*, const uint32_t, zend_string*) = nullptr;
ReportedFailure g_expected = ReportedFailure::kNone;

// PHP's own line after each failed hook of the "clustered" handler
// (ext/session/session.c, the same from PHP 8.2 to 8.6).
std::string_view followup_of(ReportedFailure failure) {
  switch (failure) {
    case ReportedFailure::kOpen:
      return "Failed to initialize storage module: clustered";
    case ReportedFailure::kCreateSid:
      return "Failed to create session ID: clustered";
    case ReportedFailure::kRead:
      return "Failed to read session data: clustered";
    case ReportedFailure::kWrite:
      return "Failed to write session data (clustered)";
    case ReportedFailure::kDestroy:
      return "Session object destruction failed";
    case ReportedFailure::kNone:
      break;
  }
  return {};
}

bool is_expected_followup(int type, const zend_string* message) {
  if (g_expected == ReportedFailure::kNone || type != E_WARNING || message == nullptr) return false;
  const std::string_view text(ZSTR_VAL(message), ZSTR_LEN(message));
  return text.find(followup_of(g_expected)) != std::string_view::npos;
}

void filter(int type, zend_string* file, const uint32_t line, zend_string* message) {
  if (is_expected_followup(type, message)) {
    g_expected = ReportedFailure::kNone;
    return;
  }
  g_previous(type, file, line, message);
}

}  // namespace

void install_followup_filter() {
  if (g_previous != nullptr) return;
  g_previous = zend_error_cb;
  zend_error_cb = filter;
}

void remove_followup_filter() {
  // Only when no extension loaded after this one chained itself in front (those
  // shut down first, in the reverse order of loading, and restore this filter).
  if (g_previous == nullptr || zend_error_cb != filter) return;
  zend_error_cb = g_previous;
  g_previous = nullptr;
}

void expect_followup(ReportedFailure failure) { g_expected = failure; }

}  // namespace clustered::ext
