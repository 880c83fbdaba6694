// SPDX-License-Identifier: BSD-3-Clause
// The process's one SessionHandler and the shared segment, as ext/ sees them.
#pragma once

#include <string>
#include <string_view>

#include "session/session_handler.h"
#include "node/shared_segment.h"

namespace clustered::ext {

// Made in MINIT (before Apache forks), gone in MSHUTDOWN.
SharedSegment* shared_segment();
bool start_shared_segment(std::string* error);
void stop_shared_segment();

// The route in force: clustered_session.route, or the short host name.
const std::string& effective_route();
void resolve_route();
// The clustered_session.route of this request when it differs from the one read at
// start-up (a pool's or directory's php_admin_value), else nullptr: the route is
// the node's, fixed in MINIT, so such a value is ignored (with a warning).
const char* ignored_route_setting();

// The handler for this save_path, made on first use in each process (after fork)
// and kept across requests; a different save_path makes a new one. Fills `error`
// with the save_path parser's message and returns nullptr when it is malformed.
SessionHandler* handler_for(std::string_view save_path, std::string* error);
SessionHandler* current_handler();
void drop_handler();

// Settings of this request: our INI plus the session module's own.
HandlerConfig current_config();
// The part of them that may change between requests (cheap: read every request).
RequestSettings request_settings();

}  // namespace clustered::ext
