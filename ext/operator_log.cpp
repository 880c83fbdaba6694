// SPDX-License-Identifier: BSD-3-Clause
#include "operator_log.h"

#include <string>

extern "C" {
#include "php.h"
}

#ifdef PHP_WIN32
#define CLUSTERED_LOG_WARNING 4
#else
#include <syslog.h>
#define CLUSTERED_LOG_WARNING LOG_WARNING
#endif

namespace clustered::ext {
namespace {

class PhpErrorLog final : public LogSink {
 public:
  void log(std::string_view line) override {
    // php_log_err writes to error_log when it is set, else to the SAPI's log;
    // it never displays (display_errors does not apply).
    const std::string text = "clustered_session: " + std::string(line);
    php_log_err_with_severity(text.c_str(), CLUSTERED_LOG_WARNING);
  }
};

}  // namespace

LogSink& operator_log() {
  static PhpErrorLog log;
  return log;
}

}  // namespace clustered::ext
