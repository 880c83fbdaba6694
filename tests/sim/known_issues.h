// SPDX-License-Identifier: BSD-3-Clause
// Violations the simulator still finds (docs/design.md, "Known gaps"),
// recognised by the evidence in their trace and named by what causes them. A
// history whose every violation is one of these is an expected failure: it is
// counted and shown, never hidden, and an unrecognised violation still fails the
// run. When a class is fixed, its entry goes and its histories must run clean.
// Without sealing (no options.seal), what an outsider's write to memcached
// causes is a class of its own: the cure is sealing (docs/design.md, "Sealed
// values"), and sealed histories get no such excuse.
#pragma once

#include <optional>
#include <string>

#include "sim/history.h"

namespace clustered::sim {

// The known class that explains every violation of `result`, or nullopt when
// the result is clean or any violation is unexplained.
std::optional<std::string> known_issue(const HistoryResult& result);

}  // namespace clustered::sim
