// SPDX-License-Identifier: BSD-3-Clause
// A request of the simulated cluster runs as a fiber: its own thread, but only
// while the simulator has handed it control, so exactly one piece of code runs
// at any time and every interleaving is chosen by the simulator's seeded PRNG.
// A fiber gives control back at its yield points (between hooks, before each
// store call, while it waits for a session lock).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace clustered::sim {

// Thrown out of yield() in a fiber that was killed (its app node died): it
// unwinds the request's stack, as the death of the process would end it.
struct FiberKilled {};

class Fiber {
 public:
  explicit Fiber(std::function<void()> body);
  ~Fiber();  // kills the fiber when it has not finished
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Simulator side: runs the fiber until its next yield point or its end.
  void resume();
  // Simulator side: ends the fiber at its current yield point (or before it starts).
  void kill();
  bool finished() const { return finished_; }

  // Fiber side: gives control back to the simulator. Outside a fiber, nothing.
  static void yield();
  static Fiber* current();

 private:
  void run();
  void wait_for_turn(std::unique_lock<std::mutex>& lock);

  std::function<void()> body_;
  std::mutex mutex_;
  std::condition_variable turn_changed_;
  bool fiber_turn_ = false;
  bool killed_ = false;
  bool finished_ = false;
  std::thread thread_;
};

}  // namespace clustered::sim
