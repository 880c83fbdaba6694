// SPDX-License-Identifier: BSD-3-Clause
#include "idle_check.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "handler_registry.h"
#include "operator_log.h"
#include "session/session_handler.h"
#include "store/save_path.h"

namespace clustered::ext {
namespace {

// What the thread's check logs: php_log_err is not for a thread Zend does not
// know, so the lines wait here for the next request of the process.
class QueuedLog final : public LogSink {
 public:
  void log(std::string_view line) override {
    const std::lock_guard lock(mutex_);
    lines_.emplace_back(line);
    pending_.store(true, std::memory_order_release);
  }
  bool pending() const { return pending_.load(std::memory_order_acquire); }
  std::vector<std::string> take() {
    const std::lock_guard lock(mutex_);
    pending_.store(false, std::memory_order_relaxed);
    return std::move(lines_);
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
  std::atomic<bool> pending_{false};
};

// One per process. A child of fork() inherits the parent's, whose thread it
// does not have (and whose mutex that thread may have held): it never touches
// it, by its pid, and makes its own. Destroyed only once its thread is joined
// (MSHUTDOWN): a process that exits without one leaves it to its thread.
struct Checker {
  pid_t pid = getpid();
  // Its thread sleeps in poll() on this: a relative timeout that a test's fake
  // clock (libfaketime) leaves in real time, and a write ends it at once.
  int wake = eventfd(0, EFD_CLOEXEC);
  std::atomic<bool> stopping{false};
  std::mutex mutex;       // guards what follows
  std::string save_path;  // the handler's, as the last request made it
  HandlerConfig config;
  QueuedLog log;
  // pthread, not std::thread: std::thread hands its thread a heap object that a
  // child of fork() would hold no pointer to.
  pthread_t thread{};
  bool started = false;
  // The thread's own, kept here rather than on its stack, which a child of
  // fork() does not have either.
  std::unique_ptr<SessionHandler> handler;
  std::string made_for;  // the save_path `handler` was made for
  // The parent's, after a fork: kept reachable (never used), as drop_handler()
  // keeps an inherited handler, so that it is not "lost" to valgrind.
  Checker* inherited = nullptr;
};

Checker* g_checker = nullptr;

// Sleeps one interval; false once the thread is to stop.
bool sleep_interval(Checker& checker, std::int64_t interval_s) {
  pollfd woken{checker.wake, POLLIN, 0};
  (void)poll(&woken, 1, static_cast<int>(interval_s * 1000));
  return !checker.stopping.load(std::memory_order_acquire);
}

void run(Checker& checker) {
  std::unique_ptr<SessionHandler>& handler = checker.handler;
  std::string& made_for = checker.made_for;
  for (;;) {
    std::unique_lock lock(checker.mutex);
    const std::int64_t interval_s = checker.config.takeover_check_interval_s;
    lock.unlock();
    if (!sleep_interval(checker, interval_s)) break;
    // What the process's last handler was made with (keep_checking()).
    lock.lock();
    const HandlerConfig config = checker.config;
    const std::string save_path = checker.save_path;
    lock.unlock();
    // Nothing may escape a thread (std::terminate): a check that threw is one
    // not done, and the next interval tries again on a new handler.
    try {
      if (!handler || made_for != save_path) {
        handler.reset();
        made_for.clear();
        // Malformed: the request that made its handler reported it.
        if (auto nodes = parse_save_path(save_path)) {
          handler =
              make_memcached_handler(config, std::move(*nodes), shared_segment(), checker.log);
          made_for = save_path;
        }
      }
      if (handler) (void)handler->check_if_due();
    } catch (...) {
      handler.reset();
      made_for.clear();
    }
  }
}

}  // namespace

void keep_checking(std::string_view save_path, const HandlerConfig& config) {
  if (shared_segment() == nullptr || !config.local_cache || config.takeover_check_interval_s <= 0) {
    return;
  }
  if (g_checker != nullptr && g_checker->pid == getpid()) {
    const std::lock_guard lock(g_checker->mutex);
    g_checker->save_path = save_path;
    g_checker->config = config;
    return;
  }
  auto* checker = new Checker;
  if (checker->wake < 0) {
    delete checker;  // no thread: the node's requests still check
    return;
  }
  checker->save_path = save_path;
  checker->config = config;
  const auto body = [](void* argument) -> void* {
    run(*static_cast<Checker*>(argument));
    return nullptr;
  };
  if (pthread_create(&checker->thread, nullptr, body, checker) != 0) {
    close(checker->wake);
    delete checker;  // no thread: the node's requests still check
    return;
  }
  checker->started = true;
  checker->inherited = g_checker;  // the parent's, left as it is (see Checker)
  g_checker = checker;
}

void stop_checking() {
  if (g_checker == nullptr || g_checker->pid != getpid()) return;
  g_checker->stopping.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  (void)!write(g_checker->wake, &one, sizeof one);
  if (g_checker->started) pthread_join(g_checker->thread, nullptr);
  close(g_checker->wake);
  write_check_log();
  Checker* const inherited = g_checker->inherited;
  delete g_checker;
  g_checker = inherited;
}

void write_check_log() {
  if (g_checker == nullptr || !g_checker->log.pending() || g_checker->pid != getpid()) return;
  for (const std::string& line : g_checker->log.take()) operator_log().log(line);
}

}  // namespace clustered::ext
