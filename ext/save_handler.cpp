// SPDX-License-Identifier: BSD-3-Clause
// PS_*_FUNC(clustered): PHP's session callbacks, each a thin translation onto
// clustered::SessionHandler. A hook's failure comes back as a value and becomes
// one E_WARNING here, naming the cause (PHP's own follow-up line is dropped:
// php_followups.h); states the handler handled itself go to the operator's log
// instead, never into the page (docs/design.md, "Who hears what"). An exception
// (std::bad_alloc, ...) is stopped by guarded() and becomes "internal error in
// <hook>" and the hook's failure value (exception_guard.h): none crosses into
// PHP's C code.
#include "save_handler.h"

#include <string>
#include <string_view>

#include "exception_guard.h"
#include "handler_registry.h"
#include "php_followups.h"
#include "php_clustered_session.h"
#include "sealing.h"

extern "C" {
#include "ext/session/php_session.h"
}

using clustered::SessionHandler;
using clustered::ext::guarded;
using clustered::ext::ReportedFailure;

namespace {

SessionHandler* handler_of(void** mod_data) {
  return static_cast<SessionHandler*>(PS_GET_MOD_DATA());
}

std::string_view view(const zend_string* text) { return {ZSTR_VAL(text), ZSTR_LEN(text)}; }

// save_path as PHP hands it to the open hook: a zend_string from PHP 8.6 on, a C
// string before (the one signature of PHP's session API that changed from 8.2 to 8.6).
#if PHP_VERSION_ID >= 80600
std::string_view open_argument(const zend_string* text) {
  return text != nullptr ? view(text) : std::string_view{};
}
#else
std::string_view open_argument(const char* text) {
  return text != nullptr ? std::string_view(text) : std::string_view{};
}
#endif

// One warning for a failed hook; PHP's own line that follows it is dropped.
zend_result fail(ReportedFailure hook, const char* format, const char* text) {
  php_error_docref(nullptr, E_WARNING, format, text);
  clustered::ext::expect_followup(hook);
  return FAILURE;
}

zend_result report(const clustered::Status& status, ReportedFailure hook) {
  if (status) return SUCCESS;
  return fail(hook, "clustered_session: %s", status.error().c_str());
}

}  // namespace

/* open: PARAMETERS save_path (node list), session_name. RETURN VALUE SUCCESS when
 * save_path parses; otherwise one warning naming the exact problem and FAILURE,
 * so session_start() returns false (never a silent fallback). */
PS_OPEN_FUNC(clustered) {
  // Cleared first: every way out sets it, and an exception in handler_for() (which
  // may drop the handler it pointed to) must not leave it dangling for close.
  PS_SET_MOD_DATA(nullptr);
  clustered::ext::expect_followup(ReportedFailure::kNone);
  return guarded(
      "open",
      [&] {
        if (const std::string& refusal = clustered::ext::seal_refusal(); !refusal.empty()) {
          return fail(ReportedFailure::kOpen,
                      "clustered_session: %s; the handler does not run unsealed", refusal.c_str());
        }
        std::string error;
        SessionHandler* handler = clustered::ext::handler_for(open_argument(save_path), &error);
        if (handler == nullptr) {
          return fail(ReportedFailure::kOpen, "clustered_session: invalid session.save_path: %s",
                      error.c_str());
        }
        const auto& config = handler->config();
        if (clustered::longest_key(config) > clustered::kMaxMemcachedKey) {
          const std::string why =
              "keys would reach " + std::to_string(clustered::longest_key(config)) +
              " bytes (prefix + session.sid_length + suffix), over memcached's 250; shorten "
              "clustered_session.prefix or session.sid_length";
          return fail(ReportedFailure::kOpen, "clustered_session: %s", why.c_str());
        }
        if (const char* ignored = clustered::ext::ignored_route_setting()) {
          handler->log_handled(clustered::HandledEvent::kConfiguration,
                               "clustered_session.route=" + std::string(ignored) +
                                   " of a pool or directory is ignored: the route is the "
                                   "node's, read once at start-up from php.ini (in force: " +
                                   clustered::ext::effective_route() + ")");
        }
        PS_SET_MOD_DATA(handler);
        return report(handler->open(), ReportedFailure::kOpen);
      },
      FAILURE);
}

