// SPDX-License-Identifier: BSD-3-Clause
// Module entry: registers the save handler, maps the shared segment in MINIT
// (before Apache forks), and cleans up after every request. Each callback and
// PHP function runs its C++ inside guarded() (exception_guard.h): an exception
// becomes one "internal error in <where>" warning, never a crossing into Zend.
#include <ctime>
#include <string>

#include "exception_guard.h"
#include "handler_registry.h"
#include "metrics.h"
#include "php_followups.h"
#include "php_clustered_session.h"
#include "save_handler.h"
#include "sealing.h"
#include "settings.h"
#include "stats.h"

extern "C" {
#include "ext/standard/info.h"
}

// Second guard behind config.m4's check: state is per process, the segment per forking parent.
#ifdef ZTS
#error "clustered_session supports only non-thread-safe (NTS) PHP: use Apache prefork or PHP-FPM"
#endif

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_clustered_session_stats, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

using clustered::ext::guarded;

PHP_FUNCTION(clustered_session_stats) {
  ZEND_PARSE_PARAMETERS_NONE();
  const bool filled = guarded(
      "clustered_session_stats()",
      [&] {
        clustered_session_fill_stats(return_value);
        return true;
      },
      false);
  // The declared return type is array: a partly filled one is replaced by [].
  if (!filled) {
    zval_ptr_dtor(return_value);
    array_init(return_value);
  }
}

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_clustered_session_metrics, 0, 0, IS_STRING, 0)
ZEND_END_ARG_INFO()

PHP_FUNCTION(clustered_session_metrics) {
  ZEND_PARSE_PARAMETERS_NONE();
  // The declared return type is string: "" after an internal error.
  RETVAL_EMPTY_STRING();
  guarded("clustered_session_metrics()", [&] {
    const std::string text = clustered_session_metrics_text();
    RETVAL_STRINGL(text.data(), text.size());
  });
}

static const zend_function_entry clustered_session_functions[] = {
    PHP_FE(clustered_session_stats, arginfo_clustered_session_stats)
        PHP_FE(clustered_session_metrics, arginfo_clustered_session_metrics) PHP_FE_END};

static PHP_MINIT_FUNCTION(clustered_session) {
  clustered_session_register_ini(type, module_number);
  return guarded(
      "MINIT",
      [&] {
        clustered::ext::resolve_route();
        std::string error;
        // A key file that cannot be used stops sessions, not PHP: every
        // session_start() repeats this warning until it is fixed.
        if (!clustered::ext::load_sealer(&error)) {
          php_error_docref(nullptr, E_WARNING,
                           "clustered_session: %s; sessions fail until it is fixed (the handler "
                           "does not run unsealed)",
                           error.c_str());
        }
        if (!clustered::ext::start_shared_segment(&error)) {
          php_error_docref(nullptr, E_WARNING, "clustered_session: %s", error.c_str());
          return FAILURE;
        }
        const clustered::HandlerConfig config = clustered::ext::current_config();
        if (clustered::longest_key(config) > clustered::kMaxMemcachedKey) {
          php_error_docref(nullptr, E_WARNING,
                           "clustered_session: keys would reach %zu bytes "
                           "(clustered_session.prefix + session.sid_length + suffix), over "
                           "memcached's 250; sessions will fail until one is shortened",
                           clustered::longest_key(config));
        }
        if (const auto notice = clustered::ttl_clamp_notice(config, std::time(nullptr))) {
          php_error_docref(nullptr, E_NOTICE, "clustered_session: %s", notice->c_str());
        }
        clustered::ext::install_followup_filter();
        return php_session_register_module(clustered_session_module());
      },
      FAILURE);
}

static PHP_MSHUTDOWN_FUNCTION(clustered_session) {
  const zend_result stopped = guarded(
      "MSHUTDOWN",
      [] {
        clustered::ext::remove_followup_filter();
        clustered::ext::stop_shared_segment();
        clustered::ext::drop_sealer();
        return SUCCESS;
      },
      FAILURE);
  clustered_session_unregister_ini(type, module_number);
  return stopped;
}

// Runs after every module's RSHUTDOWN (so after ext/session has written and
// closed): a lock still held here belongs to a request that never closed.
static ZEND_MODULE_POST_ZEND_DEACTIVATE_D(clustered_session) {
  return guarded(
      "post-deactivate",
      [] {
        if (clustered::SessionHandler* handler = clustered::ext::current_handler()) {
          (void)handler->close();
        }
        clustered::ext::expect_followup(clustered::ext::ReportedFailure::kNone);
        return SUCCESS;
      },
      FAILURE);
}

static PHP_MINFO_FUNCTION(clustered_session) {
  guarded("phpinfo()", [] { clustered_session_print_info(); });
  clustered_session_display_ini(zend_module);
}

static PHP_GINIT_FUNCTION(clustered_session) {
  clustered_session_init_globals(clustered_session_globals);
}

static const zend_module_dep clustered_session_deps[] = {ZEND_MOD_REQUIRED("session") ZEND_MOD_END};

zend_module_entry clustered_session_module_entry = {
    STANDARD_MODULE_HEADER_EX,
    nullptr,
    clustered_session_deps,
    "clustered_session",
    clustered_session_functions,
    PHP_MINIT(clustered_session),
    PHP_MSHUTDOWN(clustered_session),
    nullptr,
    nullptr,
    PHP_MINFO(clustered_session),
    PHP_CLUSTERED_SESSION_VERSION,
    PHP_MODULE_GLOBALS(clustered_session),
    PHP_GINIT(clustered_session),
    nullptr,
    ZEND_MODULE_POST_ZEND_DEACTIVATE_N(clustered_session),
    STANDARD_MODULE_PROPERTIES_EX};

extern "C" {
ZEND_GET_MODULE(clustered_session)
}
