// SPDX-License-Identifier: BSD-3-Clause
#include "handler_registry.h"

#include <pthread.h>
#include <unistd.h>

#include <cctype>
#include <memory>
#include <utility>

#include "idle_check.h"
#include "operator_log.h"
#include "php_clustered_session.h"
#include "sealing.h"
#include "session/departed_nodes.h"
#include "store/save_path.h"
#include "store/same_server.h"
#include "util/clock.h"

extern "C" {
#include "ext/session/php_session.h"
}

namespace clustered::ext {
namespace {

SharedSegment* g_segment = nullptr;
std::unique_ptr<SessionHandler> g_handler;
std::string g_handler_save_path;
pid_t g_handler_pid = 0;
std::string g_route;
std::string g_route_setting;  // clustered_session.route as MINIT read it

// getpid() is a system call (glibc no longer caches it) and the handler checks
// the process on every request: the PID is kept here and renewed in each child
// a fork() makes (Apache's prefork children among them).
pid_t g_pid = 0;
void renew_pid() { g_pid = getpid(); }

pid_t current_pid() {
  static const bool registered = [] {
    renew_pid();
    return pthread_atfork(nullptr, nullptr, renew_pid) == 0;
  }();
  return registered ? g_pid : getpid();
}

// gethostname() up to the first dot, lowercased, reduced to [a-z0-9]{1,16}.
std::string short_hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "node";
  std::string route;
  for (const char* c = name; *c != '\0' && *c != '.' && route.size() < 16; ++c) {
    const auto lower = static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9')) route.push_back(lower);
  }
  return route.empty() ? "node" : route;
}

}  // namespace

SharedSegment* shared_segment() { return g_segment; }

bool start_shared_segment(std::string* error) {
  auto made = SharedSegment::create_or_reattach(static_cast<std::size_t>(CSG(cache_size)));
  if (!made) {
    *error = made.error();
    return false;
  }
  g_segment = *made;
  // php.ini's save_path is the one in use from now on: after a graceful restart
  // into another one, the nodes it dropped are still read for a while
  // (session/departed_nodes.h), before any request has made a handler.
  // (INI_STR is gone in PHP 8.6; zend_ini_string is in every supported version.)
  const char* path = zend_ini_string("session.save_path", sizeof("session.save_path") - 1, 0);
  if (auto nodes = parse_save_path(path != nullptr ? path : ""); nodes && !nodes->empty()) {
    (void)with_departed_nodes(std::move(*nodes), g_segment, system_clock().monotonic_ms() / 1000,
                              0);
  }
  return true;
}

void stop_shared_segment() {
  stop_checking();  // its thread works on the segment
  drop_handler();
  // Kept for a reattach when this process loads the module again (Apache
  // graceful restart); unmapped with the process otherwise.
  SharedSegment::release(g_segment, true);
  g_segment = nullptr;
}

void resolve_route() {
  const std::string configured = CSG(route) != nullptr ? CSG(route) : "";
  g_route_setting = configured;
  g_route = configured.empty() || configured == "off" ? short_hostname() : configured;
}

const std::string& effective_route() { return g_route; }

const char* ignored_route_setting() {
  const char* now = CSG(route) != nullptr ? CSG(route) : "";
  return g_route_setting == now ? nullptr : now;
}

// Read straight from the session module's globals and our INI on every
// session_start(): no INI lookups by name, no strings built.
RequestSettings request_settings() {
  RequestSettings settings;
  settings.strict_mode = PS(use_strict_mode);
  settings.prefix = CSG(prefix) != nullptr ? CSG(prefix) : "";
#if PHP_VERSION_ID < 90000
  // Deprecated in PHP 8.4, gone in 9; honoured while PHP still has them.
  settings.sid_length = static_cast<std::size_t>(PS(sid_length));
  settings.sid_bits_per_character = static_cast<int>(PS(sid_bits_per_character));
#endif
  // Otherwise RequestSettings' defaults: PHP's fixed 32 characters of 4 bits.
  settings.gc_maxlifetime_s = PS(gc_maxlifetime);
  return settings;
}

HandlerConfig current_config() {
  HandlerConfig config;
  const std::string configured = CSG(route) != nullptr ? CSG(route) : "";
  config.route = g_route;
  config.trust_route = configured != "off";
  config.local_cache = CSG(cache_size) > 0;
  config.replicas = static_cast<unsigned>(CSG(replicas));
  config.locking = CSG(locking);
  config.lock_timeout = std::chrono::milliseconds(CSG(lock_timeout) * 1000);
  config.connect_timeout = std::chrono::milliseconds(CSG(connect_timeout));
  config.io_timeout = std::chrono::milliseconds(CSG(io_timeout));
  config.retry_interval_ms = CSG(retry_interval) * 1000;
  config.touch_interval_s = CSG(touch_interval);
  config.takeover_check_interval_s = CSG(takeover_check_interval);
  config.sealer = current_sealer();
  const char* compression = CSG(compression) != nullptr ? CSG(compression) : "";
  config.compression.algorithm =
      clustered::parse_compression(compression).value_or(clustered::Compression::kOff);
  config.compression.threshold = static_cast<std::size_t>(CSG(compression_threshold));
  config.compression.level = static_cast<int>(CSG(compression_level));
  config.apply(request_settings());
  return config;
}

SessionHandler* handler_for(std::string_view path, std::string* error) {
  write_check_log();
  // A handler (and its connections) made before a fork belongs to the parent.
  if (g_handler && (g_handler_save_path != path || g_handler_pid != current_pid())) {
    drop_handler();
  }
  if (!g_handler) {
    auto nodes = parse_save_path(path);
    if (!nodes) {
      *error = nodes.error();
      return nullptr;
    }
    if (auto twice = same_server_listed_twice(*nodes)) {
      *error = *twice;
      return nullptr;
    }
    const std::optional<std::string> notice = positional_ids_notice(*nodes);
    g_handler =
        make_memcached_handler(current_config(), std::move(*nodes), g_segment, operator_log());
    // The list still works, but its next edit may not: the operator's log says so.
    if (notice) g_handler->log_handled(HandledEvent::kConfiguration, *notice);
    g_handler_save_path = path;
    g_handler_pid = current_pid();
    keep_checking(path, g_handler->config());
  }
  g_handler->update_request_settings(request_settings());
  return g_handler.get();
}

SessionHandler* current_handler() {
  return g_handler && g_handler_pid == current_pid() ? g_handler.get() : nullptr;
}

void drop_handler() {
  if (g_handler && g_handler_pid != current_pid()) {
    // Inherited through fork: the socket belongs to the parent; release our
    // object without closing the parent's connection politely.
    // Kept reachable on purpose (not "lost" to valgrind or LeakSanitizer).
    [[maybe_unused]] static SessionHandler* volatile inherited = nullptr;
    inherited = g_handler.release();
  }
  g_handler.reset();
  g_handler_save_path.clear();
}

}  // namespace clustered::ext