/* close: finishes a pending ID rewrite and releases the session lock. Called also
 * after read_and_close, session_abort() and failed reads. */
PS_CLOSE_FUNC(clustered) {
  SessionHandler* handler = handler_of(mod_data);
  if (handler == nullptr) return SUCCESS;
  const zend_result result = guarded(
      "close", [&] { return report(handler->close(), ReportedFailure::kWrite); }, FAILURE);
  PS_SET_MOD_DATA(nullptr);
  return result;
}

/* read: RETURN VALUE SUCCESS with the data, or with an empty string for a session
 * that does not exist; FAILURE when it cannot be known (store down, lock timeout),
 * so PHP never starts an empty session that would overwrite the real one. */
PS_READ_FUNC(clustered) {
  return guarded(
      "read",
      [&] {
        SessionHandler* handler = handler_of(mod_data);
        if (handler == nullptr) return FAILURE;
        auto data = handler->read(view(key));
        if (!data)
          return fail(ReportedFailure::kRead, "clustered_session: %s", data.error().c_str());
        *val = zend_string_init(data->data(), data->size(), 0);
        return SUCCESS;
      },
      FAILURE);
}

/* write: stores the session through to memcached (and the local cache). */
PS_WRITE_FUNC(clustered) {
  return guarded(
      "write",
      [&] {
        SessionHandler* handler = handler_of(mod_data);
        if (handler == nullptr) return FAILURE;
        return report(handler->write(view(key), view(val)), ReportedFailure::kWrite);
      },
      FAILURE);
}

/* destroy: a missing session is not an error. */
PS_DESTROY_FUNC(clustered) {
  return guarded(
      "destroy",
      [&] {
        SessionHandler* handler = handler_of(mod_data);
        if (handler == nullptr) return FAILURE;
        return report(handler->destroy(view(key)), ReportedFailure::kDestroy);
      },
      FAILURE);
}

/* gc: memcached expires remote copies itself; this sweeps the local cache.
 * Fails as mod_files.c does: -1, and session_gc() returns false. */
PS_GC_FUNC(clustered) {
  const zend_long removed = guarded(
      "gc",
      [&]() -> zend_long {
        SessionHandler* handler = handler_of(mod_data);
        if (handler == nullptr) return 0;
        const auto swept = static_cast<zend_long>(handler->gc());
        *nrdels = swept;
        return swept;
      },
      zend_long{-1});
  if (removed < 0) *nrdels = -1;
  return removed;
}

/* create_sid: <random>-<store>.<route>; random as PHP's own generator makes it. */
PS_CREATE_SID_FUNC(clustered) {
  return guarded(
      "create_sid",
      [&]() -> zend_string* {
        SessionHandler* handler = handler_of(mod_data);
        if (handler == nullptr) return php_session_create_id(mod_data);
        auto id = handler->create_sid();
        if (!id) {
          (void)fail(ReportedFailure::kCreateSid, "clustered_session: %s", id.error().c_str());
          return static_cast<zend_string*>(nullptr);
        }
        return zend_string_init(id->data(), id->size(), 0);
      },
      static_cast<zend_string*>(nullptr));
}

/* validate_sid (strict mode): SUCCESS only for an existing session owned here;
 * FAILURE makes PHP create a new ID, which is also how sessions are taken over. */
PS_VALIDATE_SID_FUNC(clustered) {
  return guarded(
      "validate_sid",
      [&] {
        SessionHandler* handler = handler_of(mod_data);
        if (handler == nullptr) return FAILURE;
        return handler->validate_sid(view(key)) ? SUCCESS : FAILURE;
      },
      FAILURE);
}

/* update_timestamp (lazy_write, data unchanged): refreshes the TTL, remotely at
 * most once per touch_interval. */
PS_UPDATE_TIMESTAMP_FUNC(clustered) {
  return guarded(
      "update_timestamp",
      [&] {
        SessionHandler* handler = handler_of(mod_data);
        if (handler == nullptr) return FAILURE;
        return report(handler->update_timestamp(view(key), view(val)), ReportedFailure::kWrite);
      },
      FAILURE);
}

const ps_module* clustered_session_module() {
  static const ps_module module = {PS_MOD_UPDATE_TIMESTAMP(clustered)};
  return &module;
}
