// SPDX-License-Identifier: BSD-3-Clause
// Violations the simulator finds today that issue 14 fixes, recognised by the
// evidence in their trace and named in the issue's own words. A history whose
// every violation is one of these is an expected failure: it is counted and
// shown, never hidden, and an unrecognised violation still fails the run.
// When issue 14 fixes a class, its entry goes and its histories must run clean.
// Without sealing (no options.seal), what an outsider's write to memcached
// causes is issue 15's class: the cure is sealing, and sealed histories get no
// such excuse.
#pragma once

#include <optional>
#include <string>

#include "sim/history.h"

namespace clustered::sim {

// The issue-14 item that explains every violation of `result`, or nullopt when
// the result is clean or any violation is unexplained.
std::optional<std::string> known_issue(const HistoryResult& result);

}  // namespace clustered::sim
