// SPDX-License-Identifier: BSD-3-Clause
// The save handler's logic, one PHP hook per method, in core terms. ext/ calls
// these and turns the results into PHP return values and warnings.
//
// Request flows (docs/design.md): a session whose ID carries this node's route is
// served from the shared cache; any other is fetched through its <store> suffix
// and, in strict mode, taken over under a new ID with this node's route
// (migration); an owned session whose store node is down is written to another
// node under a new ID (relocation). ID rewrites ride on PHP's strict-mode path:
// validate_sid() fails -> create_sid() -> read(new id) returns the moving data.
// The hooks dispatch to the three flows: ReadPath, WritePath and IdMoves; what a
// request has learnt between hooks is one RequestPhase (session/request_state.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "session/handler_context.h"
#include "session/id_moves.h"
#include "session/read_path.h"
#include "session/write_path.h"

namespace clustered {

class SessionHandler {
 public:
  SessionHandler(HandlerConfig config, std::vector<std::unique_ptr<StoreNode>> nodes,
                 HandlerServices services = {});
  SessionHandler(const SessionHandler&) = delete;
  SessionHandler& operator=(const SessionHandler&) = delete;

  // Per-request settings (prefix, lifetimes, strict mode) may change between
  // requests; nodes and timeouts may not (a new handler is made for those).
  void update_request_settings(const RequestSettings& settings);
  const HandlerConfig& config() const { return context_.config; }
  RemoteStore& remote() { return context_.remote; }
  Counters& counters() { return context_.counters; }
  LockWaits& lock_waits() { return context_.lock_waits; }
  // The session key this process's takeover check works on right now (compared
  // with memcached, or a missed write retried): a read no request asked for;
  // empty otherwise.
  std::string_view key_being_compared() const {
    const std::string_view compared = context_.takeovers.comparing();
    return compared.empty() ? context_.missed_writes.retrying() : compared;
  }

  // The nine hooks, with mod_files.c's contract:
  Status open();
  // Finishes a pending move, releases the session lock.
  Status close();
  // A missing session is an empty string; a store that cannot answer is an error.
  // The data stays valid until the next call on this handler (no copy is made).
  Result<std::string_view> read(std::string_view id);
  Status write(std::string_view id, std::string_view data);
  // A missing key is not an error.
  Status destroy(std::string_view id);
  std::size_t gc();
  Result<std::string> create_sid();
  // True when the ID may be used as it is: it parses, names a known node and the
  // session exists and is owned here. False makes PHP ask for a new ID.
  bool validate_sid(std::string_view id);
  Status update_timestamp(std::string_view id, std::string_view data);

  // The takeover check a request would run (docs/design.md, "Lost copies"), for
  // a thread that serves no request: an idle app node still stores again what
  // memcached lost and retries what a node missed, within an interval. Runs only
  // when the node's check is due and no other process claimed it; nothing
  // without a cache or with checks off. Returns whether this call checked.
  [[nodiscard]] bool check_if_due();

  // A setting or state ext/ handled for this request (an ignored pool setting,
  // a save_path notice): logged for the operator like the core's own
  // (HandlerContext::handled), never shown to the request.
  void log_handled(HandledEvent kind, const std::string& message) {
    context_.handled(kind, Cause::kOk, message);
  }
  // What this request's hooks handled themselves so far, every event (the log
  // has at most one line per kind and interval): for tests and the simulator's
  // traces, which check each request.
  std::vector<std::string> take_handled() { return context_.take_handled(); }

 private:
  // Every hook's failure is counted here, once (the `errors` counter): a failure
  // is what the hook returns to PHP, which warns with its message.
  template <class T>
  T counted(T result);

  HandlerContext context_;
  ReadPath reads_;
  WritePath writes_;
  IdMoves moves_;
};

// The production handler: one MemcachedNode per save_path node, the machine's
// clock and getrandom(), the node's shared segment (may be null) and the
// operator's log.
std::unique_ptr<SessionHandler> make_memcached_handler(HandlerConfig config,
                                                       std::vector<NodeAddress> nodes,
                                                       SharedSegment* shared,
                                                       LogSink& log = no_log());

}  // namespace clustered
