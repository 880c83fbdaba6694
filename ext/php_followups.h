// SPDX-License-Identifier: BSD-3-Clause
// One warning per failure: when a hook fails, the handler warns with the cause
// ("cannot write session ...: memcached node n1 ... too large"), and PHP's session
// module then adds its own line, which names session.save_path whatever the cause
// ("Failed to write session data (clustered). Please verify that the current
// setting of session.save_path is correct"). That follow-up is dropped, only right
// after a warning of ours for the same hook; every other message passes. The
// session functions still return false.
#pragma once

namespace clustered::ext {

// Installs the filter in front of PHP's error callback (MINIT) and removes it
// (MSHUTDOWN).
void install_followup_filter();
void remove_followup_filter();

// The hook whose failure this request just reported (its follow-up is dropped).
enum class ReportedFailure { kNone, kOpen, kCreateSid, kRead, kWrite, kDestroy };
void expect_followup(ReportedFailure failure);

}  // namespace clustered::ext
