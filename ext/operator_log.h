// SPDX-License-Identifier: BSD-3-Clause
// The operator's log as the core sees it (util/log_sink.h): PHP's error log
// (error_log, or the server's: Apache's error log, PHP-FPM's log), never the page
// (docs/design.md, "Who hears what").
#pragma once

#include "util/log_sink.h"

namespace clustered::ext {

LogSink& operator_log();

}  // namespace clustered::ext
