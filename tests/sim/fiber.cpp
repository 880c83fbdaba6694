// SPDX-License-Identifier: BSD-3-Clause
#include "sim/fiber.h"

namespace clustered::sim {
namespace {

thread_local Fiber* g_current = nullptr;

}  // namespace

Fiber::Fiber(std::function<void()> body) : body_(std::move(body)), thread_([this] { run(); }) {}

Fiber::~Fiber() {
  kill();
  thread_.join();
}

void Fiber::run() {
  std::unique_lock lock(mutex_);
  wait_for_turn(lock);
  g_current = this;
  if (!killed_) {
    lock.unlock();
    try {
      body_();
    } catch (const FiberKilled&) {
      // The request died with its process: nothing more to do.
    }
    lock.lock();
  }
  finished_ = true;
  fiber_turn_ = false;
  turn_changed_.notify_all();
}

void Fiber::wait_for_turn(std::unique_lock<std::mutex>& lock) {
  turn_changed_.wait(lock, [this] { return fiber_turn_; });
}

void Fiber::resume() {
  std::unique_lock lock(mutex_);
  if (finished_) return;
  fiber_turn_ = true;
  turn_changed_.notify_all();
  turn_changed_.wait(lock, [this] { return !fiber_turn_; });
}

void Fiber::kill() {
  {
    std::lock_guard lock(mutex_);
    if (finished_) return;
    killed_ = true;
  }
  resume();  // it wakes in yield() (or before its body) and unwinds
}

Fiber* Fiber::current() { return g_current; }

void Fiber::yield() {
  Fiber* self = g_current;
  if (self == nullptr) return;
  std::unique_lock lock(self->mutex_);
  self->fiber_turn_ = false;
  self->turn_changed_.notify_all();
  self->wait_for_turn(lock);
  if (self->killed_) throw FiberKilled{};
}

}  // namespace clustered::sim
