// SPDX-License-Identifier: BSD-3-Clause
// The warning for a C++ exception stopped at an entry point (exception_guard.h).
#include "exception_guard.h"

#include "php_clustered_session.h"

namespace clustered::ext {

void report_internal_error(const char* where, const char* what) {
  php_error_docref(nullptr, E_WARNING, "clustered_session: internal error in %s: %s", where, what);
}

}  // namespace clustered::ext
