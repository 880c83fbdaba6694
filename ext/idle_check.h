// SPDX-License-Identifier: BSD-3-Clause
// The idle check (docs/design.md, "Lost copies"): one thread per process runs the
// app node's takeover check every takeover_check_interval on a handler of its
// own, so an app node that serves no request still stores again what memcached
// lost and retries what a node missed. The node's check is claimed by one
// process per interval (TakeoverWatch), so a busy node's requests and its
// threads never check twice. The thread touches no Zend state: what its check
// logs waits in a queue that the next request of the process writes.
#pragma once

#include <string_view>

#include "session/handler_config.h"

namespace clustered::ext {

// Called when a request made the process's handler: starts this process's
// thread (a child of fork() starts its own) or hands it the new save_path.
void keep_checking(std::string_view save_path, const HandlerConfig& config);
// Stops and joins the thread (MSHUTDOWN), then writes what it logged.
void stop_checking();
// Writes what the thread logged to the operator's log (a request's thread only).
void write_check_log();

}  // namespace clustered::ext
